//! The platform crate's integration tests: one binary, against the real Redis (and
//! Postgres where needed), each test under a key prefix of its own.

mod events;
