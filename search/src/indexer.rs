//! The indexer keeps the search index in step with the catalog by following the event
//! stream in the consumer group [`GROUP`].
//!
//! Events only say *what* changed; the indexer always reloads the current state from
//! Postgres and writes (or deletes) whole documents. That makes every handler idempotent
//! and order-insensitive: applying an event twice, late, or out of order leaves the index
//! as the catalog is now.
//!
//! Campaign events (promotions) refresh every product the campaign names or its rules
//! match — window ignored, so an ended campaign still reaches its products — and every
//! product whose document still lists the campaign, which catches products that left it
//! (a removed slot, a narrowed rule).
//!
//! The events of one read of the stream are handled as one batch ([`handle_batch`]):
//! their products are loaded and written together, and the batch is acknowledged once
//! it is written.
//!
//! A failing event stays pending and `platform::events::run_batch_consumer` retries it once
//! its delay (`platform::events::retry_delay`: 100 ms, doubling) has passed; after
//! [`MAX_ATTEMPTS`] failures it is copied to the dead-letter stream
//! `<prefix>events:dead` and acknowledged, so one poisoned event cannot stall the rest.

use crate::backend::SearchBackend;
use crate::documents;
use crate::error::{SearchError, SearchResult};
use crate::query::{Filters, MAX_LIMIT, SearchQuery, Sort};
use catalog::{stock, topics};
use platform::AppState;
use platform::events::{self, Event};
use platform::kv::Redis;
use platform::outbox::stream_key;
use promotions::topics as promo;
use sea_orm::ConnectionTrait;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

pub const GROUP: &str = "search-indexer";
/// Failures after which an event goes to the dead-letter stream.
pub const MAX_ATTEMPTS: i64 = 5;
/// How often the lag gauge is refreshed.
pub const LAG_INTERVAL: Duration = Duration::from_secs(5);
/// Products loaded per round trip when one event touches many.
const PRODUCT_CHUNK: usize = 500;
/// Products written per backend write (and held in memory) when one event touches many.
const WRITE_GROUP: usize = 5_000;
/// How long a failure count is kept: long enough to span every retry of an event.
const FAILURE_TTL_SECS: i64 = 24 * 3600;

/// The dead-letter stream.
pub fn dead_letter_key(redis: &Redis) -> String {
    redis.key("events:dead")
}

fn failures_key(redis: &Redis, event_id: Uuid) -> String {
    redis.key(&format!("search:indexer:failures:{event_id}"))
}

/// Bring the index in line with the catalog for `ids`: visible products are written,
/// the rest deleted. Returns (written, deleted).
pub async fn sync_products(
    db: &impl ConnectionTrait,
    backend: &dyn SearchBackend,
    ids: &[Uuid],
) -> SearchResult<(usize, usize)> {
    // Loaded in chunks, written together (up to WRITE_GROUP products): a backend whose
    // writes are queued (Meilisearch) then sends them all and waits once, rather than
    // once per chunk and kind.
    let (mut written, mut deleted) = (0, 0);
    for group in ids.chunks(WRITE_GROUP) {
        let mut upserts = Vec::new();
        let mut deletes = Vec::new();
        for chunk in group.chunks(PRODUCT_CHUNK) {
            for (id, doc) in documents::load(db, chunk).await? {
                match doc {
                    Some(d) => upserts.push(d),
                    None => deletes.push(id),
                }
            }
        }
        backend.apply(&upserts, &deletes).await?;
        written += upserts.len();
        deleted += deletes.len();
    }
    Ok((written, deleted))
}

async fn products_of_vendor(db: &impl ConnectionTrait, vendor_id: Uuid) -> SearchResult<Vec<Uuid>> {
    // Every status: a suspension must delete the products that were visible.
    Ok(catalog::listing::products_of_vendor(db, vendor_id).await?)
}

async fn products_in_category(
    db: &impl ConnectionTrait,
    category_id: Uuid,
) -> SearchResult<Vec<Uuid>> {
    Ok(catalog::listing::products_in_category(db, category_id).await?)
}

