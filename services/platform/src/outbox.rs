//! The transactional outbox: a service writes its events into `<schema>.outbox` in the
//! same transaction as the change they describe, and the relay publishes them to the Redis
//! stream `<prefix>events` afterwards and deletes them. An event is therefore published if
//! and only if its change committed, at least once; consumers are idempotent on
//! `event_id`. An outbox holds only what is still to publish: the streams keep what was.

use crate::db::pg;
use crate::ids::new_id;
use crate::kv::Redis;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait, Value};
use std::sync::atomic::{AtomicBool, Ordering};
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

    /// Record one of this schema's events inside the caller's transaction.
    pub async fn emit(
        self,
        conn: &impl ConnectionTrait,
        topic: &str,
        aggregate_id: Uuid,
        payload: serde_json::Value,
    ) -> Result<(), DbErr> {
        enqueue(conn, self, topic, aggregate_id, payload)
            .await
            .map(|_| ())
    }
}

/// `INSERT INTO <schema>.outbox (id, topic, aggregate_id, payload) <rows>`, for a service
/// that writes its change and its event in one statement (the change as a CTE, `rows` a
/// `VALUES` list or a `SELECT` from it): one round trip instead of two.
pub fn insert_from(schema: Schema, rows: &str) -> String {
    format!(
        "INSERT INTO {}.outbox (id, topic, aggregate_id, payload) {rows}",
        schema.as_str()
    )
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
    conn.execute_raw(pg(
        insert_from(schema, "VALUES ($1, $2, $3, $4)"),
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

/// The stream of `topic`'s events ([`crate::events`]: a consumer reads the streams of
/// the topics it follows, and no other).
pub fn stream_key(redis: &Redis, topic: &str) -> String {
    redis.key(&format!("events:{topic}"))
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
}

/// Publish up to `batch` rows of each schema's outbox and delete them; returns how many
/// went out.
///
/// Rows are taken `FOR UPDATE SKIP LOCKED`, so several relays (one per process) share the
/// work without publishing a row twice in the normal case. They are deleted by the
/// statement that reads them, in a transaction that commits only once Redis has them: if
/// Redis fails the transaction rolls back, the rows are back, and they are tried again.
/// Every outbox is emptied by that one statement: a poll costs three round trips (the
/// statement, its transaction's begin and commit) however many schemas there are.
///
/// Deleting a published row costs Postgres less than marking it: a mark wrote a new
/// version of the row and an index entry for it (the mark changed the column of the
/// unpublished-rows index, so the update could not stay in place), and the marked rows
/// stayed a day before a prune deleted them anyway.
pub async fn relay_once(
    db: &DatabaseConnection,
    redis: &Redis,
    batch: u64,
) -> Result<usize, RelayError> {
    let txn = db.begin().await?;
    let rows = txn
        .query_all_raw(pg(relay_take(), [Value::BigInt(Some(batch as i64))]))
        .await?;
    if rows.is_empty() {
        txn.commit().await?;
        return Ok(0);
    }
    let mut pipe = redis::pipe();
    for row in &rows {
        let id: Uuid = row.try_get("", "id")?;
        let topic: String = row.try_get("", "topic")?;
        let aggregate: Uuid = row.try_get("", "aggregate_id")?;
        let payload: String = row.try_get("", "payload")?;
        let created: chrono::DateTime<chrono::Utc> = row.try_get("", "created_at")?;
        pipe.cmd("XADD")
            .arg(stream_key(redis, &topic))
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
    }
    let mut conn = redis.conn();
    pipe.query_async::<()>(&mut conn).await?;
    txn.commit().await?;
    Ok(rows.len())
}

/// `part` for every schema's outbox, joined by `sep`.
fn every_outbox(part: impl Fn(&str) -> String, sep: &str) -> String {
    Schema::ALL
        .iter()
        .map(|s| part(s.as_str()))
        .collect::<Vec<_>>()
        .join(sep)
}

/// Take the rows of every outbox (at most `$1` each, the oldest: ids are UUIDv7): delete
/// them and return them, oldest first. Row locks are not allowed under UNION, so each
/// outbox is its own CTE. The rows taken are an array computed once: as `id IN (…)` the
/// generic plan (an outbox looks empty to the planner once vacuumed) ran the locking
/// sub-select again for every row of the outbox, 36 ms for a batch of 500 instead of 1.7.
/// (`published_at IS NULL` leaves out what a relay of an earlier release marked instead
/// of deleting, while one still runs beside this one.)
fn relay_take() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let ctes = every_outbox(
            |s| {
                format!(
                    "{s} AS (DELETE FROM {s}.outbox WHERE id = ANY(ARRAY(SELECT id FROM {s}.outbox \
                         WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)) \
                     RETURNING id, topic, aggregate_id, payload::text AS payload, created_at)"
                )
            },
            ", ",
        );
        let union = every_outbox(|s| format!("SELECT * FROM {s}"), " UNION ALL ");
        format!("WITH {ctes} {union} ORDER BY id")
    })
}

