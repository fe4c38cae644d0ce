//! An in-process cache in front of Redis for the hottest storefront answers (product
//! pages, first list pages, live campaign pages): a hit costs no network round trip at
//! all, where a Redis hit costs one or two.
//!
//! Every replica keeps its own copy, so an entry lives at most [`MAX_AGE`] (under a
//! second): a change that invalidates Redis (the writer right after its commit, and the
//! event consumers for changes made elsewhere) reaches every replica's answers within a
//! second without any message between replicas. The process that makes a change also
//! drops its own entries at once ([`crate::kv::Redis`] does it beside the Redis
//! invalidation), so a writer reads its own write. An entry never outlives the instant
//! its content goes out of date by itself (a campaign boundary), whichever comes first.
//!
//! Bounded in memory by the bytes it holds ([`PAGES_BYTES`], [`LISTS_BYTES`]). Each entry
//! keeps its body as shared bytes and its `ETag`, computed once, so a hit is served
//! without serialising, hashing or copying.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

/// How long an entry is served without asking Redis: the bound on how late a change made
/// through another replica is seen here.
pub const MAX_AGE: Duration = Duration::from_millis(800);
/// The memory the keyed entries (product, vendor pages, categories) may take.
pub const PAGES_BYTES: u64 = 12 * 1024 * 1024;
/// The memory the generational entries (list pages, campaign pages) may take.
pub const LISTS_BYTES: u64 = 4 * 1024 * 1024;

/// A JSON answer ready to send: its bytes and their `ETag`.
#[derive(Clone, Debug)]
pub struct Cached {
    pub body: Bytes,
    pub etag: HeaderValue,
    expires: Instant,
}

impl Cached {
    /// `body` with its `ETag`, to be kept until `until` at most ([`MAX_AGE`] from now when
    /// sooner).
    pub fn new(body: Bytes, until: Option<Instant>) -> Cached {
        let max = Instant::now() + MAX_AGE;
        Cached {
            etag: etag_of(&body),
            body,
            expires: until.map_or(max, |u| u.min(max)),
        }
    }

    /// The answer: 304 when the client already holds this body.
    pub fn respond(&self, if_none_match: &IfNoneMatch) -> Response {
        json_response(if_none_match, self.body.clone(), &self.etag)
    }
}

/// The request's `If-None-Match`, taken alone (extracting the whole `HeaderMap` would
/// copy every header of every request).
#[derive(Debug, Default, Clone)]
pub struct IfNoneMatch(pub Option<HeaderValue>);

impl<S: Send + Sync> FromRequestParts<S> for IfNoneMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(IfNoneMatch(
            parts.headers.get(header::IF_NONE_MATCH).cloned(),
        ))
    }
}

impl IfNoneMatch {
    fn matches(&self, etag: &HeaderValue) -> bool {
        let Some(v) = self.0.as_ref().and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let ours = etag_value(etag);
        v.split(',')
            .map(str::trim)
            .any(|t| t == "*" || t.trim_start_matches("W/") == ours)
    }
}

/// A weak validator of the body: equal bodies, equal tags, on every replica of one build.
pub fn etag_of(body: &[u8]) -> HeaderValue {
    // DefaultHasher::new() has fixed keys: the same bytes hash alike in every process.
    let mut h = std::hash::DefaultHasher::new();
    body.hash(&mut h);
    let tag = format!("W/\"{:016x}{:04x}\"", h.finish(), body.len() & 0xffff);
    HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("W/\"0\""))
}

/// A JSON body with its `ETag`, or 304 Not Modified when `If-None-Match` names it.
pub fn json_response(if_none_match: &IfNoneMatch, body: Bytes, etag: &HeaderValue) -> Response {
    if if_none_match.matches(etag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag.clone())]).into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::ETAG, etag.clone()),
        ],
        body,
    )
        .into_response()
}

fn etag_value(etag: &HeaderValue) -> &str {
    etag.to_str().unwrap_or("").trim_start_matches("W/")
}

struct UntilExpires;

impl moka::Expiry<String, Cached> for UntilExpires {
    fn expire_after_create(&self, _key: &String, value: &Cached, now: Instant) -> Option<Duration> {
        Some(value.expires.saturating_duration_since(now))
    }
}

