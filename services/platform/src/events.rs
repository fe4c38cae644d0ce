//! Consuming the event stream: a consumer group per purpose (cache invalidation, search
//! indexing, statistics), delivery at least once. A handler must be idempotent; an event
//! whose handler fails stays pending and is retried on the next pass.
//!
//! Consumers are named per process (`<pid>-<uuid>`) and never come back under the same
//! name, so what a dead process had read but not acknowledged would stay pending forever.
//! Every pass therefore first takes over entries that have sat unacknowledged for
//! [`CLAIM_IDLE`], whoever holds them, and retries them as its own. A handler slower than
//! that may see its entry handled twice, which at-least-once delivery allows anyway.

use crate::kv::Redis;
use crate::outbox::stream_key;
use redis::streams::{StreamReadOptions, StreamReadReply};
use std::future::Future;
use std::time::Duration;
use uuid::Uuid;

/// How long an entry may sit read but unacknowledged before another consumer of the group
/// takes it over: well past any handler's normal run, so a live consumer keeps its work.
pub const CLAIM_IDLE: Duration = Duration::from_secs(30);

/// Entries taken over per pass, as many as one read handles.
const CLAIM_COUNT: usize = 200;

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

/// Make the entries of `group` that have been idle for at least `min_idle`, on any
/// consumer, pending entries of `consumer` (`XAUTOCLAIM`, one batch from the start of the
/// group's pending list; the rest follow on later passes). Returns how many were claimed.
async fn claim_idle(
    conn: &mut redis::aio::MultiplexedConnection,
    key: &str,
    group: &str,
    consumer: &str,
    min_idle: Duration,
) -> redis::RedisResult<usize> {
    // Reply: [next cursor, claimed entries, ids of deleted entries (Redis 7)]. Only the
    // count is needed: the claimed entries are read back below with this consumer's own.
    let reply: redis::Value = redis::cmd("XAUTOCLAIM")
        .arg(key)
        .arg(group)
        .arg(consumer)
        .arg(u64::try_from(min_idle.as_millis()).unwrap_or(u64::MAX))
        .arg("0-0")
        .arg("COUNT")
        .arg(CLAIM_COUNT)
        .query_async(conn)
        .await?;
    let claimed = match reply {
        redis::Value::Array(parts) => match parts.get(1) {
            Some(redis::Value::Array(entries)) => entries.len(),
            _ => 0,
        },
        _ => 0,
    };
    Ok(claimed)
}

/// Read and handle one batch: first entries left idle by any consumer for [`CLAIM_IDLE`]
/// (claimed as this consumer's), then this consumer's pending (failed) entries, then new
/// ones, blocking up to `block`. Returns how many were acknowledged.
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
    let claimed = claim_idle(conn, &key, group, consumer, CLAIM_IDLE).await?;
    if claimed > 0 {
        tracing::info!(
            group,
            consumer,
            claimed,
            "took over entries idle on other consumers"
        );
    }
    let mut acked = 0;
    for start in ["0", ">"] {
        let mut opts = StreamReadOptions::default()
            .group(group, consumer)
            .count(200);
        if start == ">" {
            opts = opts.block(block.as_millis() as usize);
        }
        let reply: Option<StreamReadReply> = redis::cmd("XREADGROUP")
            .arg(&opts)
            .arg("STREAMS")
            .arg(&key)
            .arg(start)
            .query_async(conn)
            .await?;
        let Some(reply) = reply else { continue };
        for stream in reply.keys {
            for entry in stream.ids {
                let event = (|| {
                    Some(Event {
                        event_id: field(&entry.map, "event_id")?.parse().ok()?,
                        topic: field(&entry.map, "topic")?,
                        aggregate_id: field(&entry.map, "aggregate_id")?.parse().ok()?,
                        payload: serde_json::from_str(&field(&entry.map, "payload")?).ok()?,
                    })
                })();
                let ok = match event {
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