/// Ids of the products whose indexed document lists `campaign_id`, through the backend's
/// own search so that it works on every backend. Search pages stop at
/// [`crate::query::MAX_RESULTS`]; past that, a product that left the campaign keeps it in
/// its document until its own next event or a `jikgu reindex`.
async fn indexed_in_campaign(
    backend: &dyn SearchBackend,
    campaign_id: Uuid,
) -> SearchResult<Vec<Uuid>> {
    let mut query = SearchQuery {
        filters: Filters {
            campaign: Some(campaign_id),
            ..Filters::default()
        },
        // A sort that popularity updates cannot reshuffle between pages.
        sort: Sort::Newest,
        limit: MAX_LIMIT,
        ..SearchQuery::default()
    };
    let mut ids = Vec::new();
    loop {
        let page = backend.search(&query).await?;
        ids.extend(page.hits.iter().map(|h| h.id));
        match page.next_cursor {
            Some(cursor) => query = query.with_cursor(&cursor)?,
            None => return Ok(ids),
        }
    }
}

/// Everything a campaign event may have changed: the campaign's products now, and those
/// the index still files under it.
async fn products_of_campaign(
    db: &impl ConnectionTrait,
    backend: &dyn SearchBackend,
    campaign_id: Uuid,
) -> SearchResult<Vec<Uuid>> {
    let mut ids = promotions::membership::products_of_campaign(db, campaign_id).await?;
    ids.extend(indexed_in_campaign(backend, campaign_id).await?);
    ids.sort();
    ids.dedup();
    Ok(ids)
}

fn payload_uuid(payload: &serde_json::Value, key: &str) -> Option<Uuid> {
    payload.get(key)?.as_str()?.parse().ok()
}

/// A price or deal event names the products it touched (`product_ids`); only their
/// membership can have changed, so only they are refreshed. The aggregate is the campaign
/// for a campaign price but the deal for a time deal, hence `campaign_id` from the payload
/// when an event names no products.
async fn products_of_price_event(
    db: &impl ConnectionTrait,
    backend: &dyn SearchBackend,
    ev: &Event,
) -> SearchResult<Vec<Uuid>> {
    if let Some(listed) = ev.payload.get("product_ids").and_then(|v| v.as_array()) {
        return Ok(listed
            .iter()
            .filter_map(|v| v.as_str()?.parse().ok())
            .collect());
    }
    match payload_uuid(&ev.payload, "campaign_id") {
        Some(campaign_id) => products_of_campaign(db, backend, campaign_id).await,
        None => Ok(Vec::new()),
    }
}

/// The promotions topics the index follows beside every catalog topic
/// ([`catalog::topics::ALL`]): every one [`affected`] names.
const PROMOTIONS_TOPICS: [&str; 5] = [
    promo::CAMPAIGN_CHANGED,
    promo::CAMPAIGN_SCHEDULED,
    promo::CAMPAIGN_LIVE,
    promo::CAMPAIGN_ENDED,
    promo::PRICES_CHANGED,
];

/// The topics the index follows.
pub fn topics() -> Vec<&'static str> {
    [topics::ALL.as_slice(), &PROMOTIONS_TOPICS].concat()
}

/// The products an event may have changed (none for topics the index does not follow,
/// and for stock events that leave units on the shelf).
async fn affected(
    state: &AppState,
    backend: &dyn SearchBackend,
    ev: &Event,
) -> SearchResult<Vec<Uuid>> {
    Ok(match ev.topic.as_str() {
        // Reservations and sales that leave units on the shelf: each would otherwise cost a
        // document load and an upsert.
        topics::STOCK_CHANGED if !stock::in_stock_may_have_changed(&ev.payload) => Vec::new(),
        topics::PRODUCT_CREATED
        | topics::PRODUCT_UPDATED
        | topics::PRODUCT_ARCHIVED
        | topics::STOCK_CHANGED => vec![ev.aggregate_id],
        // Trade name, approval and badges are on every product of the vendor.
        topics::VENDOR_APPROVED
        | topics::VENDOR_SUSPENDED
        | topics::VENDOR_UPDATED
        | topics::CERTIFICATION_CHANGED => products_of_vendor(&state.db, ev.aggregate_id).await?,
        // A moved category changes the ancestors of everything below it.
        topics::CATEGORY_CHANGED => products_in_category(&state.db, ev.aggregate_id).await?,
        // The aggregate of every campaign event is the campaign.
        promo::CAMPAIGN_CHANGED
        | promo::CAMPAIGN_SCHEDULED
        | promo::CAMPAIGN_LIVE
        | promo::CAMPAIGN_ENDED => {
            products_of_campaign(&state.db, backend, ev.aggregate_id).await?
        }
        promo::PRICES_CHANGED => products_of_price_event(&state.db, backend, ev).await?,
        _ => Vec::new(),
    })
}

