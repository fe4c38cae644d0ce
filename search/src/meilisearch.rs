//! The Meilisearch backend (through `meilisearch-sdk`), used when `MEILISEARCH_URL` is set.
//!
//! - Settings are applied when the backend starts, and again on every rebuild's new
//!   index, so an index always matches this code.
//! - Matching is the shop's promise, the same set as Postgres: every word of a query must
//!   occur as a substring of the title, a tag or the description. Meilisearch matches
//!   words, not substrings, and its Korean segmenter decides what a word is (물김치 is
//!   stored whole, 꽃게 split into 꽃 + 게). So each text is also indexed as one word per
//!   character (`*_chars`, see [`text::char_tokens`]), those are the only searchable
//!   fields, and a query word is sent as the phrase of its characters, which matches
//!   where those characters stand next to each other. Every word is required
//!   (`matchingStrategy: all`), phrases are never typo-tolerant nor prefixes, and
//!   highlighting is done here, as for Postgres. See `search/EXPLAIN.md`.
//! - An explicit sort is the first ranking rule and ends on the id, so it orders the hits
//!   exactly as Postgres does.
//! - Writes go in batches that are all sent before the backend waits, once, for their
//!   tasks; a failed task is an error (an indexer event then stays pending and is
//!   retried).
//! - Every HTTP call has a deadline, and so has waiting for a task: a hung engine makes
//!   search answer 503 rather than hang.
//! - A full rebuild fills a new index and swaps it in, so search never sees an empty one.
//! - Filters are built only from typed values (ids, booleans, numbers), never from
//!   user text, so they need no escaping.

use crate::backend::{DocumentStream, MAX_SUGGESTIONS, SearchBackend};
use crate::documents::Document;
use crate::error::{SearchError, SearchResult};
use crate::query::{
    Facet, FacetCount, Facets, PriceBucket, SearchQuery, SearchResults, Sort, StoredHit,
    Suggestion, suggest_terms,
};
use crate::text;
use chrono::Utc;
use futures::StreamExt;
use meilisearch_sdk::client::{Client, SwapIndexes};
use meilisearch_sdk::errors::Error as MeiliError;
use meilisearch_sdk::indexes::IndexesQuery;
use meilisearch_sdk::search::MatchingStrategies;
use meilisearch_sdk::search::Selectors;
use meilisearch_sdk::settings::{
    FacetSortValue, FacetingSettings, LocalizedAttributes, MinWordSizeForTypos, PaginationSetting,
    Settings, TypoToleranceSettings,
};
use meilisearch_sdk::task_info::TaskInfo;
use meilisearch_sdk::tasks::{FailedTask, Task, TasksSearchQuery};
use platform::config::EnvSource;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Where Meilisearch is and how long to wait for it.
#[derive(Clone)]
pub struct MeiliConfig {
    pub url: String,
    pub api_key: Option<String>,
    /// The index searches read (default `products`).
    pub index: String,
    /// Deadline of one HTTP call.
    pub request_timeout: Duration,
    /// Deadline for an enqueued task (a write, settings, a swap) to finish; when several
    /// are waited for, for the next of them to finish.
    pub task_timeout: Duration,
    /// Documents per write request.
    pub write_batch: usize,
}

impl std::fmt::Debug for MeiliConfig {
    // The API key never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeiliConfig")
            .field("url", &self.url)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("index", &self.index)
            .field("request_timeout", &self.request_timeout)
            .field("task_timeout", &self.task_timeout)
            .field("write_batch", &self.write_batch)
            .finish()
    }
}

impl MeiliConfig {
    pub fn new(url: impl Into<String>, api_key: Option<String>) -> Self {
        MeiliConfig {
            url: url.into(),
            api_key,
            index: "products".to_owned(),
            request_timeout: Duration::from_secs(5),
            task_timeout: Duration::from_secs(60),
            write_batch: 1000,
        }
    }

