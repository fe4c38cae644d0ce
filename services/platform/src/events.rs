//! Consuming the event stream: a consumer group per purpose (cache invalidation, search
//! indexing, statistics), delivery at least once. A handler must be idempotent; an event
//! whose handler fails stays pending and is retried once it has waited [`retry_delay`]
//! (100 ms, doubling with every delivery, at most 30 s): a pass comes round many times a
//! second on a busy stream, and retrying at once would spend a handler's attempts within
//! a short outage of what it depends on.
//!
//! Consumers are named per process (`<pid>-<uuid>`) and never come back under the same
//! name, so what a dead process had read but not acknowledged would stay pending forever.
//! Every pass therefore first takes over entries that have sat unacknowledged for
//! [`CLAIM_IDLE`], whoever holds them, and retries them as its own. A handler slower than
//! that may see its entry handled twice, which at-least-once delivery allows anyway.

use crate::kv::Redis;
use crate::outbox::stream_key;
use redis::streams::{
    StreamAutoClaimReply, StreamClaimReply, StreamId, StreamPendingCountReply, StreamReadOptions,
    StreamReadReply,
};
use std::future::Future;
use std::time::Duration;
use uuid::Uuid;

/// How long an entry may sit read but unacknowledged before another consumer of the group
/// takes it over: well past any handler's normal run, so a live consumer keeps its work.
pub const CLAIM_IDLE: Duration = Duration::from_secs(30);

/// Entries read, retried or taken over per pass.
const BATCH: usize = 200;

/// How long an entry delivered `deliveries` times waits after failing before it is
/// delivered again: 100 ms, doubling, at most 30 s.
pub fn retry_delay(deliveries: usize) -> Duration {
    let doublings = u32::try_from(deliveries.saturating_sub(1).min(20)).unwrap_or(20);
    Duration::from_millis(100u64 << doublings).min(Duration::from_secs(30))
}

#[derive(Debug, Clone)]
pub struct Event {
    pub event_id: Uuid,
    pub topic: String,
    pub aggregate_id: Uuid,
    pub payload: serde_json::Value,
}

fn field(map: &std::collections::HashMap<String, redis::Value>, key: &str) -> Option<String> {
    map.get(key)
        .and_then(|v| redis::from_redis_value_ref::<String>(v).ok())
}

async fn ensure_group(redis: &Redis, group: &str) -> redis::RedisResult<()> {
    let mut conn = redis.conn();
    let res: redis::RedisResult<()> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(stream_key(redis))
        .arg(group)
        .arg("0")
        .arg("MKSTREAM")
        .query_async(&mut conn)
        .await;
    match res {
        Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
        other => other,
    }
}

/// Take over the entries of `group` idle for at least `min_idle` on any consumer
/// (`XAUTOCLAIM`, one batch from the start of the pending list; the rest follow on later
/// passes).
async fn claim_idle(
    conn: &mut redis::aio::MultiplexedConnection,
    key: &str,
    group: &str,
    consumer: &str,
    min_idle: Duration,
) -> redis::RedisResult<Vec<StreamId>> {
    let reply: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
        .arg(key)
        .arg(group)
        .arg(consumer)
        .arg(u64::try_from(min_idle.as_millis()).unwrap_or(u64::MAX))
        .arg("0-0")
        .arg("COUNT")
        .arg(BATCH)
        .query_async(conn)
        .await?;
    Ok(reply.claimed)
}

/// This consumer's failed entries whose [`retry_delay`] has passed, delivered again
/// (`XCLAIM` to itself, which counts the delivery and restarts the idle clock).
async fn due_retries(
    conn: &mut redis::aio::MultiplexedConnection,
    key: &str,
    group: &str,
    consumer: &str,
) -> redis::RedisResult<Vec<StreamId>> {
    let pending: StreamPendingCountReply = redis::cmd("XPENDING")
        .arg(key)
        .arg(group)
        .arg("-")
        .arg("+")
        .arg(BATCH)
        .arg(consumer)
        .query_async(conn)
        .await?;
    let due: Vec<&str> = pending
        .ids
        .iter()
        .filter(|p| {
            Duration::from_millis(p.last_delivered_ms as u64) >= retry_delay(p.times_delivered)
        })
        .map(|p| p.id.as_str())
        .collect();
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let claimed: StreamClaimReply = redis::cmd("XCLAIM")
        .arg(key)
        .arg(group)
        .arg(consumer)
        .arg(0)
        .arg(&due)
        .query_async(conn)
        .await?;
    Ok(claimed.ids)
}

