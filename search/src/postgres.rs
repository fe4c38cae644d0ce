//! The default backend: `search.documents` in the shop's own Postgres.
//!
//! Matching is substring matching, because Korean compounds have no spaces: "김치" must
//! find "강화순무김치". Every query word must occur (case-insensitively) in the title, the
//! tags or the description. The GIN index on `grams` (every 1–2 character substring)
//! finds the candidates for words of any length — pg_trgm alone cannot for one- or
//! two-syllable words, which have no trigram — and `ILIKE` rechecks words of three or
//! more characters (a shorter word is a single gram, so the index answer is exact). Results rank by
//! how many words the title contains, then whole-word matches (the `simple` tsvector),
//! then the shorter title (the closer match), then popularity. Facets are `GROUP BY`s over
//! the same filtered set. See `search/EXPLAIN.md` for the plans.

use crate::backend::{DocumentStream, MAX_SUGGESTIONS, SearchBackend};
use crate::documents::{Document, text_array};
use crate::error::{SearchError, SearchResult};
use crate::query::{
    Facet, FacetCount, Facets, Hit, MAX_QUERY_CHARS, PriceBucket, SearchQuery, SearchResults, Sort,
    Suggestion, VendorRef,
};
use crate::text;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use platform::db::uuid_array;
use platform::money::Won;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, FromQueryResult, Statement, Value};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// Rows per INSERT: big enough to amortise the round trip, small enough that one
/// statement's JSON parameter stays a few megabytes.
const WRITE_CHUNK: usize = 500;

#[derive(Clone)]
pub struct PostgresBackend {
    db: DatabaseConnection,
}

impl PostgresBackend {
    pub fn new(db: DatabaseConnection) -> Self {
        PostgresBackend { db }
    }
}

/// Collects SQL conditions and their parameters; every value is bound, never spliced.
#[derive(Default)]
struct Sql {
    conds: Vec<String>,
    values: Vec<Value>,
}

impl Sql {
    fn bind(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        format!("${}", self.values.len())
    }

    fn where_clause(&self) -> String {
        if self.conds.is_empty() {
            "TRUE".to_owned()
        } else {
            self.conds.join(" AND ")
        }
    }
}

/// The text and filter conditions of a (normalised) query. Only what the conditions use
/// is bound: statements are prepared and cached per connection by their text, so two
/// queries whose text is the same must bind the same parameters (a one-word and a
/// two-word search once shared the text of their facet statement but not its parameters,
/// and the second answered 500).
struct Matching {
    sql: Sql,
    /// Per query word, the placeholder of its `%word%` pattern if the conditions bound
    /// one (words of three or more characters).
    patterns: Vec<(String, Option<String>)>,
}

fn matching(q: &SearchQuery) -> Matching {
    let mut sql = Sql::default();
    let terms = q.terms();
    let mut patterns = Vec::new();
    if !terms.is_empty() {
        let grams: BTreeSet<String> = terms.iter().flat_map(|t| text::term_grams(t)).collect();
        let grams: Vec<String> = grams.into_iter().collect();
        let g = sql.bind(text_array(&grams));
        sql.conds.push(format!("d.grams @> {g}::text[]"));
        for term in terms {
            // A word of one or two characters is one gram: holding the gram is holding
            // the word, so only longer words need ILIKE to check the grams' order.
            let p = if term.chars().count() > 2 {
                let p = sql.bind(text::like_pattern(&term));
                sql.conds.push(format!(
                    "(d.title ILIKE {p} OR d.tags_text ILIKE {p} OR d.description ILIKE {p})"
                ));
                Some(p)
            } else {
                None
            };
            patterns.push((term, p));
        }
    }
    let f = &q.filters;
    if let Some(c) = f.category {
        let p = sql.bind(uuid_array(&[c]));
        sql.conds.push(format!("d.category_ids @> {p}::uuid[]"));
    }
    if let Some(v) = f.vendor {
        let p = sql.bind(v);
        sql.conds.push(format!("d.vendor_id = {p}"));
    }
    if let Some(c) = f.certified {
        let p = sql.bind(c);
        sql.conds.push(format!("d.certified = {p}"));
    }
    if let Some(min) = f.min_price {
        let p = sql.bind(min.get());
        sql.conds.push(format!("d.price >= {p}"));
    }
    if let Some(max) = f.max_price {
        let p = sql.bind(max.get());
        sql.conds.push(format!("d.price <= {p}"));
    }
    if let Some(c) = f.campaign {
        let p = sql.bind(uuid_array(&[c]));
        sql.conds.push(format!("d.campaign_ids @> {p}::uuid[]"));
    }
    if let Some(s) = f.in_stock {
        let p = sql.bind(s);
        sql.conds.push(format!("d.in_stock = {p}"));
    }
    Matching { sql, patterns }
}

