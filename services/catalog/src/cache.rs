//! Redis cache of hot storefront reads. Never the source of truth: every entry can be
//! rebuilt from Postgres, a miss or a Redis failure just reads Postgres, and writes
//! invalidate (directly after commit, and again from the event stream).
//!
//! Keys: `cache:product:{id}`, `cache:vendor:{id}`, `cache:categories`, and list pages
//! under a generation number (`cache:products:gen`) that any catalog change bumps, which
//! retires every cached list at once without scanning keys.

use platform::AppState;
use platform::kv::Redis;
use serde::Serialize;
use std::future::Future;
use uuid::Uuid;

pub const TTL_SECS: u64 = 300;

pub fn product_key(id: Uuid) -> String {
    format!("cache:product:{id}")
}
pub fn vendor_key(id: Uuid) -> String {
    format!("cache:vendor:{id}")
}
pub const CATEGORIES_KEY: &str = "cache:categories";
const LIST_GEN_KEY: &str = "cache:products:gen";

/// Cached JSON bytes for `key`, or `load` them from Postgres and cache them.
/// Returns the serialised body so a hit is served without deserialising.
pub async fn get_or_load<T, E, F, Fut>(
    state: &AppState,
    key: &str,
    load: F,
) -> Result<Option<bytes::Bytes>, E>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    if !state.config.storefront_cache {
        return Ok(load()
            .await?
            .map(|v| bytes::Bytes::from(serde_json::to_vec(&v).unwrap_or_default())));
    }
    let redis = &state.redis;
    let full = redis.key(key);
    let mut conn = redis.conn();
    match redis::cmd("GET")
        .arg(&full)
        .query_async::<Option<Vec<u8>>>(&mut conn)
        .await
    {
        Ok(Some(hit)) => return Ok(Some(bytes::Bytes::from(hit))),
        Ok(None) => {}
        Err(err) => tracing::debug!(error = %err, "cache unavailable; reading Postgres"),
    }
    let Some(value) = load().await? else {
        return Ok(None);
    };
    let body = serde_json::to_vec(&value).unwrap_or_default();
    let _: redis::RedisResult<()> = redis::cmd("SET")
        .arg(&full)
        .arg(&body)
        .arg("EX")
        .arg(TTL_SECS)
        .query_async(&mut conn)
        .await;
    Ok(Some(bytes::Bytes::from(body)))
}

/// The key of a list page: the current generation plus the query.
pub async fn list_key(redis: &Redis, query: &impl Serialize) -> Option<String> {
    let mut conn = redis.conn();
    let generation: i64 = redis::cmd("GET")
        .arg(redis.key(LIST_GEN_KEY))
        .query_async::<Option<i64>>(&mut conn)
        .await
        .ok()?
        .unwrap_or(0);
    let q = serde_json::to_string(query).ok()?;
    Some(format!("cache:products:{generation}:{q}"))
}

async fn del(redis: &Redis, keys: &[String]) {
    let mut conn = redis.conn();
    let mut pipe = redis::pipe();
    for k in keys {
        pipe.cmd("DEL").arg(redis.key(k)).ignore();
    }
    pipe.cmd("INCR").arg(redis.key(LIST_GEN_KEY)).ignore();
    if let Err(err) = pipe.query_async::<()>(&mut conn).await {
        tracing::warn!(error = %err, "cache invalidation failed; entries expire by TTL");
    }
}

pub async fn invalidate_products(redis: &Redis, ids: &[Uuid]) {
    let keys: Vec<String> = ids.iter().map(|id| product_key(*id)).collect();
    del(redis, &keys).await;
}

pub async fn invalidate_vendor(redis: &Redis, vendor_id: Uuid, product_ids: &[Uuid]) {
    let mut keys: Vec<String> = product_ids.iter().map(|id| product_key(*id)).collect();
    keys.push(vendor_key(vendor_id));
    del(redis, &keys).await;
}

pub async fn invalidate_categories(redis: &Redis) {
    del(redis, &[CATEGORIES_KEY.to_owned()]).await;
}

pub async fn get_list(redis: &Redis, key: &str) -> Option<bytes::Bytes> {
    let mut conn = redis.conn();
    redis::cmd("GET")
        .arg(redis.key(key))
        .query_async::<Option<Vec<u8>>>(&mut conn)
        .await
        .ok()
        .flatten()
        .map(bytes::Bytes::from)
}

pub async fn put_list(redis: &Redis, key: &str, body: &[u8]) {
    let mut conn = redis.conn();
    let _: redis::RedisResult<()> = redis::cmd("SET")
        .arg(redis.key(key))
        .arg(body)
        .arg("EX")
        .arg(60)
        .query_async(&mut conn)
        .await;
}
