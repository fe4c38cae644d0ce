//! Changes to every schema's outbox table (`platform::outbox` owns the list of schemas
//! that have one).

pub mod m20261215_000101_outbox_rows_deleted_when_published;
