//! Consuming the event streams: a consumer group per purpose (cache invalidation, search
//! indexing, statistics), delivery at least once.
//!
//! Each topic has its own stream ([`stream_key`]) and a consumer names the topics it
//! follows: it reads those streams only, in one `XREADGROUP`, so no group is handed,
//! parses and acknowledges events only to drop them (on one shared stream a checkout's
//! three events would be eighteen deliveries to six groups, four of them wanted). Events
//! of one topic come in the order they were published; a batch read
//! from several streams is put in publication order again to the millisecond (entry ids
//! are the Redis clock's), but a handler must not rely on the order of different topics
//! (a retried event comes late anyway). A handler must be idempotent; an event
//! whose handler fails stays pending and is retried once it has waited [`retry_delay`]
//! (100 ms, doubling with every delivery, at most 30 s): a pass comes round many times a
//! second on a busy stream, and retrying at once would spend a handler's attempts within
//! a short outage of what it depends on.
//!
//! Consumers are named per process (`<pid>-<uuid>`) and never come back under the same
//! name, so what a dead process had read but not acknowledged would stay pending forever.
//! A consumer therefore looks every [`CLAIM_SWEEP`] for entries that have sat
//! unacknowledged for [`CLAIM_IDLE`], whoever holds them, and retries them as its own. A handler slower than
//! that may see its entry handled twice, which at-least-once delivery allows anyway.

use crate::kv::Redis;
use crate::outbox::stream_key;
use redis::streams::{
    StreamAutoClaimReply, StreamClaimReply, StreamId, StreamKey, StreamPendingCountReply,
    StreamReadOptions, StreamReadReply,
};
use std::future::Future;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long an entry may sit read but unacknowledged before another consumer of the group
/// takes it over: well past any handler's normal run, so a live consumer keeps its work.
pub const CLAIM_IDLE: Duration = Duration::from_secs(30);

/// How long an idle consumer's read waits for new entries; well inside the response
/// timeout of its connection, so a quiet stream is not an error.
pub const READ_BLOCK: Duration = Duration::from_millis(500);
const _: () =
    assert!(READ_BLOCK.as_millis() * 2 < crate::kv::BLOCKING_RESPONSE_TIMEOUT.as_millis());

/// Entries read, retried or taken over per pass and stream.
const BATCH: usize = 200;

/// How long a consumer lets the stream gather after a pass that handled fewer entries
/// than a full read, before it reads again. The relay adds a poll's events in one
/// pipeline, and the first of them wakes a blocked read before the rest are there: under
/// the checkout benchmark each of the six groups read (and acknowledged) about 136 times a
/// second, two reads per relay poll, most for a handful of events. An event still reaches
/// its consumers within a few tens of milliseconds of its commit.
pub const GATHER: Duration = Duration::from_millis(20);

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

/// Create `group` on the stream `key` (and the stream) unless it is there; from the
/// stream's start, so that events published before the group existed reach it too.
async fn ensure_group(redis: &Redis, key: &str, group: &str) -> redis::RedisResult<()> {
    let mut conn = redis.conn();
    let res: redis::RedisResult<()> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(key)
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
/// (`XCLAIM` to itself, which counts the delivery and restarts the idle clock), and how
/// many entries it holds pending in all (up to a batch).
async fn due_retries(
    conn: &mut redis::aio::MultiplexedConnection,
    key: &str,
    group: &str,
    consumer: &str,
) -> redis::RedisResult<(Vec<StreamId>, usize)> {
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
        return Ok((Vec::new(), pending.ids.len()));
    }
    let claimed: StreamClaimReply = redis::cmd("XCLAIM")
        .arg(key)
        .arg(group)
        .arg(consumer)
        .arg(0)
        .arg(&due)
        .query_async(conn)
        .await?;
    Ok((claimed.ids, pending.ids.len()))
}

/// New entries of the streams `keys` for `consumer`, each with its key's index, waiting
/// up to `block` for some (`None`: not at all).
async fn read_new(
    conn: &mut redis::aio::MultiplexedConnection,
    keys: &[String],
    group: &str,
    consumer: &str,
    block: Option<Duration>,
) -> redis::RedisResult<Vec<(usize, StreamId)>> {
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
        .arg(keys)
        .arg(vec![">"; keys.len()])
        .query_async(conn)
        .await?;
    Ok(reply
        .map(|r| {
            r.keys
                .into_iter()
                .filter_map(|StreamKey { key, ids }| {
                    let at = keys.iter().position(|k| *k == key)?;
                    Some(ids.into_iter().map(move |id| (at, id)))
                })
                .flatten()
                .collect()
        })
        .unwrap_or_default())
}

/// An entry id's place in publication order: (milliseconds, sequence). Every stream's
/// ids come from the same Redis clock, so ids of different streams compare to the
/// millisecond (within one, each stream counts its own sequence).
fn id_order(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    (ms.parse().unwrap_or(0), seq.parse().unwrap_or(0))
}

