//! Cursor pages over the settlements tables that are listed newest first (statements,
//! payouts): ids are UUIDv7, so "newest first" is `id DESC` and the cursor is an id.

use crate::error::SettlementsResult;
use platform::db::pg;
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

/// A row read from one table of the schema by a list of columns (both constants).
pub(crate) trait Listed: FromQueryResult {
    const TABLE: &'static str;
    const COLUMNS: &'static str;
}

/// `limit` rows (of one vendor, or of every vendor when `vendor_id` is `None`) older than
/// `before`, newest first.
pub(crate) async fn newest_first<T: Listed>(
    db: &impl ConnectionTrait,
    vendor_id: Option<Uuid>,
    before: Option<Uuid>,
    limit: u64,
) -> SettlementsResult<Vec<T>> {
    Ok(T::find_by_statement(pg(
        format!(
            "SELECT {} FROM {} WHERE ($1::uuid IS NULL OR vendor_id = $1) \
             AND ($2::uuid IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
            T::COLUMNS,
            T::TABLE
        ),
        [vendor_id.into(), before.into(), (limit as i64).into()],
    ))
    .all(db)
    .await?)
}
