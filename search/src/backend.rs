//! The one interface the shop searches through. Postgres serves it by default;
//! Meilisearch when configured. Both pass the same behaviour tests.

use crate::documents::Document;
use crate::error::SearchResult;
use crate::query::{SearchQuery, SearchResults, Suggestion};
use futures::stream::BoxStream;
use uuid::Uuid;

/// Batches of documents for a full rebuild, produced lazily (from
/// [`crate::documents::stream_all`]) so a rebuild never holds the catalog in memory.
pub type DocumentStream<'a> = BoxStream<'a, SearchResult<Vec<Document>>>;

/// Suggestions per call, at most.
pub const MAX_SUGGESTIONS: usize = 20;

#[async_trait::async_trait]
pub trait SearchBackend: Send + Sync + 'static {
    /// `postgres` or `meilisearch`, for logs and metrics.
    fn name(&self) -> &'static str;

    /// Add or replace documents. Applying the same documents again changes nothing.
    /// Returns how many documents changed; a backend that cannot tell returns
    /// `docs.len()` (the result cache is retired only when something changed).
    async fn upsert(&self, docs: &[Document]) -> SearchResult<u64>;

    /// Remove documents; ids that are not indexed are ignored. Returns how many were
    /// removed, or `ids.len()` for a backend that cannot tell.
    async fn delete(&self, ids: &[Uuid]) -> SearchResult<u64>;

    /// Both of the above as one write; returns (changed, removed). A backend whose writes
    /// are queued (Meilisearch) sends both and waits once.
    async fn apply(&self, upserts: &[Document], deletes: &[Uuid]) -> SearchResult<(u64, u64)> {
        let changed = self.upsert(upserts).await?;
        let removed = self.delete(deletes).await?;
        Ok((changed, removed))
    }

    async fn search(&self, query: &SearchQuery) -> SearchResult<SearchResults>;

    /// Titles containing `prefix` (those starting with it first), at most `limit`
    /// (clamped to 1..=[`MAX_SUGGESTIONS`]).
    async fn suggest(&self, prefix: &str, limit: usize) -> SearchResult<Vec<Suggestion>>;

    /// Get ready to answer: a backend that keeps an index in this process loads it now,
    /// so that the first searches do not wait for it. Called by a process that serves
    /// search, once, in the background; others never pay for it.
    async fn warm(&self) -> SearchResult<()> {
        Ok(())
    }

    /// Replace the whole index with `batches`, without search ever seeing an empty or
    /// half-built index. Returns how many documents were written.
    async fn rebuild(&self, batches: DocumentStream<'_>) -> SearchResult<u64>;
}