    /// `MEILISEARCH_URL` (required), `MEILISEARCH_API_KEY`, `MEILISEARCH_INDEX`,
    /// `MEILISEARCH_TIMEOUT_SECS`, `MEILISEARCH_TASK_TIMEOUT_SECS`; `None` when no URL is
    /// set.
    pub fn from_source(env: &impl EnvSource) -> Option<SearchResult<MeiliConfig>> {
        let url = env.get("MEILISEARCH_URL")?;
        Some((|| {
            let mut cfg = MeiliConfig::new(url, env.get("MEILISEARCH_API_KEY"));
            if let Some(index) = env.get("MEILISEARCH_INDEX") {
                cfg.index = index;
            }
            for (var, slot) in [
                ("MEILISEARCH_TIMEOUT_SECS", &mut cfg.request_timeout),
                ("MEILISEARCH_TASK_TIMEOUT_SECS", &mut cfg.task_timeout),
            ] {
                if let Some(raw) = env.get(var) {
                    let secs: u64 = raw.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                        SearchError::Config(format!("{var}: not a number of seconds: {raw:?}"))
                    })?;
                    *slot = Duration::from_secs(secs);
                }
            }
            cfg.validate()?;
            Ok(cfg)
        })())
    }

    fn validate(&self) -> SearchResult<()> {
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(SearchError::Config(
                "MEILISEARCH_URL must be an http:// or https:// URL".into(),
            ));
        }
        // The SDK puts the key in a header and panics on bytes a header cannot hold.
        if self
            .api_key
            .as_deref()
            .is_some_and(|k| k.is_empty() || !k.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(SearchError::Config(
                "MEILISEARCH_API_KEY must be printable ASCII without spaces".into(),
            ));
        }
        if self.index.is_empty()
            || self.index.len() > 200
            || !self
                .index
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(SearchError::Config(
                "MEILISEARCH_INDEX may hold only a-z, A-Z, 0-9, - and _".into(),
            ));
        }
        Ok(())
    }
}

/// The document as Meilisearch stores it: flat, with the facet helpers it cannot
/// compute itself, and the publication time as a number so that it sorts.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct MeiliDoc {
    id: Uuid,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    tags: Vec<String>,
    vendor_id: Uuid,
    vendor_name: String,
    /// `"<vendor id> <trade name>"`: one facet value that carries the name to show.
    #[serde(default)]
    vendor_key: String,
    category_id: Uuid,
    #[serde(default)]
    category_ids: Vec<Uuid>,
    #[serde(default)]
    certified: bool,
    #[serde(default)]
    certification_kinds: Vec<String>,
    #[serde(default)]
    campaign_ids: Vec<Uuid>,
    price: i64,
    #[serde(default)]
    price_bucket: String,
    #[serde(default)]
    in_stock: bool,
    #[serde(default)]
    popularity: i64,
    /// Milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    published_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    /// The searchable forms of title, tags and description: one word per character.
    #[serde(default)]
    title_chars: String,
    #[serde(default)]
    tags_chars: String,
    #[serde(default)]
    description_chars: String,
}

impl From<&Document> for MeiliDoc {
    fn from(d: &Document) -> MeiliDoc {
        MeiliDoc {
            id: d.id,
            title: d.title.clone(),
            description: d.description.clone(),
            tags: d.tags.clone(),
            vendor_id: d.vendor_id,
            vendor_name: d.vendor_name.clone(),
            vendor_key: format!("{} {}", d.vendor_id, d.vendor_name),
            category_id: d.category_id,
            category_ids: d.category_ids.clone(),
            certified: d.certified,
            certification_kinds: d.certification_kinds.clone(),
            campaign_ids: d.campaign_ids.clone(),
            price: d.price.get(),
            price_bucket: PriceBucket::of(d.price).key().to_owned(),
            in_stock: d.in_stock,
            popularity: d.popularity,
            published_at: d.published_at.map(|t| t.timestamp_millis()),
            image: d.image.clone(),
            title_chars: text::char_tokens([d.title.as_str()]),
            tags_chars: text::char_tokens(d.tags.iter().map(String::as_str)),
            description_chars: text::char_tokens([d.description.as_str()]),
        }
    }
}

#[derive(Debug, Deserialize)]
struct SuggestDoc {
    id: Uuid,
    title: String,
}