/// Apply one event to the index.
#[tracing::instrument(skip_all, fields(topic = %ev.topic, aggregate_id = %ev.aggregate_id))]
pub async fn handle(state: &AppState, backend: &dyn SearchBackend, ev: &Event) -> SearchResult<()> {
    let ids = affected(state, backend, ev).await?;
    if !ids.is_empty() {
        sync_products(&state.db, backend, &ids).await?;
    }
    Ok(())
}

/// Apply several events as one write: the products of every event, each once, are
/// loaded and written together (one document batch and one wait on Meilisearch, one
/// upsert statement on Postgres, up to [`WRITE_GROUP`] products). Returns one outcome
/// per event, in order.
///
/// Merging is sound because a write never depends on its event, only on the catalog as
/// it is now. An event whose products cannot be found out fails alone. If the common
/// write fails, each event is tried again on its own, so that one document the engine
/// refuses fails only its own events, not every event that shared its batch.
#[tracing::instrument(skip_all, fields(events = events.len()))]
pub async fn handle_batch(
    state: &AppState,
    backend: &dyn SearchBackend,
    events: &[Event],
) -> Vec<SearchResult<()>> {
    let mut outcomes = Vec::with_capacity(events.len());
    let mut ids = Vec::new();
    for ev in events {
        outcomes.push(
            affected(state, backend, ev)
                .await
                .map(|found| ids.extend(found)),
        );
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return outcomes;
    }
    let Err(err) = sync_products(&state.db, backend, &ids).await else {
        return outcomes;
    };
    let resolved = outcomes.iter().filter(|o| o.is_ok()).count();
    if resolved <= 1 {
        // The one event whose products were written gets the write's error.
        let mut err = Some(err);
        return outcomes
            .into_iter()
            .map(|o| o.and_then(|()| err.take().map_or(Ok(()), Err)))
            .collect();
    }
    tracing::warn!(error = %err, events = resolved, "a batch write failed; writing its events one by one");
    let mut retried = Vec::with_capacity(events.len());
    for (ev, outcome) in events.iter().zip(outcomes) {
        retried.push(match outcome {
            Ok(()) => handle(state, backend, ev).await,
            failed => failed,
        });
    }
    retried
}

/// Count a failure of `event_id`; returns how many there have been.
async fn record_failure(redis: &Redis, event_id: Uuid) -> redis::RedisResult<i64> {
    let key = failures_key(redis, event_id);
    let mut conn = redis.conn();
    let (n,): (i64,) = redis::pipe()
        .atomic()
        .cmd("INCR")
        .arg(&key)
        .cmd("EXPIRE")
        .arg(&key)
        .arg(FAILURE_TTL_SECS)
        .ignore()
        .query_async(&mut conn)
        .await?;
    Ok(n)
}

async fn dead_letter(
    redis: &Redis,
    ev: &Event,
    attempts: i64,
    err: &SearchError,
) -> redis::RedisResult<()> {
    let mut conn = redis.conn();
    redis::pipe()
        .atomic()
        .cmd("XADD")
        .arg(dead_letter_key(redis))
        .arg("MAXLEN")
        .arg("~")
        .arg(100_000)
        .arg("*")
        .arg("event_id")
        .arg(ev.event_id.to_string())
        .arg("topic")
        .arg(&ev.topic)
        .arg("aggregate_id")
        .arg(ev.aggregate_id.to_string())
        .arg("payload")
        .arg(ev.payload.to_string())
        .arg("group")
        .arg(GROUP)
        .arg("attempts")
        .arg(attempts)
        .arg("error")
        .arg(err.to_string())
        .arg("failed_at")
        .arg(chrono::Utc::now().to_rfc3339())
        .ignore()
        .cmd("DEL")
        .arg(failures_key(redis, ev.event_id))
        .ignore()
        .query_async::<()>(&mut conn)
        .await
}

/// Handle an event; on the [`MAX_ATTEMPTS`]th failure dead-letter it and report success
/// so that it is acknowledged. Any other failure is returned and the event retried.
pub async fn process(state: &AppState, backend: &dyn SearchBackend, ev: Event) -> SearchResult<()> {
    let outcome = handle(state, backend, &ev).await;
    settle(state, &ev, outcome).await
}

/// [`process`] for the events of one read: handled together ([`handle_batch`]), then
/// each failure counted (and dead-lettered) on its own.
pub async fn process_batch(
    state: &AppState,
    backend: &dyn SearchBackend,
    events: Vec<Event>,
) -> Vec<SearchResult<()>> {
    let outcomes = handle_batch(state, backend, &events).await;
    metrics::histogram!("search_indexer_batch_events").record(events.len() as f64);
    let mut settled = Vec::with_capacity(events.len());
    for (ev, outcome) in events.iter().zip(outcomes) {
        settled.push(settle(state, ev, outcome).await);
    }
    settled
}

