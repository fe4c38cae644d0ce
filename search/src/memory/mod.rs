//! The Postgres backend with its matching, ordering and counting done in this process's
//! memory (issue 18: a search without its answer cache in milliseconds at 100k products).
//!
//! Postgres stays the source of truth and the only thing written: writes go through
//! [`PostgresBackend`] unchanged. Every process keeps the narrow `search.entries` in an
//! [`Index`] (posting lists of gram codes as roaring bitmaps, the columns filters, sorts
//! and facets read) and follows its changes: each entry carries the id of the
//! transaction that wrote it, each deletion leaves a tombstone, and a process reads only
//! what was written since the oldest transaction that was running when it last looked
//! (migration `m20261205_000101_search_changes`). A search looks at most every
//! [`REFRESH_EVERY`], so another replica's write reaches its answers within a second;
//! this process's own writes are read back before the write returns.
//!
//! A search does not read Postgres at all: the index keeps what a hit shows beside what a
//! search matches (a hit's title, tags and description are read back from the folded
//! texts, which hold them as they are for all but the rare entry folding changes; only
//! those keep their originals). Searches wait for the first load (a serving process
//! starts it at once, `SearchBackend::warm`).

mod index;

use index::{EntryRow, Index};

use crate::backend::{DocumentStream, SearchBackend};
use crate::documents::Document;
use crate::error::SearchResult;
use crate::postgres::{PostgresBackend, facets_from_rows, page};
use crate::query::{Facets, SearchQuery, SearchResults, Suggestion, suggest_terms};
use platform::db::pg;
use sea_orm::{DatabaseConnection, FromQueryResult, Value};
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How often a search looks for changes written by other processes.
pub const REFRESH_EVERY: Duration = Duration::from_millis(250);
/// A process that has not looked for this long reads the entries whole again: the
/// tombstones it would need are swept after an hour.
const RELOAD_AFTER: Duration = Duration::from_secs(30 * 60);

/// Entries read per statement when the index is loaded whole: a page of rows, with their
/// texts, is held beside the index being built.
const LOAD_PAGE: usize = 2_000;

/// An entry with what its document shows in a hit (written by the same statement, so
/// the two agree): a search answers without reading Postgres.
const ENTRY_COLUMNS: &str = "e.id, e.title_folded, e.text_folded, e.vendor_id, e.vendor_name, \
    e.category_ids, e.certified, e.certification_kinds, e.campaign_ids, e.price, e.in_stock, \
    e.popularity, e.published_at, d.title, d.description, d.tags, d.image, d.category_id \
    FROM search.entries e JOIN search.documents d ON d.id = e.id";

/// Where this process stands in following `search.entries`.
#[derive(Default)]
struct Position {
    /// The oldest transaction running when the entries were last read: whatever it or a
    /// later one writes is read next time.
    since: Option<i64>,
    at: Option<Instant>,
}

pub struct MemoryBackend {
    sql: PostgresBackend,
    db: DatabaseConnection,
    index: RwLock<Index>,
    loaded: AtomicBool,
    position: tokio::sync::Mutex<Position>,
}

/// When a caller looks for changes.
#[derive(Clone, Copy)]
enum Look {
    /// A search: if nobody is looking already and the last look is older than
    /// [`REFRESH_EVERY`].
    IfDue,
    /// After this process's own write: a look that starts after it, waited for.
    Now,
    /// Only if the index is not loaded yet, waiting for whoever loads it.
    UntilLoaded,
}

#[derive(FromQueryResult)]
struct Horizon {
    xmin: i64,
}

#[derive(FromQueryResult)]
struct Gone {
    id: Uuid,
}

impl MemoryBackend {
    pub fn new(db: DatabaseConnection) -> MemoryBackend {
        MemoryBackend {
            sql: PostgresBackend::new(db.clone()),
            db,
            index: RwLock::new(Index::default()),
            loaded: AtomicBool::new(false),
            position: tokio::sync::Mutex::new(Position::default()),
        }
    }

    fn loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    /// Bring the index up to date, as `look` says.
    async fn refresh(&self, look: Look) -> SearchResult<()> {
        let mut pos = match look {
            Look::IfDue => match self.position.try_lock() {
                Ok(pos) => pos,
                // Someone is looking already.
                Err(_) => return Ok(()),
            },
            Look::Now | Look::UntilLoaded => self.position.lock().await,
        };
        let skip = match look {
            Look::IfDue => pos.at.is_some_and(|t| t.elapsed() < REFRESH_EVERY),
            Look::UntilLoaded => self.loaded(),
            Look::Now => false,
        };
        if skip {
            return Ok(());
        }
        let started = Instant::now();
        // Read before the entries: a transaction still running now is read again later.
        let horizon = Horizon::find_by_statement(pg(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::int8 AS xmin",
            [],
        ))
        .one(&self.db)
        .await?
        .map_or(0, |h| h.xmin);
        match (pos.since, pos.at) {
            (Some(since), Some(at)) if at.elapsed() < RELOAD_AFTER => self.follow(since).await?,
            _ => self.load().await?,
        }
        pos.since = Some(horizon);
        pos.at = Some(started);
        Ok(())
    }