/// Order is priority (the `attribute` rule): a title match outranks a tag match
/// outranks the description.
pub const SEARCHABLE: [&str; 3] = ["title_chars", "tags_chars", "description_chars"];
pub const FILTERABLE: [&str; 9] = [
    "category_ids",
    "vendor_id",
    "vendor_key",
    "certified",
    "certification_kinds",
    "campaign_ids",
    "price",
    "price_bucket",
    "in_stock",
];
/// `id` breaks ties, so that equal prices or times still come in one fixed order.
pub const SORTABLE: [&str; 4] = ["price", "published_at", "popularity", "id"];
/// What a hit needs; the `*_chars` fields stay on the server.
const RETRIEVED: [&str; 13] = [
    "id",
    "title",
    "description",
    "tags",
    "vendor_id",
    "vendor_name",
    "category_id",
    "certified",
    "in_stock",
    "price",
    "published_at",
    "image",
    "popularity",
];
/// `sort` first: when a search names a sort it decides the order, the relevance rules
/// only break its ties (and `id` in the sort breaks the rest); without one the rule does
/// nothing. It stood after `attribute` and a sort was then ignored for text searches.
pub const RANKING_RULES: [&str; 7] = [
    "sort",
    "words",
    "typo",
    "proximity",
    "attribute",
    "exactness",
    "popularity:desc",
];
/// Word lengths from which one and two typos are allowed. Meilisearch versions differ in
/// what they count: UTF-8 bytes (3 per Hangul syllable, so the default of 5 allowed a
/// typo in every two-syllable word) or, in later versions, characters. 10 keeps every
/// Korean word of up to three syllables exact either way: 김치 must not find 감칠맛. The searchable fields hold
/// character words and phrases, which are never typo-tolerant, so these only matter if a
/// natural-language field is ever searched again.
pub const ONE_TYPO_FROM: u8 = 10;
pub const TWO_TYPOS_FROM: u8 = 18;

/// The index settings this code relies on.
pub fn settings() -> Settings {
    Settings::new()
        .with_searchable_attributes(SEARCHABLE)
        .with_filterable_attributes(FILTERABLE)
        .with_sortable_attributes(SORTABLE)
        .with_ranking_rules(RANKING_RULES)
        // Postgres knows no synonyms; an empty map also clears any an older version set.
        .with_synonyms(HashMap::<String, Vec<String>>::new())
        .with_typo_tolerance(TypoToleranceSettings {
            enabled: Some(true),
            disable_on_attributes: Some(SEARCHABLE.iter().map(|s| (*s).to_owned()).collect()),
            disable_on_words: Some(Vec::new()),
            min_word_size_for_typos: Some(MinWordSizeForTypos {
                one_typo: Some(ONE_TYPO_FROM),
                two_typos: Some(TWO_TYPOS_FROM),
            }),
            // "2kg" must not match "3kg".
            disable_on_numbers: Some(true),
        })
        // Phrases are matched through the positions of words: keep them per word.
        .with_proximity_precision("byWord")
        // The most frequent values first, so the first 100 are the ones that count.
        .with_faceting(FacetingSettings {
            max_values_per_facet: 100,
            sort_facet_values_by: Some(BTreeMap::from([("*".to_owned(), FacetSortValue::Count)])),
        })
        .with_pagination(PaginationSetting {
            max_total_hits: crate::query::MAX_RESULTS,
        })
        // The character words are Latin letters: read them as such, never guess a
        // language (a segmenter for German compounds could split them).
        .with_localized_attributes([LocalizedAttributes {
            locales: vec!["eng".to_owned()],
            attribute_patterns: SEARCHABLE.iter().map(|s| (*s).to_owned()).collect(),
        }])
}

/// The query Meilisearch gets for the words of a search: each word as the phrase of its
/// characters.
fn phrase_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| text::char_phrase(t))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A failed task as an error carrying Meilisearch's code and message.
fn task_failed(t: FailedTask) -> SearchError {
    SearchError::TaskFailed {
        task_uid: t.task.uid,
        code: serde_json::to_value(&t.error.error_code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("{:?}", t.error.error_code)),
        message: t.error.error_message,
    }
}

pub struct MeilisearchBackend {
    client: Client,
    config: MeiliConfig,
}

impl MeilisearchBackend {
    /// Connect, create the index if it is missing and apply [`settings`], waiting until
    /// Meilisearch has done so: a backend that starts is ready to serve.
    pub async fn connect(config: MeiliConfig) -> SearchResult<MeilisearchBackend> {
        config.validate()?;
        let client = Client::new(config.url.trim_end_matches('/'), config.api_key.clone())
            .map_err(|e| SearchError::Config(format!("MEILISEARCH_URL: {e}")))?;
        let backend = MeilisearchBackend { client, config };
        let index = backend.config.index.clone();
        backend.ensure_index(&index).await?;
        backend.apply_settings(&index).await?;
        Ok(backend)
    }

