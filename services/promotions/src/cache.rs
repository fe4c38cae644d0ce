//! Redis cache of the public campaign reads. Never the source of truth: a miss or a Redis
//! failure reads Postgres.
//!
//! Keys carry a generation number (`promotions:cache:gen`) that every promotions change
//! bumps — directly after its commit, and again from the event stream for changes made
//! by other processes or services (a product renamed or archived in the catalog) — which
//! retires every cached page at once without scanning keys. Pages are also keyed by the
//! minute they were built for, so a campaign's boundary is never served from a page built
//! before it.

use crate::topics;
use chrono::{DateTime, Utc};
use platform::kv::Redis;
use platform::local_cache::LocalKey;

const GEN_KEY: &str = "promotions:cache:gen";
/// A page is built for one minute; it lives a little longer so a clock skew between
/// processes does not miss.
const TTL_SECS: u64 = 120;

/// The current generation, `None` when Redis does not answer.
pub(crate) async fn generation(redis: &Redis) -> Option<i64> {
    let mut conn = redis.conn();
    redis::cmd("GET")
        .arg(redis.key(GEN_KEY))
        .query_async::<Option<i64>>(&mut conn)
        .await
        .ok()
        .map(|g| g.unwrap_or(0))
}

/// The key of the campaign page `slug` as of `at`'s minute (None when Redis is down).
pub async fn page_key(redis: &Redis, slug: &str, at: DateTime<Utc>) -> Option<String> {
    let g = generation(redis).await?;
    Some(format!(
        "promotions:cache:{g}:campaign:{slug}:{}",
        at.timestamp().div_euclid(60)
    ))
}

/// The key of the campaign list as of `at`'s minute.
pub async fn list_key(redis: &Redis, at: DateTime<Utc>) -> Option<String> {
    let g = generation(redis).await?;
    Some(format!(
        "promotions:cache:{g}:campaigns:{}",
        at.timestamp().div_euclid(60)
    ))
}

/// This process's key for the campaign page `slug` as of `at`'s minute: its copy lives
/// under a second ([`platform::local_cache`]), and [`invalidate`] drops it here at once.
pub async fn local_page_key(redis: &Redis, slug: &str, at: DateTime<Utc>) -> LocalKey {
    redis
        .local_key(&format!(
            "promotions:cache:local:campaign:{slug}:{}",
            at.timestamp().div_euclid(60)
        ))
        .await
}

pub fn get_local(redis: &Redis, local_key: &LocalKey) -> Option<bytes::Bytes> {
    redis.local().lists.get(local_key).map(|c| c.body)
}

pub fn put_local(redis: &Redis, local_key: &LocalKey, body: bytes::Bytes) {
    redis
        .local()
        .lists
        .put(local_key, platform::local_cache::Cached::new(body, None));
}

pub async fn get(redis: &Redis, key: &str) -> Option<Vec<u8>> {
    let mut conn = redis.conn();
    match redis::cmd("GET")
        .arg(redis.key(key))
        .query_async::<Option<Vec<u8>>>(&mut conn)
        .await
    {
        Ok(v) => v,
        Err(err) => {
            tracing::debug!(error = %err, "cache unavailable; reading Postgres");
            None
        }
    }
}

pub async fn put(redis: &Redis, key: &str, body: &[u8]) {
    let mut conn = redis.conn();
    let _: redis::RedisResult<()> = redis::cmd("SET")
        .arg(redis.key(key))
        .arg(body)
        .arg("EX")
        .arg(TTL_SECS)
        .query_async(&mut conn)
        .await;
}

/// Retire every cached campaign read.
pub async fn invalidate(redis: &Redis) {
    redis.local().lists.clear();
    redis.local().promotions.bump();
    let mut conn = redis.conn();
    let mut pipe = redis::pipe();
    pipe.cmd("INCR").arg(redis.key(GEN_KEY)).ignore();
    redis.bump_local_generation(&mut pipe);
    if let Err(err) = pipe.query_async::<()>(&mut conn).await {
        tracing::warn!(error = %err, "campaign cache invalidation failed; pages expire by TTL");
    }
}

/// The consumer group that keeps the cache in step with the event stream.
pub const GROUP: &str = "promotions-cache";

/// Topics after which cached campaign pages may be stale: every promotions topic, and
/// the catalog's changes a campaign page shows.
pub const TOPICS: &[&str] = &[
    topics::CAMPAIGN_CHANGED,
    topics::CAMPAIGN_SCHEDULED,
    topics::CAMPAIGN_LIVE,
    topics::CAMPAIGN_ENDED,
    topics::PRICES_CHANGED,
    topics::COUPON_CHANGED,
    topics::STACKING_POLICY_CHANGED,
    catalog::topics::PRODUCT_UPDATED,
    catalog::topics::PRODUCT_ARCHIVED,
    catalog::topics::VENDOR_SUSPENDED,
    catalog::topics::VENDOR_APPROVED,
];