/// The ORDER BY of the hits; binds what the relevance ranking needs into `m`.
fn order_by(q: &SearchQuery, m: &mut Matching) -> String {
    match q.sort {
        Sort::Relevance if !m.patterns.is_empty() => {
            let mut title_hits = Vec::new();
            let mut patterns = std::mem::take(&mut m.patterns);
            for (term, p) in &mut patterns {
                let p = p.get_or_insert_with(|| m.sql.bind(text::like_pattern(term)));
                title_hits.push(format!("(d.title ILIKE {p})::int"));
            }
            let words = m.sql.bind(
                patterns
                    .iter()
                    .map(|(t, _)| t.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            m.patterns = patterns;
            // The shorter of two titles holding the words is the closer match: what
            // trigram `similarity()` said, without scoring every candidate with it (that
            // was two thirds of a broad query's time, see EXPLAIN.md). The tsquery is a
            // sub-select so that it is parsed once: statements are prepared and reused,
            // and under the generic plan Postgres then chooses, a bare
            // `plainto_tsquery($n)` is evaluated again for every candidate (93 ms instead
            // of 10 for "김치" at 100k products).
            format!(
                "({}) DESC, (d.words @@ (SELECT plainto_tsquery('simple', {words}))) DESC, \
                 char_length(d.title), d.popularity DESC, d.id",
                title_hits.join(" + ")
            )
        }
        Sort::Relevance | Sort::Popular => {
            "d.popularity DESC, d.published_at DESC NULLS LAST, d.id DESC".to_owned()
        }
        Sort::Newest => "d.published_at DESC NULLS LAST, d.id DESC".to_owned(),
        Sort::PriceAsc => "d.price ASC, d.id ASC".to_owned(),
        Sort::PriceDesc => "d.price DESC, d.id DESC".to_owned(),
    }
}

fn statement(sql: String, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// The page of hits (one more than asked, to tell whether another page follows).
fn hits_statement(q: &SearchQuery) -> Statement {
    let mut m = matching(q);
    let order = order_by(q, &mut m);
    let lim = m.sql.bind((q.limit + 1) as i64);
    let off = m.sql.bind(q.offset as i64);
    let sql = format!(
        "SELECT d.id, d.title, d.description, d.price, d.vendor_id, d.vendor_name, \
                d.category_id, d.tags, d.certified, d.in_stock, d.image, d.published_at \
         FROM search.documents d WHERE {} ORDER BY {order} LIMIT {lim} OFFSET {off}",
        m.sql.where_clause()
    );
    statement(sql, m.sql.values)
}

fn facets_statement(q: &SearchQuery) -> Statement {
    let m = matching(q);
    statement(facets_sql(&m.sql.where_clause()), m.sql.values)
}

fn count_statement(q: &SearchQuery) -> Statement {
    let m = matching(q);
    let sql = format!(
        "SELECT count(*) AS n FROM search.documents d WHERE {}",
        m.sql.where_clause()
    );
    statement(sql, m.sql.values)
}

/// Titles holding every word of `terms` (at least one), those starting with them first.
fn suggest_statement(terms: &[String], limit: usize) -> Statement {
    let mut sql = Sql::default();
    let grams: BTreeSet<String> = terms.iter().flat_map(|t| text::term_grams(t)).collect();
    let grams: Vec<String> = grams.into_iter().collect();
    let g = sql.bind(text_array(&grams));
    sql.conds.push(format!("d.grams @> {g}::text[]"));
    for term in terms {
        // `strpos`, not `ILIKE`: statements are prepared and reused, and under the
        // generic plan Postgres then picks, it cannot see that a one- or two-syllable
        // pattern has no trigram and reads the whole title trigram index for it (55 ms
        // at 100k products). `strpos` is never indexed: the grams index narrows, this
        // only rechecks that the word is in the title.
        let t = sql.bind(term.clone());
        sql.conds.push(format!("strpos(lower(d.title), {t}) > 0"));
    }
    let starts = sql.bind(terms.join(" "));
    let lim = sql.bind(limit.clamp(1, MAX_SUGGESTIONS) as i64);
    // No `similarity()` here: computing it for every candidate of a one-letter
    // prefix costs more than the rest of the query, and popularity ranks a typeahead
    // list better anyway.
    let stmt = format!(
        "SELECT d.id, d.title FROM search.documents d WHERE {} \
         ORDER BY starts_with(lower(d.title), {starts}) DESC, d.popularity DESC, \
                  char_length(d.title), d.id \
         LIMIT {lim}",
        sql.where_clause()
    );
    statement(stmt, sql.values)
}

#[derive(Debug, FromQueryResult)]
struct HitRow {
    id: Uuid,
    title: String,
    description: String,
    price: i64,
    vendor_id: Uuid,
    vendor_name: String,
    category_id: Uuid,
    tags: Vec<String>,
    certified: bool,
    in_stock: bool,
    image: Option<String>,
    published_at: Option<DateTime<Utc>>,
}

/// One group of the facet scan: the matching documents of one category, vendor and
/// price bucket, with what every facet needs to know about them.
#[derive(Debug, FromQueryResult)]
struct FacetRow {
    category_ids: Vec<Uuid>,
    vendor_id: Uuid,
    vendor_name: String,
    certified: bool,
    certification_kinds: Vec<String>,
    bucket: String,
    n: i64,
}

#[derive(Debug, FromQueryResult)]
struct SuggestRow {
    id: Uuid,
    title: String,
}

/// The price bucket of `d.price` as SQL, built from [`PriceBucket`] so that the
/// boundaries live in one place (they are constants, not input).
fn price_bucket_sql() -> String {
    let mut case = String::from("CASE");
    for b in PriceBucket::ALL {
        match b.range().1 {
            Some(max) => case.push_str(&format!(" WHEN d.price < {max} THEN '{}'", b.key())),
            None => case.push_str(&format!(" ELSE '{}'", b.key())),
        }
    }
    case.push_str(" END");
    case
}

/// Every facet (and the total) from one scan of the matching documents, grouped by
/// category, vendor and price bucket; the facets are summed up from those groups in
/// Rust. A category's path and a vendor's name and badges are the same on all its
/// documents, so `max`/`min` just carry them along. (A `UNION ALL` of one `GROUP BY`
/// per facet over a materialised CTE took 3–4 times as long at 100k documents.)
fn facets_sql(where_clause: &str) -> String {
    format!(
        "SELECT max(d.category_ids) AS category_ids, d.vendor_id, min(d.vendor_name) AS vendor_name, \
                bool_or(d.certified) AS certified, max(d.certification_kinds) AS certification_kinds, \
                {} AS bucket, count(*) AS n \
         FROM search.documents d WHERE {where_clause} \
         GROUP BY d.category_id, d.vendor_id, bucket",
        price_bucket_sql()
    )
}

fn facets_from_rows(rows: Vec<FacetRow>, wanted: &[Facet]) -> (u64, Facets) {
    let mut total = 0;
    let mut categories: HashMap<Uuid, u64> = HashMap::new();
    let mut vendors: HashMap<Uuid, (String, u64)> = HashMap::new();
    let mut kinds: HashMap<String, u64> = HashMap::new();
    let mut certified = 0;
    let mut prices: HashMap<String, u64> = HashMap::new();
    for r in rows {
        let n = u64::try_from(r.n).unwrap_or(0);
        total += n;
        // A product counts for its category and every ancestor.
        for c in r.category_ids {
            *categories.entry(c).or_default() += n;
        }
        vendors.entry(r.vendor_id).or_insert((r.vendor_name, 0)).1 += n;
        if r.certified {
            certified += n;
            for k in r.certification_kinds {
                *kinds.entry(k).or_default() += n;
            }
        }
        *prices.entry(r.bucket).or_default() += n;
    }
    let plain = |m: HashMap<String, u64>| -> Vec<FacetCount> {
        m.into_iter()
            .map(|(value, count)| FacetCount {
                value,
                label: None,
                count,
            })
            .collect()
    };
    let mut facets = Facets::default();
    for f in wanted {
        match f {
            Facet::Category => {
                facets.categories = plain(
                    categories
                        .iter()
                        .map(|(id, n)| (id.to_string(), *n))
                        .collect(),
                )
            }
            Facet::Vendor => {
                facets.vendors = vendors
                    .iter()
                    .map(|(id, (name, n))| FacetCount {
                        value: id.to_string(),
                        label: Some(name.clone()),
                        count: *n,
                    })
                    .collect()
            }
            Facet::Certification => {
                facets.certifications = plain(std::mem::take(&mut kinds));
                facets.certified = certified;
            }
            Facet::Price => {
                facets.prices = Facets::price_buckets(|b| prices.get(b.key()).copied().unwrap_or(0))
            }
        }
    }
    (total, facets.tidy())
}

/// A document as the INSERT reads it from JSON (`jsonb_to_recordset`).
#[derive(Serialize)]
struct WriteRow<'a> {
    id: Uuid,
    title: &'a str,
    description: &'a str,
    tags: &'a [String],
    tags_text: String,
    vendor_id: Uuid,
    vendor_name: &'a str,
    category_id: Uuid,
    category_ids: &'a [Uuid],
    certified: bool,
    certification_kinds: &'a [String],
    campaign_ids: &'a [Uuid],
    price: i64,
    in_stock: bool,
    popularity: i64,
    published_at: Option<DateTime<Utc>>,
    image: Option<&'a str>,
    grams: Vec<String>,
}

impl<'a> From<&'a Document> for WriteRow<'a> {
    fn from(d: &'a Document) -> Self {
        let tags_text = d.tags.join(" ");
        let grams = text::grams([d.title.as_str(), tags_text.as_str(), d.description.as_str()]);
        WriteRow {
            id: d.id,
            title: &d.title,
            description: &d.description,
            tags: &d.tags,
            tags_text,
            vendor_id: d.vendor_id,
            vendor_name: &d.vendor_name,
            category_id: d.category_id,
            category_ids: &d.category_ids,
            certified: d.certified,
            certification_kinds: &d.certification_kinds,
            campaign_ids: &d.campaign_ids,
            price: d.price.get(),
            in_stock: d.in_stock,
            popularity: d.popularity,
            published_at: d.published_at,
            image: d.image.as_deref(),
            grams,
        }
    }
}

/// Rows whose content did not change are left alone: a nightly rebuild or a repeated
/// event then costs a read, not a rewrite of six GIN indexes.
const UPSERT: &str = "\
INSERT INTO search.documents AS d (id, title, description, tags, tags_text, vendor_id, vendor_name, \
    category_id, category_ids, certified, certification_kinds, campaign_ids, price, in_stock, \
    popularity, published_at, image, grams, indexed_at) \
SELECT r.id, r.title, r.description, r.tags, r.tags_text, r.vendor_id, r.vendor_name, \
    r.category_id, r.category_ids, r.certified, r.certification_kinds, r.campaign_ids, r.price, \
    r.in_stock, r.popularity, r.published_at, r.image, r.grams, now() \
FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, title text, description text, tags text[], \
    tags_text text, vendor_id uuid, vendor_name text, category_id uuid, category_ids uuid[], \
    certified boolean, certification_kinds text[], campaign_ids uuid[], price bigint, \
    in_stock boolean, popularity bigint, published_at timestamptz, image text, grams text[]) \
ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, description = EXCLUDED.description, \
    tags = EXCLUDED.tags, tags_text = EXCLUDED.tags_text, vendor_id = EXCLUDED.vendor_id, \
    vendor_name = EXCLUDED.vendor_name, category_id = EXCLUDED.category_id, \
    category_ids = EXCLUDED.category_ids, certified = EXCLUDED.certified, \
    certification_kinds = EXCLUDED.certification_kinds, campaign_ids = EXCLUDED.campaign_ids, \
    price = EXCLUDED.price, in_stock = EXCLUDED.in_stock, popularity = EXCLUDED.popularity, \
    published_at = EXCLUDED.published_at, image = EXCLUDED.image, grams = EXCLUDED.grams, \
    indexed_at = EXCLUDED.indexed_at \
WHERE (d.title, d.description, d.tags, d.vendor_id, d.vendor_name, d.category_id, \
       d.category_ids, d.certified, d.certification_kinds, d.campaign_ids, d.price, d.in_stock, \
       d.popularity, d.published_at, d.image, d.grams) \
  IS DISTINCT FROM \
      (EXCLUDED.title, EXCLUDED.description, EXCLUDED.tags, EXCLUDED.vendor_id, \
       EXCLUDED.vendor_name, EXCLUDED.category_id, EXCLUDED.category_ids, EXCLUDED.certified, \
       EXCLUDED.certification_kinds, EXCLUDED.campaign_ids, EXCLUDED.price, EXCLUDED.in_stock, \
       EXCLUDED.popularity, EXCLUDED.published_at, EXCLUDED.image, EXCLUDED.grams)";

impl PostgresBackend {
    /// Returns how many rows changed (unchanged documents are not rewritten).
    async fn write(&self, docs: &[Document]) -> SearchResult<u64> {
        // One statement cannot update a row twice: the last version of a document wins.
        let mut latest: HashMap<Uuid, &Document> = HashMap::new();
        for d in docs {
            latest.insert(d.id, d);
        }
        let unique: Vec<&Document> = docs
            .iter()
            .filter(|d| latest.get(&d.id).is_some_and(|l| std::ptr::eq(*l, *d)))
            .collect();
        let mut changed = 0;
        for chunk in unique.chunks(WRITE_CHUNK) {
            let rows: Vec<WriteRow<'_>> = chunk.iter().map(|d| WriteRow::from(*d)).collect();
            let json = serde_json::to_value(&rows)
                .map_err(|e| SearchError::Backend(format!("cannot encode documents: {e}")))?;
            changed += self
                .db
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    UPSERT,
                    [Value::Json(Some(Box::new(json)))],
                ))
                .await?
                .rows_affected();
        }
        Ok(changed)
    }

    async fn hits(&self, q: &SearchQuery) -> SearchResult<(Vec<Hit>, bool)> {
        let mut rows = HitRow::find_by_statement(hits_statement(q))
            .all(&self.db)
            .await?;
        let more = rows.len() > q.limit;
        rows.truncate(q.limit);
        let terms = q.terms();
        let hits = rows
            .into_iter()
            .map(|r| Hit {
                id: r.id,
                highlighted_title: text::highlight(&r.title, &terms),
                snippet: text::snippet(&r.description, &terms, text::SNIPPET_CHARS),
                title: r.title,
                price: Won(r.price),
                vendor: VendorRef {
                    id: r.vendor_id,
                    trade_name: r.vendor_name,
                },
                category_id: r.category_id,
                tags: r.tags,
                certified: r.certified,
                in_stock: r.in_stock,
                image: r.image,
                published_at: r.published_at,
            })
            .collect();
        Ok((hits, more))
    }

    async fn facets(&self, q: &SearchQuery) -> SearchResult<(u64, Facets)> {
        let rows = FacetRow::find_by_statement(facets_statement(q))
            .all(&self.db)
            .await?;
        Ok(facets_from_rows(rows, &q.facets))
    }

    /// How many documents match, when no facet is wanted.
    async fn count(&self, q: &SearchQuery) -> SearchResult<u64> {
        let row = self.db.query_one_raw(count_statement(q)).await?;
        let n: i64 = match row {
            Some(r) => r.try_get("", "n")?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[async_trait::async_trait]
impl SearchBackend for PostgresBackend {
    fn name(&self) -> &'static str {
        "postgres"
    }

    #[tracing::instrument(skip_all, fields(n = docs.len()))]
    async fn upsert(&self, docs: &[Document]) -> SearchResult<u64> {
        self.write(docs).await
    }

    #[tracing::instrument(skip_all, fields(n = ids.len()))]
    async fn delete(&self, ids: &[Uuid]) -> SearchResult<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let done = self
            .db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "DELETE FROM search.documents WHERE id = ANY($1)",
                [uuid_array(ids)],
            ))
            .await?;
        Ok(done.rows_affected())
    }

    #[tracing::instrument(skip_all, fields(backend = "postgres"))]
    async fn search(&self, query: &SearchQuery) -> SearchResult<SearchResults> {
        let q = query.normalized()?;
        let (hits, more, total, facets) = if q.facets.is_empty() {
            let (hits, more) = self.hits(&q).await?;
            // A first page that holds everything is its own count.
            let total = if q.offset == 0 && !more {
                hits.len() as u64
            } else {
                self.count(&q).await?
            };
            (hits, more, total, Facets::default())
        } else {
            let ((hits, more), (total, facets)) = tokio::try_join!(self.hits(&q), self.facets(&q))?;
            (hits, more, total, facets)
        };
        Ok(SearchResults {
            next_cursor: q.next_cursor(more),
            hits,
            total,
            facets,
        })
    }

    #[tracing::instrument(skip_all, fields(backend = "postgres"))]
    async fn suggest(&self, prefix: &str, limit: usize) -> SearchResult<Vec<Suggestion>> {
        let prefix = prefix.trim();
        if prefix.chars().count() > MAX_QUERY_CHARS {
            return Err(SearchError::field(
                "q",
                "too_long",
                format!("at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let terms = text::terms(prefix);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let rows = SuggestRow::find_by_statement(suggest_statement(&terms, limit))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| Suggestion {
                id: r.id,
                highlighted: text::highlight(&r.title, &terms),
                title: r.title,
            })
            .collect())
    }

    /// Upsert every batch (unchanged rows are skipped), then delete every document whose
    /// product is no longer visible. Search reads the old rows until each is replaced,
    /// so it never goes empty; the final sweep judges by the catalog as it is then, so
    /// a product hidden while the rebuild ran does not come back.
    #[tracing::instrument(skip_all, fields(backend = "postgres"))]
    async fn rebuild(&self, mut batches: DocumentStream<'_>) -> SearchResult<u64> {
        let mut written = 0u64;
        while let Some(batch) = batches.next().await {
            let batch = batch?;
            self.write(&batch).await?;
            written += batch.len() as u64;
        }
        let visible = catalog::listing::listed_ids(&self.db).await?;
        self.db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "DELETE FROM search.documents d WHERE NOT EXISTS \
                 (SELECT 1 FROM unnest($1::uuid[]) AS v(id) WHERE v.id = d.id)",
                [platform::db::uuid_array(&visible)],
            ))
            .await?;
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Filters;

    /// The placeholders `$n` a statement's text uses.
    fn placeholders(sql: &str) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        let mut rest = sql;
        while let Some(at) = rest.find('$') {
            rest = &rest[at + 1..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(n) = digits.parse() {
                out.insert(n);
            }
        }
        out
    }

    /// What the prepared-statement cache needs: a statement binds exactly `$1..$n`, all
    /// used, and two statements with the same text bind the same number of values.
    fn check(stmts: &mut HashMap<String, usize>, stmt: Statement) {
        let n = stmt.values.as_ref().map_or(0, |v| v.0.len());
        assert_eq!(
            placeholders(&stmt.sql),
            (1..=n).collect::<BTreeSet<_>>(),
            "{}",
            stmt.sql
        );
        let earlier = *stmts.entry(stmt.sql.clone()).or_insert(n);
        assert_eq!(earlier, n, "{}", stmt.sql);
    }

    #[test]
    fn every_statement_binds_exactly_what_its_text_uses() {
        let mut stmts = HashMap::new();
        let texts = [
            None,
            Some("김치"),
            Some("강화 순무"),
            Some("꿀"),
            Some("순무김치"),
            Some("강화 순무김치 2kg"),
            Some("꽃게 강화 인삼정과"),
        ];
        let filters = [
            Filters::default(),
            Filters {
                category: Some(Uuid::nil()),
                vendor: Some(Uuid::nil()),
                certified: Some(true),
                min_price: Some(Won(1)),
                max_price: Some(Won(2)),
                campaign: Some(Uuid::nil()),
                in_stock: Some(false),
            },
        ];
        let sorts = Sort::ALL;
        for text in texts {
            for f in &filters {
                for sort in sorts {
                    let q = SearchQuery {
                        text: text.map(str::to_owned),
                        filters: f.clone(),
                        sort,
                        facets: Facet::ALL.to_vec(),
                        ..SearchQuery::default()
                    };
                    check(&mut stmts, hits_statement(&q));
                    check(&mut stmts, facets_statement(&q));
                    check(&mut stmts, count_statement(&q));
                }
            }
            if let Some(t) = text {
                check(&mut stmts, suggest_statement(&text::terms(t), 5));
            }
        }
    }

    #[test]
    fn every_value_is_a_parameter() {
        let q = SearchQuery {
            text: Some("'; DROP TABLE x; -- 김치".into()),
            filters: Filters {
                min_price: Some(Won(1)),
                ..Filters::default()
            },
            ..SearchQuery::default()
        };
        for stmt in [
            hits_statement(&q),
            facets_statement(&q),
            count_statement(&q),
        ] {
            assert!(!stmt.sql.contains("DROP"), "{}", stmt.sql);
            assert!(!stmt.sql.contains("김치"), "{}", stmt.sql);
        }
    }

    #[test]
    fn price_buckets_in_sql_match_the_rust_ones() {
        assert_eq!(
            price_bucket_sql(),
            "CASE WHEN d.price < 10000 THEN 'under_10000' WHEN d.price < 30000 THEN '10000_30000' \
             WHEN d.price < 50000 THEN '30000_50000' ELSE '50000_plus' END"
        );
    }
}