    pub fn config(&self) -> &MeiliConfig {
        &self.config
    }

    /// One HTTP call, with the request deadline.
    async fn call<T>(
        &self,
        what: &'static str,
        fut: impl Future<Output = Result<T, MeiliError>>,
    ) -> SearchResult<T> {
        match tokio::time::timeout(self.config.request_timeout, fut).await {
            Ok(res) => res.map_err(SearchError::from),
            Err(_) => Err(SearchError::Timeout(what)),
        }
    }

    /// Poll a task until it finishes; a failed task is an error carrying Meilisearch's
    /// code and message. The deadline is wall-clock time, polls included.
    async fn wait(&self, task: TaskInfo, what: &'static str) -> SearchResult<()> {
        let deadline = Instant::now() + self.config.task_timeout;
        let mut interval = Duration::from_millis(10);
        loop {
            let t = self.call(what, self.client.get_task(&task)).await?;
            match t {
                Task::Succeeded { .. } => return Ok(()),
                Task::Failed { content } => return Err(task_failed(content)),
                Task::Enqueued { .. } | Task::Processing { .. } => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(SearchError::Timeout(what));
                    }
                    tokio::time::sleep(interval.min(deadline - now)).await;
                    interval = (interval * 2).min(Duration::from_millis(250));
                }
            }
        }
    }

    /// Wait for several tasks at once: one `GET /tasks?uids=…` per poll, not one wait
    /// per task. Meilisearch runs the tasks of an index in order and merges consecutive
    /// document writes into one batch, so sending every batch first and then waiting is
    /// what lets it do so. The first failed task is the error.
    ///
    /// The deadline is for progress, not for the whole queue: it restarts whenever
    /// another task has finished. A rebuild of 100k documents enqueues a hundred writes
    /// that together take longer than one task timeout while Meilisearch advances
    /// steadily; only an engine that finishes nothing for a task timeout is given up on.
    async fn wait_all(&self, mut tasks: Vec<TaskInfo>, what: &'static str) -> SearchResult<()> {
        if tasks.len() <= 1 {
            return match tasks.pop() {
                Some(task) => self.wait(task, what).await,
                None => Ok(()),
            };
        }
        let uids: Vec<u32> = tasks.iter().map(|t| t.task_uid).collect();
        let mut deadline = Instant::now() + self.config.task_timeout;
        let mut interval = Duration::from_millis(10);
        let mut finished_before = 0;
        loop {
            let mut query = TasksSearchQuery::new(&self.client);
            query.with_uids(&uids).with_limit(uids.len() as u32);
            let found = self.call(what, self.client.get_tasks_with(&query)).await?;
            let mut finished = 0;
            for t in found.results {
                match t {
                    Task::Succeeded { .. } => finished += 1,
                    Task::Failed { content } => return Err(task_failed(content)),
                    Task::Enqueued { .. } | Task::Processing { .. } => {}
                }
            }
            if finished >= uids.len() {
                return Ok(());
            }
            let now = Instant::now();
            if finished > finished_before {
                finished_before = finished;
                deadline = now + self.config.task_timeout;
            }
            if now >= deadline {
                return Err(SearchError::Timeout(what));
            }
            tokio::time::sleep(interval.min(deadline - now)).await;
            interval = (interval * 2).min(Duration::from_millis(250));
        }
    }

    async fn ensure_index(&self, uid: &str) -> SearchResult<()> {
        let task = self
            .call(
                "creating the index",
                self.client.create_index(uid, Some("id")),
            )
            .await?;
        match self.wait(task, "creating the index").await {
            Err(SearchError::TaskFailed { code, .. }) if code == "index_already_exists" => Ok(()),
            other => other,
        }
    }

    async fn apply_settings(&self, uid: &str) -> SearchResult<()> {
        let index = self.client.index(uid);
        let settings = settings();
        let task = self
            .call("applying settings", index.set_settings(&settings))
            .await?;
        self.wait(task, "applying settings").await
    }

    /// Send `docs` in batches of [`MeiliConfig::write_batch`], without waiting.
    async fn send_documents(&self, uid: &str, docs: &[Document]) -> SearchResult<Vec<TaskInfo>> {
        let index = self.client.index(uid);
        let mut tasks = Vec::new();
        for chunk in docs.chunks(self.config.write_batch.max(1)) {
            let body: Vec<MeiliDoc> = chunk.iter().map(MeiliDoc::from).collect();
            tasks.push(
                self.call("writing documents", index.add_or_replace(&body, Some("id")))
                    .await?,
            );
        }
        Ok(tasks)
    }

    /// Send the deletion of `ids` in batches, without waiting.
    async fn send_deletions(&self, ids: &[Uuid]) -> SearchResult<Vec<TaskInfo>> {
        let index = self.client.index(&self.config.index);
        let mut tasks = Vec::new();
        for chunk in ids.chunks(self.config.write_batch.max(1)) {
            tasks.push(
                self.call("deleting documents", index.delete_documents(chunk))
                    .await?,
            );
        }
        Ok(tasks)
    }

    async fn drop_index(&self, uid: &str) -> SearchResult<()> {
        let task = self
            .call("deleting an index", self.client.delete_index(uid))
            .await?;
        self.wait(task, "deleting an index").await
    }

    async fn fill(&self, uid: &str, mut batches: DocumentStream<'_>) -> SearchResult<u64> {
        self.ensure_index(uid).await?;
        self.apply_settings(uid).await?;
        let mut written = 0u64;
        let mut tasks = Vec::new();
        while let Some(batch) = batches.next().await {
            let batch = batch?;
            tasks.extend(self.send_documents(uid, &batch).await?);
            written += batch.len() as u64;
        }
        self.wait_all(tasks, "writing documents").await?;
        Ok(written)
    }

    /// Temporary indexes of rebuilds that were killed before they could drop them
    /// (`<live>_rebuild_…`), found by name and by having had no write for a task
    /// timeout: a rebuild that is running writes its index all the time.
    async fn drop_abandoned_rebuilds(&self) -> SearchResult<()> {
        let prefix = format!("{}_rebuild_", self.config.index);
        let mut query = IndexesQuery::new(&self.client);
        query.with_limit(1000);
        let indexes = self
            .call("listing indexes", self.client.list_all_indexes_with(&query))
            .await?;
        let now = Utc::now().timestamp();
        let quiet = i64::try_from(self.config.task_timeout.as_secs()).unwrap_or(i64::MAX);
        let mut tasks = Vec::new();
        for index in indexes.results {
            let abandoned = index.uid.starts_with(&prefix)
                && index
                    .updated_at
                    .is_none_or(|at| now.saturating_sub(at.unix_timestamp()) >= quiet);
            if abandoned {
                tracing::info!(index = %index.uid, "dropping the index of an abandoned rebuild");
                tasks.push(
                    self.call("deleting an index", self.client.delete_index(&index.uid))
                        .await?,
                );
            }
        }
        self.wait_all(tasks, "deleting an index").await
    }
}