fn parse(entry: &StreamId) -> Option<Event> {
    Some(Event {
        event_id: field(&entry.map, "event_id")?.parse().ok()?,
        topic: field(&entry.map, "topic")?,
        aggregate_id: field(&entry.map, "aggregate_id")?.parse().ok()?,
        payload: serde_json::from_str(&field(&entry.map, "payload")?).ok()?,
    })
}

/// How often a consumer looks for entries other consumers left idle: taking over needs
/// them idle for [`CLAIM_IDLE`] anyway, and looking on every pass was two of its five
/// Redis round trips.
pub const CLAIM_SWEEP: Duration = Duration::from_secs(5);

/// One consumer of a group, and what it remembers between passes so that a pass on a busy
/// stream is one read and one acknowledgement.
#[derive(Debug)]
pub struct Consumer {
    group: String,
    name: String,
    /// The topics it follows: one stream each.
    topics: Vec<String>,
    group_ready: bool,
    sweep_every: Duration,
    next_sweep: Instant,
    /// Whether this consumer may hold pending entries (a failed handler, a pass cut short):
    /// only then is its pending list read for retries that are due.
    may_hold_pending: bool,
}

impl Consumer {
    /// Consumer `name` of `group`, reading the streams of `topics`.
    pub fn new(group: &str, name: &str, topics: &[&str]) -> Self {
        Self {
            group: group.to_owned(),
            name: name.to_owned(),
            topics: topics.iter().map(|t| (*t).to_owned()).collect(),
            group_ready: false,
            sweep_every: CLAIM_SWEEP,
            next_sweep: Instant::now(),
            may_hold_pending: true,
        }
    }

    /// Look for idle entries of other consumers this often (default [`CLAIM_SWEEP`]).
    pub fn sweep_every(mut self, every: Duration) -> Self {
        self.sweep_every = every;
        self
    }

    /// Read and handle one batch: entries left idle by any consumer for [`CLAIM_IDLE`]
    /// (taken over as this consumer's; looked for every [`CLAIM_SWEEP`]), then this
    /// consumer's failed entries that are due again, then new ones, blocking up to
    /// `block`. The handler gets one event at a time. Returns how many were acknowledged.
    pub async fn pass<F, Fut, E>(
        &mut self,
        redis: &Redis,
        conn: &mut redis::aio::MultiplexedConnection,
        block: Duration,
        handler: &F,
    ) -> redis::RedisResult<usize>
    where
        F: Fn(Event) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let batch = |events| one_by_one(handler, events);
        self.pass_batch(redis, conn, block, &batch).await
    }

    /// [`Consumer::pass`] with a handler that gets every event of the pass at once and
    /// answers with one outcome per event, in order (a missing outcome counts as a
    /// failure). The entries whose outcome is `Ok` are acknowledged together, after the
    /// handler returns; the others stay pending and are retried.
    pub async fn pass_batch<B, Fut, E>(
        &mut self,
        redis: &Redis,
        conn: &mut redis::aio::MultiplexedConnection,
        block: Duration,
        handler: &B,
    ) -> redis::RedisResult<usize>
    where
        B: Fn(Vec<Event>) -> Fut,
        Fut: Future<Output = Vec<Result<(), E>>>,
        E: std::fmt::Display,
    {
        // Until it returns, a pass may leave entries read but unacknowledged.
        let may_hold_pending = std::mem::replace(&mut self.may_hold_pending, true);
        // Until it returns, the group counts as unknown: after any failure (Redis may have
        // restarted empty) the next pass makes sure of it again.
        let group_ready = std::mem::replace(&mut self.group_ready, false);
        let (group, consumer) = (self.group.as_str(), self.name.as_str());
        let keys: Vec<String> = self.topics.iter().map(|t| stream_key(redis, t)).collect();
        if !group_ready {
            for key in &keys {
                ensure_group(redis, key, group).await?;
            }
        }
        // Each entry with the index of its stream's key.
        let mut entries: Vec<(usize, StreamId)> = Vec::new();
        if Instant::now() >= self.next_sweep {
            let mut full = false;
            for (at, key) in keys.iter().enumerate() {
                let claimed = claim_idle(conn, key, group, consumer, CLAIM_IDLE).await?;
                full |= claimed.len() >= BATCH;
                entries.extend(claimed.into_iter().map(|e| (at, e)));
            }
            // A full batch may have more behind it: look again on the next pass.
            self.next_sweep = Instant::now()
                + if full {
                    Duration::ZERO
                } else {
                    self.sweep_every
                };
            if !entries.is_empty() {
                tracing::info!(
                    group,
                    consumer,
                    claimed = entries.len(),
                    "took over entries idle on other consumers"
                );
            }
        }
        let mut still_pending = false;
        if may_hold_pending || !entries.is_empty() {
            for (at, key) in keys.iter().enumerate() {
                let (due, pending) = due_retries(conn, key, group, consumer).await?;
                still_pending |= pending > due.len();
                entries.extend(due.into_iter().map(|e| (at, e)));
            }
        }
        // With retries at hand, new entries are taken as they are, without waiting for more.
        let wait = entries.is_empty().then_some(block);
        entries.extend(read_new(conn, &keys, group, consumer, wait).await?);
        entries.sort_by_key(|(_, e)| id_order(&e.id));
        // Acknowledged ids by stream.
        let mut done: Vec<Vec<&str>> = vec![Vec::new(); keys.len()];
        let mut handed: Vec<(usize, &str)> = Vec::with_capacity(entries.len());
        let mut events = Vec::with_capacity(entries.len());
        for (at, entry) in &entries {
            match parse(entry) {
                Some(ev) => {
                    handed.push((*at, &entry.id));
                    events.push(ev);
                }
                // Unreadable entries are acknowledged: retrying cannot fix them.
                None => {
                    tracing::warn!(id = %entry.id, "dropping malformed event");
                    done[*at].push(&entry.id);
                }
            }
        }
        if !events.is_empty() {
            let mut outcomes = handler(events).await.into_iter();
            for (at, id) in handed {
                match outcomes.next() {
                    Some(Ok(())) => done[at].push(id),
                    Some(Err(err)) => {
                        tracing::warn!(id, group, error = %err, "event handler failed; will retry");
                        still_pending = true;
                    }
                    None => {
                        tracing::warn!(id, group, "event handler gave no outcome; will retry");
                        still_pending = true;
                    }
                }
            }
        }
        // One acknowledgement for each stream the batch came from, in one round trip.
        let mut acks = redis::pipe();
        for (key, ids) in keys.iter().zip(&done).filter(|(_, ids)| !ids.is_empty()) {
            acks.cmd("XACK").arg(key).arg(group).arg(ids).ignore();
        }
        let acknowledged = done.iter().map(Vec::len).sum();
        if acknowledged > 0 {
            acks.query_async::<()>(conn).await?;
        }
        self.may_hold_pending = still_pending;
        self.group_ready = true;
        Ok(acknowledged)
    }
}

