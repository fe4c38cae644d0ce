//! The Postgres pool (sea-orm over sqlx).

use crate::config::Config;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
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