    /// Read every entry into a new index and put it in place of the old one. Read in
    /// pages: no statement holds a pooled connection for long, and no more than a page
    /// of rows is held beside the index being built.
    async fn load(&self) -> SearchResult<()> {
        let mut index = Index::default();
        let mut after = Uuid::nil();
        loop {
            let batch = EntryRow::find_by_statement(pg(
                format!(
                    "SELECT {ENTRY_COLUMNS} WHERE e.id > $1 \
                     ORDER BY e.id LIMIT {LOAD_PAGE}"
                ),
                [after.into()],
            ))
            .all(&self.db)
            .await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            let full = batch.len() == LOAD_PAGE;
            for row in batch {
                index.upsert(row);
            }
            if !full {
                break;
            }
        }
        index.shrink();
        tracing::info!(entries = index.count(), "search index loaded into memory");
        *self.index.write().unwrap_or_else(|e| e.into_inner()) = index;
        self.loaded.store(true, Ordering::Release);
        Ok(())
    }

    /// Apply what was written by transaction `since` or later: the entries as they are
    /// now, and the tombstones of entries that are gone now.
    async fn follow(&self, since: i64) -> SearchResult<()> {
        let since = Value::from(since.to_string());
        let changed = EntryRow::find_by_statement(pg(
            format!("SELECT {ENTRY_COLUMNS} WHERE e.xid >= $1::text::xid8"),
            [since.clone()],
        ))
        .all(&self.db)
        .await?;
        let gone = Gone::find_by_statement(pg(
            "SELECT DISTINCT r.id FROM search.removed r WHERE r.xid >= $1::text::xid8 \
             AND NOT EXISTS (SELECT 1 FROM search.entries e WHERE e.id = r.id)",
            [since],
        ))
        .all(&self.db)
        .await?;
        if changed.is_empty() && gone.is_empty() {
            return Ok(());
        }
        let mut index = self.index.write().unwrap_or_else(|e| e.into_inner());
        for g in gone {
            index.remove(g.id);
        }
        for row in changed {
            index.upsert(row);
        }
        Ok(())
    }

    /// After a write of this process: read it back, if the index is in use here.
    async fn written(&self) -> SearchResult<()> {
        if self.loaded() {
            self.refresh(Look::Now).await?;
        }
        Ok(())
    }

    /// Bring the index up to date if a look is due. Until the index is loaded, searches
    /// wait for the load: the SQL of a search costs Postgres a hundred times what the
    /// index does, and many searches asking it at once would starve the load itself.
    async fn current(&self) -> SearchResult<()> {
        if self.loaded() {
            self.refresh(Look::IfDue).await
        } else {
            self.refresh(Look::UntilLoaded).await
        }
    }

    fn read<T>(&self, f: impl FnOnce(&Index) -> T) -> T {
        f(&self.index.read().unwrap_or_else(|e| e.into_inner()))
    }
}

#[async_trait::async_trait]
impl SearchBackend for MemoryBackend {
    fn name(&self) -> &'static str {
        "postgres+memory"
    }

    async fn warm(&self) -> SearchResult<()> {
        self.refresh(Look::UntilLoaded).await
    }

    async fn upsert(&self, docs: &[Document]) -> SearchResult<u64> {
        let n = self.sql.upsert(docs).await?;
        self.written().await?;
        Ok(n)
    }

    async fn delete(&self, ids: &[Uuid]) -> SearchResult<u64> {
        let n = self.sql.delete(ids).await?;
        self.written().await?;
        Ok(n)
    }

    async fn apply(&self, upserts: &[Document], deletes: &[Uuid]) -> SearchResult<(u64, u64)> {
        let done = self.sql.apply(upserts, deletes).await?;
        self.written().await?;
        Ok(done)
    }

    #[tracing::instrument(skip_all, fields(backend = "postgres+memory"))]
    async fn search(&self, query: &SearchQuery) -> SearchResult<SearchResults> {
        let q = query.normalized()?;
        self.current().await?;
        let found = self.read(|index| index.search(&q));
        let (hits, more) = page(found.page, &q);
        let facets = if q.facets.is_empty() {
            Facets::default()
        } else {
            facets_from_rows(found.groups, &q.facets).1
        };
        Ok(SearchResults {
            next_cursor: q.next_cursor(more),
            hits,
            total: found.total,
            facets,
        })
    }

    #[tracing::instrument(skip_all, fields(backend = "postgres+memory"))]
    async fn suggest(&self, prefix: &str, limit: usize) -> SearchResult<Vec<Suggestion>> {
        let terms = suggest_terms(prefix)?;
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        self.current().await?;
        let rows = self.read(|index| index.suggest(&terms, limit));
        Ok(rows.into_iter().map(|r| r.suggestion(&terms)).collect())
    }

    async fn rebuild(&self, batches: DocumentStream<'_>) -> SearchResult<u64> {
        let n = self.sql.rebuild(batches).await?;
        self.written().await?;
        Ok(n)
    }
}
