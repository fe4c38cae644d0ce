//! Product search.
//!
//! - [`SearchBackend`]: the one interface (upsert, delete, search, suggest, rebuild).
//! - [`PostgresBackend`]: `search.entries` (narrow, GIN over gram codes) and
//!   `search.documents` (what a hit shows), with substring matching that works for
//!   Korean ("김치" finds "강화순무김치") and facets by `GROUPING SETS`.
//! - [`MemoryBackend`] (default): the same tables, with `search.entries` followed in
//!   each process's memory, where searches match, order and count (`JIKGU_SEARCH_MEMORY=off`
//!   turns it off). [`MeilisearchBackend`] when `MEILISEARCH_URL` is set. [`from_env`]
//!   picks one; both pass the same behaviour tests.
//! - [`documents`]: what is indexed per product, built from the catalog tables; only
//!   products consumers may see have a document.
//! - [`cache`]: answers kept in Redis under an index generation that every write bumps.
//! - [`indexer`]: follows catalog events and keeps the index in step.
//! - [`reindex`]: the full rebuild behind `jikgu reindex`.
//! - [`http`]: `GET /v1/search` and `GET /v1/search/suggest`.

pub mod backend;
pub mod cache;
pub mod documents;
pub mod error;
pub mod http;
pub mod indexer;
pub mod meilisearch;
pub mod memory;
pub mod postgres;
pub mod query;
pub mod text;

pub use backend::{DocumentStream, SearchBackend};
pub use cache::CachedBackend;
pub use documents::Document;
pub use error::{SearchError, SearchResult};
pub use http::SearchHandle;
pub use meilisearch::{MeiliConfig, MeilisearchBackend};
pub use memory::MemoryBackend;
pub use postgres::PostgresBackend;
pub use query::{
    Facet, FacetCount, Facets, Filters, Hit, PriceBucket, SearchQuery, SearchResults, Sort,
    Suggestion, VendorRef,
};

use futures::StreamExt;
use platform::AppState;
use platform::config::{EnvSource, ProcessEnv};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// Documents per batch of a full rebuild.
pub const REINDEX_BATCH: u64 = 1000;

/// The backend the environment asks for: Meilisearch when `MEILISEARCH_URL` is set
/// (connecting and applying its settings now, so a bad URL or key fails at start),
/// otherwise Postgres on the shop's database; behind the Redis result cache unless
/// `JIKGU_STOREFRONT_CACHE=off`. Every process that writes the index must write through
/// what this returns, so that its writes retire cached answers.
pub async fn from_env(state: &AppState) -> SearchResult<Arc<dyn SearchBackend>> {
    let backend = from_source(&state.db, &ProcessEnv).await?;
    Ok(if state.config.storefront_cache {
        Arc::new(CachedBackend::new(backend, state.redis.clone()))
    } else {
        backend
    })
}

/// [`from_env`] over any environment (tests pass a map).
pub async fn from_source(
    db: &DatabaseConnection,
    env: &impl EnvSource,
) -> SearchResult<Arc<dyn SearchBackend>> {
    match MeiliConfig::from_source(env) {
        Some(config) => {
            let config = config?;
            // Never log credentials that might sit in the URL.
            let at = config.url.rsplit('@').next().unwrap_or_default();
            tracing::info!(url = %at, index = %config.index, "search uses Meilisearch");
            Ok(Arc::new(MeilisearchBackend::connect(config).await?))
        }
        // Postgres answers from each process's memory unless told not to (then every
        // search runs its SQL).
        None if env.get("JIKGU_SEARCH_MEMORY").as_deref() == Some("off") => {
            Ok(Arc::new(PostgresBackend::new(db.clone())))
        }
        None => Ok(Arc::new(MemoryBackend::new(db.clone()))),
    }
}

/// Rebuild the whole index from the catalog; returns how many documents it holds. With
/// `progress`, draws a progress bar on the terminal.
#[tracing::instrument(skip_all, fields(backend = backend.name()))]
pub async fn reindex(
    state: &AppState,
    backend: &dyn SearchBackend,
    progress: bool,
) -> SearchResult<u64> {
    let bar = if progress {
        let total = documents::count_visible(&state.db).await?;
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{wide_bar}] {pos}/{len} products ({per_sec}, eta {eta})",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let tick = bar.clone();
    let batches = documents::stream_all(&state.db, REINDEX_BATCH)
        .inspect(move |b| {
            if let Ok(docs) = b {
                tick.inc(docs.len() as u64);
            }
        })
        .boxed();
    let written = backend.rebuild(batches).await;
    match &written {
        Ok(n) => bar.finish_with_message(format!("{n} products indexed")),
        Err(_) => bar.abandon(),
    }
    written
}
