//! Redis cache of hot storefront reads. Never the source of truth: every entry can be
//! rebuilt from Postgres, a miss or a Redis failure just reads Postgres, and writes
//! invalidate (directly after commit, and again from the event stream).
//!
//! Keys: `cache:product:{id}`, `cache:vendor:{id}`, `cache:categories`, and list pages
//! under a generation number (`cache:products:gen`) that any catalog change bumps, which
//! retires every cached list at once without scanning keys.
//!
//! Product pages and lists show live campaign prices, which change without any catalog
//! change, in two ways, and each is covered:
//! - when a marketer edits a campaign, its prices or deals, or ends it early: promotions
//!   events bump a second generation, `cache:promotions:gen` (and the list generation).
//!   A product page is stored with the promotions generation it was built under and read
//!   together with the current one (one `MGET`); a page of an older generation is a miss.
//!   Bumping one counter is enough because such changes are rare and may touch any number
//!   of products (a membership rule covers a whole category), which no per-product
//!   invalidation could list cheaply; the generation is read *before* the page is built,
//!   so a change committed while it is built retires it too.
//! - when a window opens or closes, which no event announces at the instant: an entry
//!   never lives past the next start or end of a campaign or time deal that concerns it
//!   ([`crate::storefront::Priced::until`]).
//!
//! In front of Redis each process keeps the hottest answers itself
//! ([`platform::local_cache`]) for under a second: the invalidations below drop this
//! process's copies at once, and another replica's copies age out within the second. So
//! that a local copy of a Redis entry never outlives that entry's own deadline, entries
//! that may expire by themselves carry it: `{expires_ms}\n{json}`.

use crate::storefront::Priced;
use chrono::{DateTime, Utc};
use platform::AppState;
use platform::kv::Redis;
use platform::local_cache::{Cached, LocalKey, instant_at};
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
const PROMOTIONS_GEN_KEY: &str = "cache:promotions:gen";
/// How long a list page is kept at most.
const LIST_TTL_SECS: u64 = 60;

/// Until when (Unix milliseconds) an entry built at `now` may live: `max_secs` from now,
/// or `until` when it comes sooner (`None`: it is already out of date, do not store it).
///
/// An absolute expiry (`PXAT`), not a relative one: a relative TTL starts counting only
/// when the `SET` reaches Redis, so an entry priced for a campaign boundary outlived it
/// by however long the request took between pricing and storing.
fn expires_at(max_secs: u64, until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<i64> {
    let max = now + chrono::Duration::seconds(i64::try_from(max_secs).unwrap_or(i64::MAX / 1000));
    match until {
        None => Some(max.timestamp_millis()),
        Some(u) if u > now => Some(u.min(max).timestamp_millis()),
        Some(_) => None,
    }
}

/// `{expires_ms}\n{body}`: an entry and the instant (Unix milliseconds) it expires.
fn with_expiry(at_ms: i64, body: &[u8]) -> Vec<u8> {
    let mut entry = format!("{at_ms}\n").into_bytes();
    entry.extend_from_slice(body);
    entry
}

/// The body of a [`with_expiry`] entry, kept in this process until its deadline at most.
/// `None` for an entry of another shape (written by an older build): a miss.
fn cached_until(entry: bytes::Bytes) -> Option<Cached> {
    let nl = entry.iter().position(|b| *b == b'\n')?;
    let at_ms: i64 = std::str::from_utf8(&entry[..nl]).ok()?.parse().ok()?;
    let at = DateTime::<Utc>::from_timestamp_millis(at_ms)?;
    Some(Cached::new(entry.slice(nl + 1..), Some(instant_at(at))))
}

fn serialised<T: Serialize>(value: &T) -> bytes::Bytes {
    platform::local_cache::json_body(value, 0).unwrap_or_default()
}

/// Cached JSON for `key`, or `load` it from Postgres and cache it. The answer keeps the
/// serialised body and its `ETag`, so a hit is served without deserialising.
pub async fn get_or_load<T, E, F, Fut>(
    state: &AppState,
    key: &str,
    load: F,
) -> Result<Option<Cached>, E>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    if !state.config.storefront_cache {
        return Ok(load().await?.map(|v| Cached::new(serialised(&v), None)));
    }
    let redis = &state.redis;
    let full = redis.local_key(key).await;
    let local = &redis.local().pages;
    if let Some(hit) = local.get(&full) {
        return Ok(Some(hit));
    }
    let mut conn = redis.conn();
    match redis::cmd("GET")
        .arg(&full.key)
        .query_async::<Option<Vec<u8>>>(&mut conn)
        .await
    {
        Ok(Some(hit)) => {
            let hit = Cached::new(bytes::Bytes::from(hit), None);
            local.put(&full, hit.clone());
            return Ok(Some(hit));
        }
        Ok(None) => {}
        Err(err) => tracing::debug!(error = %err, "cache unavailable; reading Postgres"),
    }
    let Some(value) = load().await? else {
        return Ok(None);
    };
    let body = serialised(&value);
    let _: redis::RedisResult<()> = redis::cmd("SET")
        .arg(&full.key)
        .arg(&body[..])
        .arg("EX")
        .arg(TTL_SECS)
        .query_async(&mut conn)
        .await;
    let fresh = Cached::new(body, None);
    local.put(&full, fresh.clone());
    Ok(Some(fresh))
}