/// What becomes of an event once handled: counted as done, retried, or dead-lettered
/// (and then reported as done, so that it is acknowledged).
async fn settle(state: &AppState, ev: &Event, outcome: SearchResult<()>) -> SearchResult<()> {
    let err = match outcome {
        Ok(()) => {
            metrics::counter!("search_indexer_events_total", "outcome" => "ok").increment(1);
            return Ok(());
        }
        Err(err) => err,
    };
    let attempts = match record_failure(&state.redis, ev.event_id).await {
        Ok(n) => n,
        Err(redis_err) => {
            // Cannot count: keep the event pending, which is always safe.
            tracing::warn!(event_id = %ev.event_id, error = %redis_err, "cannot count indexer failures");
            return Err(err);
        }
    };
    if attempts < MAX_ATTEMPTS {
        metrics::counter!("search_indexer_events_total", "outcome" => "retry").increment(1);
        return Err(err);
    }
    dead_letter(&state.redis, ev, attempts, &err).await?;
    metrics::counter!("search_indexer_events_total", "outcome" => "dead").increment(1);
    tracing::error!(event_id = %ev.event_id, topic = %ev.topic, attempts, error = %err,
        "search indexer gave up on an event; it is in the dead-letter stream");
    Ok(())
}

/// How far the indexer is behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lag {
    /// Entries in the stream the group has not read yet (Redis may not know: `None`).
    pub lag: Option<u64>,
    /// Entries read but not yet acknowledged (failing or in progress).
    pub pending: u64,
}

/// The group's lag summed over its topics' streams (`XINFO GROUPS` of each); `None`
/// before the group exists on any of them. A stream the group is not on yet counts whole
/// (the group reads it from its start once it is created there).
pub async fn lag(redis: &Redis) -> SearchResult<Option<Lag>> {
    use redis::AsyncCommands;
    use redis::streams::StreamInfoGroupsReply;
    let mut conn = redis.conn();
    let (mut found, mut pending) = (false, 0);
    // Unknown on any stream is unknown in all.
    let mut lag = Some(0);
    for topic in topics() {
        let key = stream_key(redis, topic);
        let info: StreamInfoGroupsReply = match conn.xinfo_groups(&key).await {
            Ok(info) => info,
            // A stream does not exist until its first event or consumer.
            Err(e) if e.to_string().contains("no such key") => continue,
            Err(e) => return Err(e.into()),
        };
        match info.groups.iter().find(|g| g.name == GROUP) {
            Some(g) => {
                found = true;
                lag = lag.zip(g.lag).map(|(a, b)| a + b as u64);
                pending += g.pending as u64;
            }
            None => {
                let len: u64 = conn.xlen(&key).await?;
                lag = lag.map(|a| a + len);
            }
        }
    }
    Ok(found.then_some(Lag { lag, pending }))
}

async fn report_lag(redis: Redis, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        match lag(&redis).await {
            Ok(Some(l)) => {
                if let Some(n) = l.lag {
                    metrics::gauge!("search_indexer_lag").set(n as f64);
                }
                metrics::gauge!("search_indexer_pending").set(l.pending as f64);
            }
            Ok(None) => metrics::gauge!("search_indexer_lag").set(0.0),
            Err(err) => tracing::debug!(error = %err, "cannot read the indexer lag"),
        }
        tokio::select! {
            _ = tokio::time::sleep(LAG_INTERVAL) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// Run the indexer until `stop` flips: the consumer, and the lag gauge beside it.
pub async fn run(
    state: AppState,
    backend: Arc<dyn SearchBackend>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let gauge = tokio::spawn(report_lag(state.redis.clone(), stop.clone()));
    // `run_consumer` reads on a connection of its own (a blocking XREADGROUP must not
    // stall the shared one); the handlers use the shared one.
    let redis = state.redis.clone();
    // Every event of one read is written as one batch: under load the events that arrived
    // while the last batch was written go out together.
    events::run_batch_consumer(
        redis,
        GROUP,
        &topics(),
        move |evs| {
            let state = state.clone();
            let backend = backend.clone();
            async move { process_batch(&state, backend.as_ref(), evs).await }
        },
        stop,
    )
    .await;
    let _ = gauge.await;
}