fn filter_expr(q: &SearchQuery) -> Vec<String> {
    let f = &q.filters;
    let mut out = Vec::new();
    if let Some(c) = f.category {
        out.push(format!("category_ids = \"{c}\""));
    }
    if let Some(v) = f.vendor {
        out.push(format!("vendor_id = \"{v}\""));
    }
    if let Some(c) = f.certified {
        out.push(format!("certified = {c}"));
    }
    if let Some(min) = f.min_price {
        out.push(format!("price >= {}", min.get()));
    }
    if let Some(max) = f.max_price {
        out.push(format!("price <= {}", max.get()));
    }
    if let Some(c) = f.campaign {
        out.push(format!("campaign_ids = \"{c}\""));
    }
    if let Some(s) = f.in_stock {
        out.push(format!("in_stock = {s}"));
    }
    out
}

fn facet_attributes(facets: &[Facet]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for f in facets {
        match f {
            Facet::Category => out.push("category_ids"),
            Facet::Vendor => out.push("vendor_key"),
            Facet::Certification => out.extend(["certification_kinds", "certified"]),
            Facet::Price => out.push("price_bucket"),
        }
    }
    out
}

/// The sort of a search, with Postgres' tiebreaks (`id`; documents without a
/// publication time come last, as `NULLS LAST` puts them). Relevance with words is the
/// ranking rules themselves; without words it is the popular order.
fn sort_expr(sort: Sort, has_words: bool) -> &'static [&'static str] {
    match sort {
        Sort::Relevance if has_words => &[],
        Sort::Relevance | Sort::Popular => &["popularity:desc", "published_at:desc", "id:desc"],
        Sort::Newest => &["published_at:desc", "id:desc"],
        Sort::PriceAsc => &["price:asc", "id:asc"],
        Sort::PriceDesc => &["price:desc", "id:desc"],
    }
}

