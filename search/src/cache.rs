//! A result cache in front of any backend, in Redis.
//!
//! Shoppers ask the same few things (the words on a campaign banner, the top categories,
//! the first syllables of a popular product) far more often than the catalog changes, and
//! a broad Korean query costs the Postgres backend tens of milliseconds of scanning and
//! counting facets. So answers are kept under a hash of the normalised query, each stored
//! with the index *generation* it was computed under. Every write through this wrapper
//! that changes a document bumps the generation (`search:gen`), which retires every
//! cached answer at once without scanning keys; a read fetches the generation and the
//! answer in one `MGET` and treats an answer of another generation as a miss.
//!
//! The generation is read *before* the backend is asked, so an answer computed while a
//! write lands carries the old generation and is never served after the write's bump.
//! Writes only count when the backend says something changed: a stock event that leaves
//! a product in stock rewrites nothing and keeps the cache warm.
//!
//! Never the source of truth: a Redis failure just asks the backend.

use crate::backend::{DocumentStream, SearchBackend};
use crate::documents::Document;
use crate::error::SearchResult;
use crate::query::{SearchQuery, SearchResults, Suggestion};
use platform::kv::Redis;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;

/// How long an answer is kept at most; freshness comes from the generation, this only
/// bounds what Redis holds for queries nobody repeats.
pub const TTL_SECS: u64 = 300;
const GEN_KEY: &str = "search:gen";
/// Bumped when the shape of a key or of a cached answer changes, so that processes of
/// two versions during a rolling deploy never read each other's entries.
const FORMAT: &str = "v1";

pub struct CachedBackend {
    inner: Arc<dyn SearchBackend>,
    redis: Redis,
}

impl CachedBackend {
    pub fn new(inner: Arc<dyn SearchBackend>, redis: Redis) -> CachedBackend {
        CachedBackend { inner, redis }
    }

    fn key(&self, kind: &'static str, what: &str) -> String {
        let digest = Sha256::digest(what.as_bytes());
        self.redis
            .key(&format!("search:{FORMAT}:{kind}:{}", hex::encode(digest)))
    }

    /// The current generation and the entry under `key`, if Redis answers.
    async fn read(&self, key: &str) -> Option<(u64, Option<String>)> {
        let mut conn = self.redis.conn();
        let res: redis::RedisResult<(Option<u64>, Option<String>)> = redis::cmd("MGET")
            .arg(self.redis.key(GEN_KEY))
            .arg(key)
            .query_async(&mut conn)
            .await;
        match res {
            Ok((generation, entry)) => Some((generation.unwrap_or(0), entry)),
            Err(err) => {
                tracing::debug!(error = %err, "search cache unavailable; asking the backend");
                None
            }
        }
    }

    async fn store(&self, key: &str, generation: u64, value: &impl Serialize) {
        let Ok(json) = serde_json::to_string(value) else {
            return;
        };
        let mut conn = self.redis.conn();
        let res: redis::RedisResult<()> = redis::cmd("SET")
            .arg(key)
            .arg(format!("{generation}\n{json}"))
            .arg("EX")
            .arg(TTL_SECS)
            .query_async(&mut conn)
            .await;
        if let Err(err) = res {
            tracing::debug!(error = %err, "search cache not written");
        }
    }

    /// The cached answer for `what`, or `compute` it and cache it. `compute` is only
    /// called on a miss: a boxed backend future is not even built for a hit.
    async fn get_or_compute<T, F, Fut>(
        &self,
        kind: &'static str,
        what: String,
        compute: F,
    ) -> SearchResult<T>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = SearchResult<T>>,
    {
        let key = self.key(kind, &what);
        let Some((generation, entry)) = self.read(&key).await else {
            return compute().await;
        };
        if let Some(hit) = entry.as_deref().and_then(|e| fresh(e, generation)) {
            metrics::counter!("search_cache_total", "kind" => kind, "result" => "hit").increment(1);
            return Ok(hit);
        }
        metrics::counter!("search_cache_total", "kind" => kind, "result" => "miss").increment(1);
        let answer = compute().await?;
        self.store(&key, generation, &answer).await;
        Ok(answer)
    }

    /// Retire every cached answer: the index changed.
    async fn bump(&self) {
        let mut conn = self.redis.conn();
        let res: redis::RedisResult<u64> = redis::cmd("INCR")
            .arg(self.redis.key(GEN_KEY))
            .query_async(&mut conn)
            .await;
        if let Err(err) = res {
            // Answers cached before this write may be served until they expire.
            tracing::warn!(error = %err, "search cache generation not bumped");
        }
    }
}

/// The value of an entry stored as `<generation>\n<json>`, if it is of `generation`.
fn fresh<T: DeserializeOwned>(entry: &str, generation: u64) -> Option<T> {
    let (stored, json) = entry.split_once('\n')?;
    if stored.parse::<u64>().ok()? != generation {
        return None;
    }
    serde_json::from_str(json).ok()
}

#[async_trait::async_trait]
impl SearchBackend for CachedBackend {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    async fn warm(&self) -> SearchResult<()> {
        self.inner.warm().await
    }

    async fn upsert(&self, docs: &[Document]) -> SearchResult<u64> {
        let changed = self.inner.upsert(docs).await;
        // Bump on failure too: a batch may have been written in part.
        if !matches!(changed, Ok(0)) {
            self.bump().await;
        }
        changed
    }

    async fn delete(&self, ids: &[Uuid]) -> SearchResult<u64> {
        let removed = self.inner.delete(ids).await;
        if !matches!(removed, Ok(0)) {
            self.bump().await;
        }
        removed
    }

    async fn apply(&self, upserts: &[Document], deletes: &[Uuid]) -> SearchResult<(u64, u64)> {
        let changed = self.inner.apply(upserts, deletes).await;
        if !matches!(changed, Ok((0, 0))) {
            self.bump().await;
        }
        changed
    }

    async fn search(&self, query: &SearchQuery) -> SearchResult<SearchResults> {
        // The normalised form, so that `q= 김치 ` and `q=김치` share an entry; invalid
        // input is reported by the backend as it always is, and never cached.
        let Ok(q) = query.normalized() else {
            return self.inner.search(query).await;
        };
        self.get_or_compute("q", format!("{q:?}"), || self.inner.search(&q))
            .await
    }

    async fn suggest(&self, prefix: &str, limit: usize) -> SearchResult<Vec<Suggestion>> {
        let what = format!("{limit}\n{}", prefix.trim());
        self.get_or_compute("s", what, || self.inner.suggest(prefix, limit))
            .await
    }

    async fn rebuild(&self, batches: DocumentStream<'_>) -> SearchResult<u64> {
        let written = self.inner.rebuild(batches).await;
        self.bump().await;
        written
    }
}

#[cfg(test)]
mod tests {
    use super::fresh;

    #[test]
    fn an_entry_of_another_generation_is_a_miss() {
        assert_eq!(fresh::<Vec<u32>>("7\n[1,2]", 7), Some(vec![1, 2]));
        assert_eq!(fresh::<Vec<u32>>("6\n[1,2]", 7), None);
        assert_eq!(fresh::<Vec<u32>>("garbage", 7), None);
        assert_eq!(fresh::<Vec<u32>>("7\nnot json", 7), None);
    }
}
