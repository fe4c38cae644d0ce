//! Cursor pages over the settlements tables that are listed newest first (statements,
//! payouts): ids are UUIDv7, so "newest first" is `id DESC` and the cursor is an id.

use crate::error::SettlementsResult;
use platform::db::pg;
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

/// `limit` rows of `table` (of one vendor, or of every vendor when `vendor_id` is `None`)
/// older than `before`, newest first. `table` and `columns` are the caller's constants.
pub(crate) async fn newest_first<T: FromQueryResult>(
    db: &impl ConnectionTrait,
    table: &str,
    columns: &str,
    vendor_id: Option<Uuid>,
    before: Option<Uuid>,
    limit: u64,
) -> SettlementsResult<Vec<T>> {
    Ok(T::find_by_statement(pg(
        format!(
            "SELECT {columns} FROM {table} WHERE ($1::uuid IS NULL OR vendor_id = $1) \
             AND ($2::uuid IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
        ),
        [vendor_id.into(), before.into(), (limit as i64).into()],
    ))
    .all(db)
    .await?)
}