/// A product page: cached JSON for `key` when it was built under the current promotions
/// generation, else `load` it and cache it until its [`Priced::until`].
pub async fn get_or_load_priced<T, E, F, Fut>(
    state: &AppState,
    key: &str,
    load: F,
) -> Result<Option<Cached>, E>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Option<Priced<T>>, E>>,
{
    if !state.config.storefront_cache {
        return Ok(load()
            .await?
            .map(|p| Cached::new(serialised(&p.value), None)));
    }
    let redis = &state.redis;
    let full = redis.local_key(key).await;
    let local = &redis.local().pages;
    if let Some(hit) = local.get(&full) {
        return Ok(Some(hit));
    }
    let mut conn = redis.conn();
    // Stored as `{generation}\n{expires_ms}\n{json}`.
    let stamp = match redis::cmd("MGET")
        .arg(redis.key(PROMOTIONS_GEN_KEY))
        .arg(&full.key)
        .query_async::<(Option<i64>, Option<Vec<u8>>)>(&mut conn)
        .await
    {
        Ok((generation, hit)) => {
            let stamp = format!("{}\n", generation.unwrap_or(0));
            if let Some(hit) = hit
                && hit.starts_with(stamp.as_bytes())
                && let Some(hit) = cached_until(bytes::Bytes::from(hit).slice(stamp.len()..))
            {
                local.put(&full, hit.clone());
                return Ok(Some(hit));
            }
            Some(stamp)
        }
        Err(err) => {
            tracing::debug!(error = %err, "cache unavailable; reading Postgres");
            None
        }
    };
    let Some(priced) = load().await? else {
        return Ok(None);
    };
    let body = serialised(&priced.value);
    let until = priced.until.map(instant_at);
    if let Some(stamp) = stamp
        && let Some(at) = expires_at(TTL_SECS, priced.until, Utc::now())
    {
        let mut entry = stamp.into_bytes();
        entry.extend_from_slice(&with_expiry(at, &body));
        let _: redis::RedisResult<()> = redis::cmd("SET")
            .arg(&full.key)
            .arg(entry)
            .arg("PXAT")
            .arg(at)
            .query_async(&mut conn)
            .await;
        local.put(&full, Cached::new(body.clone(), until));
    }
    Ok(Some(Cached::new(body, until)))
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

/// Drop `keys`, and with `lists` every list page too (a bump of the list generation).
/// The local-copy generation is bumped either way: other processes must drop the pages.
async fn del(redis: &Redis, keys: &[String], lists: Lists) {
    // This process's copies first: its own next read must see the change.
    for k in keys {
        redis.local().pages.remove(&redis.key(k));
    }
    if lists == Lists::Retire {
        redis.local().lists.clear();
    }
    let mut conn = redis.conn();
    let mut pipe = redis::pipe();
    for k in keys {
        pipe.cmd("DEL").arg(redis.key(k)).ignore();
    }
    if lists == Lists::Retire {
        pipe.cmd("INCR").arg(redis.key(LIST_GEN_KEY)).ignore();
    }
    redis.bump_local_generation(&mut pipe);
    if let Err(err) = pipe.query_async::<()>(&mut conn).await {
        tracing::warn!(error = %err, "cache invalidation failed; entries expire by TTL");
    }
}

/// Whether an invalidation retires the cached list pages as well as the pages it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lists {
    Retire,
    /// The change shows on no list: a list shows a product's title, price, badges,
    /// vendor and whether it is in stock, not how many units are.
    Keep,
}