fn facets_from_distribution(
    dist: Option<&HashMap<String, HashMap<String, usize>>>,
    wanted: &[Facet],
) -> Facets {
    let empty = HashMap::new();
    let get = |name: &str| dist.and_then(|d| d.get(name)).unwrap_or(&empty);
    let counts = |name: &str| -> Vec<FacetCount> {
        get(name)
            .iter()
            .map(|(value, n)| FacetCount {
                value: value.clone(),
                label: None,
                count: *n as u64,
            })
            .collect()
    };
    let mut facets = Facets::default();
    for f in wanted {
        match f {
            Facet::Category => facets.categories = counts("category_ids"),
            Facet::Vendor => {
                facets.vendors = get("vendor_key")
                    .iter()
                    .map(|(key, n)| {
                        let (id, name) = key.split_once(' ').unwrap_or((key.as_str(), ""));
                        FacetCount {
                            value: id.to_owned(),
                            label: Some(name.to_owned()),
                            count: *n as u64,
                        }
                    })
                    .collect();
            }
            Facet::Certification => {
                facets.certifications = counts("certification_kinds");
                facets.certified = get("certified").get("true").copied().unwrap_or(0) as u64;
            }
            Facet::Price => {
                let prices = get("price_bucket");
                facets.prices =
                    Facets::price_buckets(|b| prices.get(b.key()).copied().unwrap_or(0) as u64);
            }
        }
    }
    facets.tidy()
}