/// New entries for `consumer`, waiting up to `block` for some (`None`: not at all).
async fn read_new(
    conn: &mut redis::aio::MultiplexedConnection,
    key: &str,
    group: &str,
    consumer: &str,
    block: Option<Duration>,
) -> redis::RedisResult<Vec<StreamId>> {
    let mut opts = StreamReadOptions::default()
        .group(group, consumer)
        .count(BATCH);
    // `BLOCK 0` would wait forever, so a zero wait is no BLOCK at all.
    if let Some(ms) = block.map(|b| b.as_millis() as usize).filter(|ms| *ms > 0) {
        opts = opts.block(ms);
    }
    let reply: Option<StreamReadReply> = redis::cmd("XREADGROUP")
        .arg(&opts)
        .arg("STREAMS")
        .arg(key)
        .arg(">")
        .query_async(conn)
        .await?;
    Ok(reply
        .map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect())
        .unwrap_or_default())
}

fn parse(entry: &StreamId) -> Option<Event> {
    Some(Event {
        event_id: field(&entry.map, "event_id")?.parse().ok()?,
        topic: field(&entry.map, "topic")?,
        aggregate_id: field(&entry.map, "aggregate_id")?.parse().ok()?,
        payload: serde_json::from_str(&field(&entry.map, "payload")?).ok()?,
    })
}

/// Read and handle one batch: entries left idle by any consumer for [`CLAIM_IDLE`] (taken
/// over as this consumer's), then this consumer's failed entries that are due again, then
/// new ones, blocking up to `block`. Returns how many were acknowledged.
pub async fn consume_once<F, Fut, E>(
    redis: &Redis,
    conn: &mut redis::aio::MultiplexedConnection,
    group: &str,
    consumer: &str,
    block: Duration,
    handler: &F,
) -> redis::RedisResult<usize>
where
    F: Fn(Event) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    ensure_group(redis, group).await?;
    let key = stream_key(redis);
    let mut entries = claim_idle(conn, &key, group, consumer, CLAIM_IDLE).await?;
    if !entries.is_empty() {
        tracing::info!(
            group,
            consumer,
            claimed = entries.len(),
            "took over entries idle on other consumers"
        );
    }
    entries.extend(due_retries(conn, &key, group, consumer).await?);
    // With retries at hand, new entries are taken as they are, without waiting for more.
    let wait = entries.is_empty().then_some(block);
    entries.extend(read_new(conn, &key, group, consumer, wait).await?);
    let mut acked = 0;
    for entry in entries {
        let ok = match parse(&entry) {
            // Unreadable entries are acknowledged: retrying cannot fix them.
            None => {
                tracing::warn!(id = %entry.id, "dropping malformed event");
                true
            }
            Some(ev) => match handler(ev).await {
                Ok(()) => true,
                Err(err) => {
                    tracing::warn!(id = %entry.id, group, error = %err, "event handler failed; will retry");
                    false
                }
            },
        };
        if ok {
            let _: () = redis::cmd("XACK")
                .arg(&key)
                .arg(group)
                .arg(&entry.id)
                .query_async(conn)
                .await?;
            acked += 1;
        }
    }
    Ok(acked)
}

/// Run a consumer until `stop` flips, backing off while Redis is down.
pub async fn run_consumer<F, Fut, E>(
    redis: Redis,
    group: &'static str,
    handler: F,
    mut stop: tokio::sync::watch::Receiver<bool>,
) where
    F: Fn(Event) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let consumer = format!("{}-{}", std::process::id(), Uuid::now_v7().simple());
    let mut backoff = Duration::from_millis(100);
    let mut conn: Option<redis::aio::MultiplexedConnection> = None;
    loop {
        if conn.is_none() {
            match redis.dedicated().await {
                Ok(c) => conn = Some(c),
                Err(err) => {
                    tracing::warn!(group, error = %err, "event consumer cannot connect to Redis");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = stop.wait_for(|s| *s) => return,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let pass = consume_once(
            &redis,
            c,
            group,
            &consumer,
            Duration::from_millis(500),
            &handler,
        );
        let res = tokio::select! {
            res = pass => res,
            _ = stop.wait_for(|s| *s) => return,
        };
        match res {
            Ok(_) => backoff = Duration::from_millis(100),
            Err(err) => {
                tracing::warn!(group, error = %err, "event consumer cannot read the stream");
                conn = None;
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}