/// Hands `handler` the events of a batch one at a time, in order: how every consumer
/// that does not batch is served by [`Consumer::pass_batch`].
async fn one_by_one<F, Fut, E>(handler: &F, events: Vec<Event>) -> Vec<Result<(), E>>
where
    F: Fn(Event) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    let mut outcomes = Vec::with_capacity(events.len());
    for ev in events {
        outcomes.push(handler(ev).await);
    }
    outcomes
}

/// [`run_consumer`] for a handler that works with the app's state: each event is handed
/// a clone of it.
pub async fn run_app_consumer<F, Fut, E>(
    state: crate::AppState,
    group: &'static str,
    topics: &[&str],
    handler: F,
    stop: tokio::sync::watch::Receiver<bool>,
) where
    F: Fn(crate::AppState, Event) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let redis = state.redis.clone();
    run_consumer(
        redis,
        group,
        topics,
        move |ev| handler(state.clone(), ev),
        stop,
    )
    .await;
}

/// Run a consumer until `stop` flips, backing off while Redis is down; the handler gets
/// one event at a time.
pub async fn run_consumer<F, Fut, E>(
    redis: Redis,
    group: &'static str,
    topics: &[&str],
    handler: F,
    stop: tokio::sync::watch::Receiver<bool>,
) where
    F: Fn(Event) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let handler = &handler;
    run_batch_consumer(
        redis,
        group,
        topics,
        |events| one_by_one(handler, events),
        stop,
    )
    .await;
}

/// [`run_consumer`] with a batch handler ([`Consumer::pass_batch`]): every event one read
/// (and the retries due) returned is handed over at once, and those it handled are
/// acknowledged together afterwards. Under load a pass reads what arrived while the
/// previous batch was handled, and after a batch short of a full read it waits [`GATHER`]
/// before reading again, so batches grow with the load by themselves, up to 200 (plus
/// retries); on a quiet stream an event is handed over alone, as soon as it is read.
pub async fn run_batch_consumer<B, Fut, E>(
    redis: Redis,
    group: &'static str,
    topics: &[&str],
    handler: B,
    mut stop: tokio::sync::watch::Receiver<bool>,
) where
    B: Fn(Vec<Event>) -> Fut,
    Fut: Future<Output = Vec<Result<(), E>>>,
    E: std::fmt::Display,
{
    let mut consumer = Consumer::new(
        group,
        &format!("{}-{}", std::process::id(), Uuid::now_v7().simple()),
        topics,
    );
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
        let pass = consumer.pass_batch(&redis, c, READ_BLOCK, &handler);
        let res = tokio::select! {
            res = pass => res,
            _ = stop.wait_for(|s| *s) => return,
        };
        match res {
            Ok(handled) => {
                backoff = Duration::from_millis(100);
                if handled > 0 && handled < BATCH {
                    tokio::select! {
                        _ = tokio::time::sleep(GATHER) => {}
                        _ = stop.wait_for(|s| *s) => return,
                    }
                }
            }
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
