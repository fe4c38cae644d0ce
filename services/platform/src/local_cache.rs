//! An in-process cache in front of Redis for the hottest storefront answers (product
//! pages, first list pages, live campaign pages): a hit costs no network round trip at
//! all, where a Redis hit costs one or two.
//!
//! Every replica keeps its own copy. Every invalidation that retires cached answers in
//! Redis (the writer right after its commit, and the event consumers for changes made
//! elsewhere) also bumps one Redis counter, [`GENERATION_KEY`]; each process reads that
//! counter at most every [`MAX_AGE`] (under a second, one `GET` for all its entries) and
//! drops every copy when it moved. So a change reaches every replica's answers within a
//! second without any message between replicas, and while nothing changes a copy is
//! served until its own deadline instead of being fetched again from Redis every second.
//! The process that makes a change also drops its own entries at once (its invalidation
//! does it beside the Redis one), so a writer reads its own write. An entry never outlives
//! the instant its content goes out of date by itself (a campaign boundary), nor
//! [`LONGEST`].
//!
//! An entry is stamped with the [`LocalKey::epoch`] seen *before* the read that built it:
//! a read that began before a change was noticed cannot leave its stale answer behind,
//! since dropping the copies starts a new epoch and entries of an older one are misses.
//!
//! Bounded in memory by the bytes it holds ([`PAGES_BYTES`], [`LISTS_BYTES`]). Each entry
//! keeps its body as shared bytes and its `ETag`, computed once, so a hit is served
//! without serialising, hashing or copying.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::time::{Duration, Instant};

/// How often a process asks Redis whether any cached answer changed: the bound on how late
/// a change made through another replica is seen here.
pub const MAX_AGE: Duration = Duration::from_millis(800);
/// The longest an entry is kept while nothing changes (its Redis copy lives longer).
pub const LONGEST: Duration = Duration::from_secs(60);
/// The Redis counter (under the process's key prefix) every invalidation of cached
/// answers bumps ([`crate::kv::Redis::bump_local_generation`]).
pub const GENERATION_KEY: &str = "cache:local:gen";
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
    epoch: u64,
}

