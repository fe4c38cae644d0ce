//! The Postgres pool (sea-orm over sqlx).

use crate::config::Config;
use sea_orm::{
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, EntityTrait,
    PrimaryKeyTrait, QueryFilter, RuntimeErr,
};
use std::time::Duration;

pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbErr> {
    connect_url(
        config.database_url(),
        config.db_max_connections,
        config.db_acquire_timeout,
    )
    .await
}

pub async fn connect_url(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max_connections)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(3))
        .acquire_timeout(acquire_timeout)
        // sqlx pings a pooled connection on every acquire by default: a round trip before
        // each statement outside a transaction, which doubled a cart write's waits on
        // Postgres. Only a connection idle long enough to have been dropped (by the server,
        // a proxy or a firewall) is pinged; a dead busy one fails its statement instead.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false);
    Database::connect(opts).await
}

/// A raw Postgres statement with its `$1`, `$2`… values: what every hand-written query in
/// Jikgu is.
pub fn pg(
    sql: impl Into<String>,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> sea_orm::Statement {
    sea_orm::Statement::from_sql_and_values(sea_orm::DbBackend::Postgres, sql, values)
}

/// Ids as one `uuid[]` parameter (`= ANY($n)`), so a statement has the same text however
/// many ids it is given.
pub fn uuid_array(ids: &[uuid::Uuid]) -> sea_orm::Value {
    sea_orm::Value::Array(
        sea_orm::sea_query::ArrayType::Uuid,
        Some(Box::new(
            ids.iter().map(|id| sea_orm::Value::from(*id)).collect(),
        )),
    )
}

/// Rows that belong to one vendor, which vendor routes load only through [`find_owned`].
pub trait VendorOwned: EntityTrait {
    /// The column that holds the owning vendor's id.
    const VENDOR_ID: Self::Column;
}

/// Owner scoping: the row `id` of `E` when it belongs to `vendor_id`. Another vendor's row
/// is simply not found.
pub async fn find_owned<E>(
    db: &impl ConnectionTrait,
    vendor_id: uuid::Uuid,
    id: uuid::Uuid,
) -> Result<Option<E::Model>, DbErr>
where
    E: VendorOwned,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<uuid::Uuid>,
{
    E::find_by_id(id)
        .filter(E::VENDOR_ID.eq(vendor_id))
        .one(db)
        .await
}

/// Whether `err` means the connection to Postgres was lost or could not be had (a restart,
/// a reset, a full pool), rather than anything about the statement: the same request may
/// well succeed in a moment.
pub fn is_connection_error(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            sqlx_connection_error(e)
        }
        _ => false,
    }
}

pub(crate) fn sqlx_connection_error(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match err {
        Error::Io(_)
        | Error::Tls(_)
        | Error::Protocol(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed => true,
        // SQLSTATE class 08 (connection exception), the server shutting down or starting
        // (57P01-57P03), too many connections (53300).
        Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}