/// One bounded region of the cache, keyed by the full Redis key of the entry it mirrors.
#[derive(Clone)]
pub struct LocalCache(moka::future::Cache<String, Cached>);

impl LocalCache {
    pub fn new(max_bytes: u64) -> LocalCache {
        LocalCache(
            moka::future::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|k: &String, v: &Cached| {
                    u32::try_from(k.len() + v.body.len()).unwrap_or(u32::MAX)
                })
                .expire_after(UntilExpires)
                .build(),
        )
    }

    pub async fn get(&self, key: &str) -> Option<Cached> {
        self.0.get(key).await
    }

    pub async fn put(&self, key: String, value: Cached) {
        if value.expires > Instant::now() {
            self.0.insert(key, value).await;
        }
    }

    pub async fn remove(&self, key: &str) {
        self.0.invalidate(key).await;
    }

    /// Drop every entry (a generation bump retired them all).
    pub fn clear(&self) {
        self.0.invalidate_all();
    }
}

/// The two regions a process keeps: entries dropped one by one when their key is
/// invalidated, and entries retired all at once when a generation is bumped; and the
/// epoch of what promotions keeps in memory (`promotions::live_set`).
#[derive(Clone)]
pub struct LocalCaches {
    pub pages: LocalCache,
    pub lists: LocalCache,
    pub promotions: Epoch,
}

impl Default for LocalCaches {
    fn default() -> Self {
        LocalCaches {
            pages: LocalCache::new(PAGES_BYTES),
            lists: LocalCache::new(LISTS_BYTES),
            promotions: Epoch::default(),
        }
    }
}

/// A counter this process's writer bumps right after its commit, so that a copy it keeps
/// of that data in memory is dropped at once here; other processes learn of the change
/// through a Redis generation within [`MAX_AGE`].
#[derive(Clone, Default, Debug)]
pub struct Epoch(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl Epoch {
    pub fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }

    pub fn bump(&self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// The `Instant` matching a wall-clock deadline (a campaign boundary), for [`Cached::new`].
pub fn instant_at(at: chrono::DateTime<chrono::Utc>) -> Instant {
    let left = (at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO);
    Instant::now() + left
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn entries_expire_within_max_age_or_at_their_deadline() {
        let cache = LocalCache::new(1024 * 1024);
        cache
            .put("a".into(), Cached::new(Bytes::from_static(b"{}"), None))
            .await;
        let soon = Instant::now() + Duration::from_millis(50);
        cache
            .put(
                "b".into(),
                Cached::new(Bytes::from_static(b"[]"), Some(soon)),
            )
            .await;
        assert!(cache.get("a").await.is_some());
        assert!(cache.get("b").await.is_some());
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(cache.get("b").await.is_none(), "past its deadline");
        assert!(cache.get("a").await.is_some());
        tokio::time::sleep(MAX_AGE).await;
        assert!(cache.get("a").await.is_none(), "older than MAX_AGE");
        // Already out of date: not kept at all.
        let past = Instant::now().checked_sub(Duration::from_millis(1));
        cache
            .put("c".into(), Cached::new(Bytes::from_static(b"1"), past))
            .await;
        assert!(cache.get("c").await.is_none());
    }

    #[test]
    fn if_none_match_with_the_tag_is_answered_not_modified() {
        let body = Bytes::from_static(b"{\"id\":1}");
        let tag = etag_of(&body);
        assert_eq!(tag, etag_of(&Bytes::from_static(b"{\"id\":1}")));
        assert_ne!(tag, etag_of(&Bytes::from_static(b"{\"id\":2}")));
        let none = IfNoneMatch(None);
        assert_eq!(
            json_response(&none, body.clone(), &tag).status(),
            StatusCode::OK
        );
        let same = IfNoneMatch(Some(tag.clone()));
        assert_eq!(
            json_response(&same, body.clone(), &tag).status(),
            StatusCode::NOT_MODIFIED
        );
        let other = IfNoneMatch(Some(HeaderValue::from_static("\"other\", W/\"x\"")));
        assert_eq!(json_response(&other, body, &tag).status(), StatusCode::OK);
    }
}