impl Cached {
    /// `body` with its `ETag`, to be kept until `until` at most ([`LONGEST`] from now when
    /// sooner).
    pub fn new(body: Bytes, until: Option<Instant>) -> Cached {
        let max = Instant::now() + LONGEST;
        Cached {
            etag: etag_of(&body),
            body,
            expires: until.map_or(max, |u| u.min(max)),
            epoch: 0,
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

/// `value` as a JSON body, written into a buffer of `capacity` bytes to start with: a
/// caller that knows roughly how large the body is saves the copies of growing it from
/// empty (2.5% of the server's time for an uncached list page).
pub fn json_body<T: serde::Serialize>(value: &T, capacity: usize) -> serde_json::Result<Bytes> {
    let mut body = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut body, value)?;
    Ok(Bytes::from(body))
}

/// A weak validator of the body: equal bodies, equal tags, on every replica, whichever
/// build it runs. XXH3 is specified (std's `DefaultHasher` may change with a Rust
/// release) and hashes a list page several times faster than SipHash did (2% of the
/// server's time under the uncached list benchmark).
pub fn etag_of(body: &[u8]) -> HeaderValue {
    let hash = xxhash_rust::xxh3::xxh3_64(body);
    let tag = format!("W/\"{:016x}{:04x}\"", hash, body.len() & 0xffff);
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

/// An entry weighs its key and body in bytes.
#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<String, Cached> for ByBytes {
    fn weight(&self, key: &String, value: &Cached) -> u64 {
        (key.len() + value.body.len()) as u64
    }
}

/// The key of a local entry (the full Redis key of the entry it mirrors, or a key of its
/// own) and the epoch of this process's copies when the request began
/// ([`crate::kv::Redis::local_key`]).
#[derive(Clone, Debug)]
pub struct LocalKey {
    pub key: String,
    pub(crate) epoch: u64,
}

/// One bounded region of the cache. A hit is a hash lookup under a shard's read lock and
/// the clone of two shared buffers: no bookkeeping queue to drain on the request's path,
/// which moka's cache had (quick_cache keeps its eviction state in the shard itself).
/// Deadlines are checked on read.
#[derive(Clone)]
pub struct LocalCache(std::sync::Arc<quick_cache::sync::Cache<String, Cached, ByBytes>>);

impl LocalCache {
    pub fn new(max_bytes: u64) -> LocalCache {
        // The item estimate sizes the shards' tables: pages are a kilobyte or a few.
        let items = usize::try_from(max_bytes / 2048).unwrap_or(1024).max(64);
        LocalCache(std::sync::Arc::new(
            quick_cache::sync::Cache::with_weighter(items, max_bytes, ByBytes),
        ))
    }

    /// The entry, if it was read in `key`'s epoch (an older one was read before a change)
    /// and its deadline has not passed.
    pub fn get(&self, key: &LocalKey) -> Option<Cached> {
        let hit = self.0.get(key.key.as_str())?;
        if hit.expires <= Instant::now() {
            self.0.remove(key.key.as_str());
            return None;
        }
        (hit.epoch == key.epoch).then_some(hit)
    }

    pub fn put(&self, key: &LocalKey, mut value: Cached) {
        if value.expires > Instant::now() {
            value.epoch = key.epoch;
            self.0.insert(key.key.clone(), value);
        }
    }

    pub fn remove(&self, key: &str) {
        self.0.remove(key);
    }

    /// Drop every entry (a generation bump retired them all).
    pub fn clear(&self) {
        self.0.clear();
    }
}

/// The two regions a process keeps: entries dropped one by one when their key is
/// invalidated, and entries retired all at once when a generation is bumped; when they
/// were last checked against [`GENERATION_KEY`]; and the epoch of what promotions keeps
/// in memory (`promotions::live_set`).
#[derive(Clone)]
pub struct LocalCaches {
    pub pages: LocalCache,
    pub lists: LocalCache,
    pub(crate) watch: std::sync::Arc<Watch>,
    pub promotions: Epoch,
}

impl Default for LocalCaches {
    fn default() -> Self {
        LocalCaches {
            pages: LocalCache::new(PAGES_BYTES),
            lists: LocalCache::new(LISTS_BYTES),
            watch: Default::default(),
            promotions: Epoch::default(),
        }
    }
}

impl LocalCaches {
    /// Drop every copy: entries read before now are misses from here on.
    pub fn clear(&self) {
        self.watch.epoch.bump();
        self.pages.clear();
        self.lists.clear();
    }
}

/// When [`GENERATION_KEY`] was last read, what it said, and the epoch of the copies.
pub(crate) struct Watch {
    started: Instant,
    /// Milliseconds after `started` of the last read.
    checked_ms: std::sync::atomic::AtomicU64,
    /// The counter's value then (`i64::MIN`: not read yet, or Redis did not answer).
    seen: std::sync::atomic::AtomicI64,
    pub(crate) epoch: Epoch,
}

impl Default for Watch {
    fn default() -> Self {
        Watch {
            started: Instant::now(),
            checked_ms: Default::default(),
            seen: std::sync::atomic::AtomicI64::new(i64::MIN),
            epoch: Epoch::default(),
        }
    }
}

impl Watch {
    /// Whether this caller should read the counter now: [`MAX_AGE`] has passed since the
    /// last read and no other caller has claimed this one (the others go on with the
    /// copies meanwhile).
    pub(crate) fn claim(&self) -> bool {
        use std::sync::atomic::Ordering;
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let last = self.checked_ms.load(Ordering::Acquire);
        // `last` is 0 only before the first read (a claim stores at least 1).
        if last != 0 && now < last.saturating_add(MAX_AGE.as_millis() as u64) {
            return false;
        }
        self.checked_ms
            .compare_exchange(last, now.max(1), Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    }

    /// What the counter said (`None`: Redis did not answer, so nothing can be vouched for):
    /// whether the copies must be dropped.
    pub(crate) fn changed(&self, now: Option<i64>) -> bool {
        let now = now.unwrap_or(i64::MIN);
        let before = self.seen.swap(now, std::sync::atomic::Ordering::AcqRel);
        now == i64::MIN || before != now
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

    /// The tag is XXH3's published value, not whatever a build's hasher gives: replicas
    /// built with different Rust releases tag the same body alike.
    #[test]
    fn the_etag_is_xxh3_of_the_body_on_every_build() {
        assert_eq!(etag_of(b""), "W/\"2d06800538d394c20000\"");
    }

    fn key(k: &str, epoch: u64) -> LocalKey {
        LocalKey {
            key: k.into(),
            epoch,
        }
    }

    #[test]
    fn entries_expire_at_their_deadline_and_older_epochs_are_misses() {
        let cache = LocalCache::new(1024 * 1024);
        let a = key("a", 7);
        cache.put(&a, Cached::new(Bytes::from_static(b"{}"), None));
        let soon = Instant::now() + Duration::from_millis(50);
        let b = key("b", 7);
        cache.put(&b, Cached::new(Bytes::from_static(b"[]"), Some(soon)));
        assert!(cache.get(&a).is_some());
        assert!(cache.get(&b).is_some());
        std::thread::sleep(Duration::from_millis(100));
        assert!(cache.get(&b).is_none(), "past its deadline");
        assert!(cache.get(&a).is_some(), "kept while nothing changed");
        assert!(
            cache.get(&key("a", 8)).is_none(),
            "read before a change was noticed"
        );
        // Already out of date: not kept at all.
        let past = Instant::now().checked_sub(Duration::from_millis(1));
        cache.put(&key("c", 7), Cached::new(Bytes::from_static(b"1"), past));
        assert!(cache.get(&key("c", 7)).is_none());
    }

    #[test]
    fn the_counter_is_read_once_per_max_age_and_a_move_or_silence_drops_the_copies() {
        let w = Watch::default();
        assert!(w.claim(), "the first read");
        assert!(!w.claim(), "claimed already");
        assert!(w.changed(Some(3)), "first value seen");
        assert!(!w.changed(Some(3)));
        assert!(w.changed(Some(4)));
        assert!(w.changed(None), "Redis silent: nothing is vouched for");
        assert!(w.changed(None));
        assert!(!w.claim());
        std::thread::sleep(MAX_AGE + Duration::from_millis(20));
        assert!(w.claim(), "due again");
        assert!(!w.claim(), "one caller per check");
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