/// Rows per outbox per poll.
const RELAY_BATCH: u64 = 500;

/// Vacuum every outbox, skipping one another vacuum holds.
///
/// An outbox is a queue: every row is deleted soon after it is written, and the relay's
/// read, which finds only a few live rows, is a scan of whatever the deleted ones left
/// behind until a vacuum clears them. Autovacuum may be off, or behind under load (on the
/// bench machine it was off: after fifteen minutes of load one outbox held 31,000 dead
/// rows in 259 pages and each read cost 1.5 ms instead of under 0.1), so the relay that
/// deletes them vacuums too, at most every `JIKGU_OUTBOX_VACUUM_SECS` ([`run_relay`]):
/// an outbox then stays the size of about that long's events, its freed space written
/// again. The pages are not given back to the file system (`TRUNCATE false`): that would
/// lock the table against every checkout writing its events while it is cut, and the
/// next events would grow it again at once.
pub async fn vacuum(db: &DatabaseConnection) -> Result<(), DbErr> {
    let tables = every_outbox(|s| format!("{s}.outbox"), ", ");
    db.execute_unprepared(&format!("VACUUM (SKIP_LOCKED, TRUNCATE false) {tables}"))
        .await
        .map(drop)
}

/// Run the relay until `stop` flips: poll every schema, sleep briefly when idle, back off
/// when Redis or Postgres are down; and beside it, every `vacuum_every` (never when
/// `None`), [`vacuum`] the outboxes if it deleted rows since the last time. The vacuum
/// runs on a connection of its own while the relay goes on publishing.
pub async fn run_relay(
    db: DatabaseConnection,
    redis: Redis,
    vacuum_every: Option<Duration>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let deleted = AtomicBool::new(false);
    tokio::join!(
        publish(&db, &redis, &deleted, stop.clone()),
        vacuum_after_deletes(&db, &deleted, vacuum_every, stop),
    );
}

/// The relay's polls; sets `deleted` when one published (so deleted) rows.
async fn publish(
    db: &DatabaseConnection,
    redis: &Redis,
    deleted: &AtomicBool,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut idle = Duration::from_millis(50);
    loop {
        let (published, failed) = match relay_once(db, redis, RELAY_BATCH).await {
            Ok(n) => (n, false),
            Err(err) => {
                tracing::warn!(error = %err, "outbox relay failed");
                (0, true)
            }
        };
        if published > 0 {
            deleted.store(true, Ordering::Relaxed);
        }
        // A full batch means more is waiting; a partial one, that events trickle in: a
        // short pause lets them gather instead of spending a poll on each. A poll costs
        // Postgres three round trips (begin, the statement, commit) whatever it finds; at
        // 5 ms, under the checkout benchmark, the relay polled about a hundred times a
        // second for some sixteen events each. 20 ms keeps every event within a few tens
        // of milliseconds of its commit.
        idle = if failed {
            (idle * 2).min(Duration::from_secs(5))
        } else if published >= RELAY_BATCH as usize {
            Duration::ZERO
        } else if published > 0 {
            Duration::from_millis(20)
        } else {
            Duration::from_millis(50)
        };
        tokio::select! {
            _ = tokio::time::sleep(idle) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// Every `every`, vacuum the outboxes when `deleted` says rows went since the last time.
async fn vacuum_after_deletes(
    db: &DatabaseConnection,
    deleted: &AtomicBool,
    every: Option<Duration>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let Some(every) = every else { return };
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        if deleted.swap(false, Ordering::Relaxed)
            && let Err(err) = vacuum(db).await
        {
            tracing::warn!(error = %err, "outbox vacuum failed");
        }
    }
}