#[async_trait::async_trait]
impl SearchBackend for MeilisearchBackend {
    fn name(&self) -> &'static str {
        "meilisearch"
    }

    #[tracing::instrument(skip_all, fields(n = docs.len()))]
    async fn upsert(&self, docs: &[Document]) -> SearchResult<u64> {
        Ok(self.apply(docs, &[]).await?.0)
    }

    #[tracing::instrument(skip_all, fields(n = ids.len()))]
    async fn delete(&self, ids: &[Uuid]) -> SearchResult<u64> {
        Ok(self.apply(&[], ids).await?.1)
    }

    /// Both writes are sent, then waited for once.
    #[tracing::instrument(skip_all, fields(upserts = upserts.len(), deletes = deletes.len()))]
    async fn apply(&self, upserts: &[Document], deletes: &[Uuid]) -> SearchResult<(u64, u64)> {
        let mut tasks = self.send_documents(&self.config.index, upserts).await?;
        tasks.extend(self.send_deletions(deletes).await?);
        self.wait_all(tasks, "writing documents").await?;
        // Meilisearch does not say which documents differed.
        Ok((upserts.len() as u64, deletes.len() as u64))
    }

    #[tracing::instrument(skip_all, fields(backend = "meilisearch"))]
    async fn search(&self, query: &SearchQuery) -> SearchResult<SearchResults> {
        let q = query.normalized()?;
        let index = self.client.index(&self.config.index);
        let filter = filter_expr(&q).join(" AND ");
        let facet_names = facet_attributes(&q.facets);
        let terms = q.terms();
        let words = phrase_query(&terms);
        let mut s = index.search();
        if !terms.is_empty() {
            s.with_query(&words)
                .with_matching_strategy(MatchingStrategies::ALL);
        }
        if !filter.is_empty() {
            s.with_filter(&filter);
        }
        if !facet_names.is_empty() {
            s.with_facets(Selectors::Some(&facet_names));
        }
        let sort = sort_expr(q.sort, !terms.is_empty());
        if !sort.is_empty() {
            s.with_sort(sort);
        }
        // One extra hit proves there is another page.
        s.with_offset(q.offset)
            .with_limit(q.limit + 1)
            .with_attributes_to_retrieve(Selectors::Some(&RETRIEVED));
        let res = self.call("searching", s.execute::<StoredHit>()).await?;
        let more = res.hits.len() > q.limit;
        let total = res
            .estimated_total_hits
            .or(res.total_hits)
            .unwrap_or(q.offset + res.hits.len()) as u64;
        let facets = facets_from_distribution(res.facet_distribution.as_ref(), &q.facets);
        let hits = res
            .hits
            .into_iter()
            .take(q.limit)
            .map(|h| h.result.into_hit(&terms))
            .collect();
        Ok(SearchResults {
            hits,
            total,
            facets,
            next_cursor: q.next_cursor(more),
        })
    }

    #[tracing::instrument(skip_all, fields(backend = "meilisearch"))]
    async fn suggest(&self, prefix: &str, limit: usize) -> SearchResult<Vec<Suggestion>> {
        let terms = suggest_terms(prefix)?;
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let words = phrase_query(&terms);
        let index = self.client.index(&self.config.index);
        let mut s = index.search();
        s.with_query(&words)
            .with_matching_strategy(MatchingStrategies::ALL)
            .with_attributes_to_search_on(&["title_chars"])
            .with_attributes_to_retrieve(Selectors::Some(&["id", "title"]))
            .with_limit(limit.clamp(1, MAX_SUGGESTIONS));
        let res = self.call("suggesting", s.execute::<SuggestDoc>()).await?;
        Ok(res
            .hits
            .into_iter()
            .map(|h| Suggestion {
                highlighted: text::highlight(&h.result.title, &terms),
                id: h.result.id,
                title: h.result.title,
            })
            .collect())
    }

    /// Fill a fresh index, then swap it with the live one in one atomic task and drop
    /// the old data. Until the swap, search reads the old index.
    #[tracing::instrument(skip_all, fields(backend = "meilisearch"))]
    async fn rebuild(&self, batches: DocumentStream<'_>) -> SearchResult<u64> {
        let live = self.config.index.clone();
        // What a killed rebuild left behind goes now; failing to is no reason to stop.
        if let Err(err) = self.drop_abandoned_rebuilds().await {
            tracing::warn!(error = %err, "cannot drop the indexes of abandoned rebuilds");
        }
        let fresh = format!("{live}_rebuild_{}", Uuid::now_v7().simple());
        let written = match self.fill(&fresh, batches).await {
            Ok(n) => n,
            Err(err) => {
                if let Err(cleanup) = self.drop_index(&fresh).await {
                    tracing::warn!(index = %fresh, error = %cleanup, "cannot drop a failed rebuild index");
                }
                return Err(err);
            }
        };
        self.ensure_index(&live).await?;
        let swap = SwapIndexes {
            indexes: (live.clone(), fresh.clone()),
            rename: None,
        };
        let task = self
            .call("swapping indexes", self.client.swap_indexes([&swap]))
            .await?;
        self.wait(task, "swapping indexes").await?;
        // `fresh` now holds the previous generation.
        if let Err(err) = self.drop_index(&fresh).await {
            tracing::warn!(index = %fresh, error = %err, "cannot drop the previous index");
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Filters;
    use platform::money::Won;

    #[test]
    fn filters_are_built_from_typed_values() {
        let id = Uuid::nil();
        let q = SearchQuery {
            filters: Filters {
                category: Some(id),
                certified: Some(true),
                min_price: Some(Won(1000)),
                in_stock: Some(false),
                ..Filters::default()
            },
            ..SearchQuery::default()
        };
        assert_eq!(
            filter_expr(&q).join(" AND "),
            format!(
                "category_ids = \"{id}\" AND certified = true AND price >= 1000 AND in_stock = false"
            )
        );
    }

    #[test]
    fn config_rejects_what_would_break_the_client() {
        let env = [
            ("MEILISEARCH_URL", "http://127.0.0.1:7700"),
            ("MEILISEARCH_API_KEY", "bad key"),
        ];
        assert!(matches!(
            MeiliConfig::from_source(&env),
            Some(Err(SearchError::Config(_)))
        ));
        let env = [("MEILISEARCH_URL", "127.0.0.1:7700")];
        assert!(matches!(
            MeiliConfig::from_source(&env),
            Some(Err(SearchError::Config(_)))
        ));
        let env = [("X", "y")];
        assert!(MeiliConfig::from_source(&env).is_none());
        let env = [
            ("MEILISEARCH_URL", "http://m:7700"),
            ("MEILISEARCH_API_KEY", "secret-key"),
        ];
        let cfg = MeiliConfig::from_source(&env).and_then(Result::ok);
        assert!(cfg.is_some_and(|c| !format!("{c:?}").contains("secret-key")));
    }
}
