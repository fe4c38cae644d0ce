//! The transactional outbox: a service writes its events into `<schema>.outbox` in the
//! same transaction as the change they describe, and the relay publishes them to the Redis
//! stream `<prefix>events` afterwards. An event is therefore published if and only if its
//! change committed, at least once; consumers are idempotent on `event_id`.

use crate::ids::new_id;
use crate::kv::Redis;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait, Value,
};
use std::time::Duration;
use uuid::Uuid;

/// The schemas that own an outbox table. Table names come only from here, never from
/// input, so building SQL with them is safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    Accounts,
    Catalog,
    Orders,
    Promotions,
}

impl Schema {
    pub const ALL: [Schema; 4] = [
        Schema::Accounts,
        Schema::Catalog,
        Schema::Orders,
        Schema::Promotions,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Schema::Accounts => "accounts",
            Schema::Catalog => "catalog",
            Schema::Orders => "orders",
            Schema::Promotions => "promotions",
        }
    }
}

/// Record an event inside the caller's transaction.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    schema: Schema,
    topic: &str,
    aggregate_id: Uuid,
    payload: serde_json::Value,
) -> Result<Uuid, DbErr> {
    let id = new_id();
    let sql = format!(
        "INSERT INTO {}.outbox (id, topic, aggregate_id, payload) VALUES ($1, $2, $3, $4)",
        schema.as_str()
    );
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [
            id.into(),
            topic.into(),
            aggregate_id.into(),
            Value::Json(Some(Box::new(payload))),
        ],
    ))
    .await?;
    Ok(id)
}

/// The stream every event goes to.
pub fn stream_key(redis: &Redis) -> String {
    redis.key("events")
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
}

/// Publish up to `batch` unpublished rows of one schema; returns how many went out.
///
/// Rows are locked `FOR UPDATE SKIP LOCKED`, so several relays (one per process) share the
/// work without publishing a row twice in the normal case; if Redis fails the transaction
/// rolls back and the rows are tried again.
pub async fn relay_once(
    db: &DatabaseConnection,
    redis: &Redis,
    schema: Schema,
    batch: u64,
) -> Result<usize, RelayError> {
    let txn = db.begin().await?;
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT id, topic, aggregate_id, payload::text AS payload, created_at \
                 FROM {}.outbox WHERE published_at IS NULL \
                 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                schema.as_str()
            ),
            [Value::BigInt(Some(batch as i64))],
        ))
        .await?;
    if rows.is_empty() {
        txn.commit().await?;
        return Ok(0);
    }
    let stream = stream_key(redis);
    let mut pipe = redis::pipe();
    let mut ids = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: Uuid = row.try_get("", "id")?;
        let topic: String = row.try_get("", "topic")?;
        let aggregate: Uuid = row.try_get("", "aggregate_id")?;
        let payload: String = row.try_get("", "payload")?;
        let created: chrono::DateTime<chrono::Utc> = row.try_get("", "created_at")?;
        pipe.cmd("XADD")
            .arg(&stream)
            .arg("MAXLEN")
            .arg("~")
            .arg(1_000_000)
            .arg("*")
            .arg("event_id")
            .arg(id.to_string())
            .arg("topic")
            .arg(topic)
            .arg("aggregate_id")
            .arg(aggregate.to_string())
            .arg("payload")
            .arg(payload)
            .arg("occurred_at")
            .arg(created.to_rfc3339())
            .ignore();
        ids.push(id);
    }
    let mut conn = redis.conn();
    pipe.query_async::<()>(&mut conn).await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "UPDATE {}.outbox SET published_at = now() WHERE id = ANY($1)",
            schema.as_str()
        ),
        [Value::Array(
            sea_orm::sea_query::ArrayType::Uuid,
            Some(Box::new(ids.into_iter().map(Value::from).collect())),
        )],
    ))
    .await?;
    txn.commit().await?;
    Ok(rows.len())
}

/// Run the relay until `stop` flips: poll every schema, sleep briefly when idle, back off
/// when Redis or Postgres are down. Published rows older than a day are pruned.
pub async fn run_relay(
    db: DatabaseConnection,
    redis: Redis,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut idle = Duration::from_millis(50);
    let mut last_prune = std::time::Instant::now();
    loop {
        let mut published = 0;
        let mut failed = false;
        for schema in Schema::ALL {
            match relay_once(&db, &redis, schema, 500).await {
                Ok(n) => published += n,
                Err(err) => {
                    failed = true;
                    tracing::warn!(schema = schema.as_str(), error = %err, "outbox relay failed");
                }
            }
        }
        if last_prune.elapsed() > Duration::from_secs(3600) {
            last_prune = std::time::Instant::now();
            for schema in Schema::ALL {
                let sql = format!(
                    "DELETE FROM {}.outbox WHERE published_at < now() - interval '1 day'",
                    schema.as_str()
                );
                if let Err(err) = db.execute_unprepared(&sql).await {
                    tracing::warn!(error = %err, "outbox prune failed");
                }
            }
        }
        idle = if failed {
            (idle * 2).min(Duration::from_secs(5))
        } else if published > 0 {
            Duration::ZERO
        } else {
            Duration::from_millis(50)
        };
        tokio::select! {
            _ = tokio::time::sleep(idle) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