pub async fn invalidate_products(redis: &Redis, ids: &[Uuid]) {
    invalidate_sellers(redis, &[], ids, Lists::Retire).await;
}

pub async fn invalidate_vendor(redis: &Redis, vendor_id: Uuid, product_ids: &[Uuid]) {
    invalidate_sellers(redis, &[vendor_id], product_ids, Lists::Retire).await;
}

/// The pages of `vendors` and of `products` (and the list pages, unless `lists` keeps
/// them), in one round trip with one generation bump.
pub async fn invalidate_sellers(redis: &Redis, vendors: &[Uuid], products: &[Uuid], lists: Lists) {
    let keys: Vec<String> = products
        .iter()
        .map(|id| product_key(*id))
        .chain(vendors.iter().map(|id| vendor_key(*id)))
        .collect();
    del(redis, &keys, lists).await;
}

pub async fn invalidate_categories(redis: &Redis) {
    del(redis, &[CATEGORIES_KEY.to_owned()], Lists::Retire).await;
}

/// Retire every cached product page and list: campaign prices may have changed.
pub async fn invalidate_promotions(redis: &Redis) {
    redis.local().clear();
    let mut conn = redis.conn();
    let mut pipe = redis::pipe();
    pipe.cmd("INCR").arg(redis.key(PROMOTIONS_GEN_KEY)).ignore();
    pipe.cmd("INCR").arg(redis.key(LIST_GEN_KEY)).ignore();
    redis.bump_local_generation(&mut pipe);
    if let Err(err) = pipe.query_async::<()>(&mut conn).await {
        tracing::warn!(error = %err, "cache invalidation failed; entries expire by TTL");
    }
}

/// This process's copy of a list page, keyed by the query alone (not the generation, which
/// only Redis knows): a generation bump made here clears them all, one made elsewhere
/// reaches them within [`platform::local_cache::MAX_AGE`].
pub async fn local_list_key(redis: &Redis, query: &impl Serialize) -> Option<LocalKey> {
    let q = serde_json::to_string(query).ok()?;
    Some(redis.local_key(&format!("cache:products:local:{q}")).await)
}

pub fn get_local_list(redis: &Redis, local_key: &LocalKey) -> Option<Cached> {
    redis.local().lists.get(local_key)
}

/// A list page from Redis, kept here too (under `local_key`) until its own deadline.
pub async fn get_list(redis: &Redis, key: &str, local_key: &LocalKey) -> Option<Cached> {
    let mut conn = redis.conn();
    let entry = redis::cmd("GET")
        .arg(redis.key(key))
        .query_async::<Option<Vec<u8>>>(&mut conn)
        .await
        .ok()
        .flatten()?;
    let hit = cached_until(bytes::Bytes::from(entry))?;
    redis.local().lists.put(local_key, hit.clone());
    Some(hit)
}

/// Cache a list page until its `until` (at most a minute), here and in Redis; the answer.
pub async fn put_list(
    redis: &Redis,
    key: &str,
    local_key: &LocalKey,
    body: bytes::Bytes,
    until: Option<DateTime<Utc>>,
) -> Cached {
    let fresh = Cached::new(body, until.map(instant_at));
    let Some(at) = expires_at(LIST_TTL_SECS, until, Utc::now()) else {
        return fresh;
    };
    let mut conn = redis.conn();
    let _: redis::RedisResult<()> = redis::cmd("SET")
        .arg(redis.key(key))
        .arg(with_expiry(at, &fresh.body))
        .arg("PXAT")
        .arg(at)
        .query_async(&mut conn)
        .await;
    redis.local().lists.put(local_key, fresh.clone());
    fresh
}

#[cfg(test)]
mod tests {
    use super::expires_at;
    use chrono::{Duration, Utc};

    #[test]
    fn entries_never_outlive_the_next_campaign_boundary() {
        let now = Utc::now();
        let ms = |d: Duration| (now + d).timestamp_millis();
        assert_eq!(expires_at(300, None, now), Some(ms(Duration::seconds(300))));
        assert_eq!(
            expires_at(300, Some(now + Duration::seconds(10)), now),
            Some(ms(Duration::seconds(10)))
        );
        assert_eq!(
            expires_at(300, Some(now + Duration::hours(1)), now),
            Some(ms(Duration::seconds(300)))
        );
        assert_eq!(expires_at(300, Some(now), now), None);
        assert_eq!(expires_at(300, Some(now - Duration::seconds(1)), now), None);
    }
}
