//! The default backend: the shop's own Postgres, in two tables of the `search` schema.
//! `search.entries` (narrow: codes of grams, case-folded text, what filters, sorts and
//! facets read) is where a search matches, orders and counts; `search.documents` holds
//! what a hit shows and is read by primary key for one page of hits.
//!
//! Matching is substring matching, because Korean compounds have no spaces: "김치" must
//! find "강화순무김치". Every query word must occur (case-insensitively) in the title, the
//! tags or the description. The GIN index on `grams` (codes of every 1–2 character
//! substring) finds the candidates for words of any length, and `strpos` over the
//! case-folded text rechecks words of three or more characters (a shorter word is a
//! single gram, so the index answer is exact). Results rank by how many words the title
//! contains, then the shorter title (the closer match), then popularity. Facets are one
//! `GROUP BY` over the same matching rows. See `search/EXPLAIN.md` for the plans.

use crate::backend::{DocumentStream, MAX_SUGGESTIONS, SearchBackend};
use crate::documents::Document;
use crate::error::{SearchError, SearchResult};
use crate::query::{
    Facet, FacetCount, Facets, Hit, PriceBucket, SearchQuery, SearchResults, Sort, StoredHit,
    Suggestion, suggest_terms,
};
use crate::text;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use platform::db::{pg, uuid_array};
use sea_orm::sea_query::ArrayType;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Statement, Value};
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
        let codes: BTreeSet<i32> = terms.iter().flat_map(|t| text::term_codes(t)).collect();
        let g = sql.bind(int_array(codes));
        sql.conds.push(format!("e.grams @> {g}::int4[]"));
        for term in terms {
            // A word of one or two characters is one gram: holding the gram is holding
            // the word, so only longer words need the recheck of the grams' order.
            let p = if text::needs_recheck(&term) {
                let p = sql.bind(term.clone());
                sql.conds.push(format!(
                    "(strpos(e.title_folded, {p}) > 0 OR strpos(e.text_folded, {p}) > 0)"
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
        sql.conds.push(format!("e.category_ids @> {p}::uuid[]"));
    }
    if let Some(v) = f.vendor {
        let p = sql.bind(v);
        sql.conds.push(format!("e.vendor_id = {p}"));
    }
    if let Some(c) = f.certified {
        let p = sql.bind(c);
        sql.conds.push(format!("e.certified = {p}"));
    }
    if let Some(min) = f.min_price {
        let p = sql.bind(min.get());
        sql.conds.push(format!("e.price >= {p}"));
    }
    if let Some(max) = f.max_price {
        let p = sql.bind(max.get());
        sql.conds.push(format!("e.price <= {p}"));
    }
    if let Some(c) = f.campaign {
        let p = sql.bind(uuid_array(&[c]));
        sql.conds.push(format!("e.campaign_ids @> {p}::uuid[]"));
    }
    if let Some(s) = f.in_stock {
        let p = sql.bind(s);
        sql.conds.push(format!("e.in_stock = {p}"));
    }
    Matching { sql, patterns }
}

fn int_array(items: impl IntoIterator<Item = i32>) -> Value {
    Value::Array(
        ArrayType::Int,
        Some(Box::new(items.into_iter().map(Value::from).collect())),
    )
}

/// One key of an `ORDER BY`: an expression over `search.entries e` and its direction.
type Key = (String, &'static str);

/// The order of the hits; binds what the relevance ranking needs into `m`.
fn order_keys(q: &SearchQuery, m: &mut Matching) -> Vec<Key> {
    let key = |e: &str, dir| (e.to_owned(), dir);
    match q.sort {
        Sort::Relevance if !m.patterns.is_empty() => {
            let mut title_hits = Vec::new();
            for (term, p) in &mut m.patterns {
                let p = p.get_or_insert_with(|| m.sql.bind(term.clone()));
                title_hits.push(format!("(strpos(e.title_folded, {p}) > 0)::int"));
            }
            // The shorter of two titles holding the words is the closer match: what
            // trigram `similarity()` said, without scoring every candidate with it.
            vec![
                (title_hits.join(" + "), "DESC"),
                key("char_length(e.title_folded)", "ASC"),
                key("e.popularity", "DESC"),
                key("e.id", "ASC"),
            ]
        }
        Sort::Relevance | Sort::Popular => vec![
            key("e.popularity", "DESC"),
            key("e.published_at", "DESC NULLS LAST"),
            key("e.id", "DESC"),
        ],
        Sort::Newest => vec![
            key("e.published_at", "DESC NULLS LAST"),
            key("e.id", "DESC"),
        ],
        Sort::PriceAsc => vec![key("e.price", "ASC"), key("e.id", "ASC")],
        Sort::PriceDesc => vec![key("e.price", "DESC"), key("e.id", "DESC")],
    }
}

/// `columns` of the `search.documents` rows of one page of `search.entries e` matching
/// `where_clause` in the order of `keys`: the entries are ordered and cut (narrow rows,
/// sort indexes), and only the page is read from the wide table.
fn page_sql(columns: &str, where_clause: &str, keys: &[Key], limit: &str) -> String {
    let select: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, (e, _))| format!("{e} AS k{i}"))
        .collect();
    let order = |prefix: &str| -> String {
        keys.iter()
            .enumerate()
            .map(|(i, (_, dir))| format!("{prefix}k{i} {dir}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "SELECT {columns} FROM (SELECT e.id, {} FROM search.entries e WHERE {where_clause}          ORDER BY {} {limit}) p JOIN search.documents d ON d.id = p.id ORDER BY {}",
        select.join(", "),
        order(""),
        order("p.")
    )
}

/// What a hit shows, from `search.documents d`.
const HIT_COLUMNS: &str = "d.id, d.title, d.description, d.price, d.vendor_id, d.vendor_name, \
    d.category_id, d.tags, d.certified, d.in_stock, d.image, d.published_at";

/// The page of hits (one more than asked, to tell whether another page follows).
fn hits_statement(q: &SearchQuery) -> Statement {
    let mut m = matching(q);
    let keys = order_keys(q, &mut m);
    let lim = m.sql.bind((q.limit + 1) as i64);
    let off = m.sql.bind(q.offset as i64);
    let sql = page_sql(
        HIT_COLUMNS,
        &m.sql.where_clause(),
        &keys,
        &format!("LIMIT {lim} OFFSET {off}"),
    );
    pg(sql, m.sql.values)
}

/// The page of hits and every facet from one scan of the matches: they are gathered
/// once (`MATERIALIZED`), then ordered and cut for the page and grouped for the facets.
/// Rows of the page carry `pos` (their place on it) and the columns of a hit; rows of
/// the facets carry `n` and the columns of a [`FacetRow`]. Two statements, one for each,
/// did the index and heap work twice (a third less throughput at 100k).
fn search_statement(q: &SearchQuery) -> Statement {
    let mut m = matching(q);
    let keys = order_keys(q, &mut m);
    let lim = m.sql.bind((q.limit + 1) as i64);
    let off = m.sql.bind(q.offset as i64);
    let select: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, (e, _))| format!("{e} AS k{i}"))
        .collect();
    let order: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, (_, dir))| format!("k{i} {dir}"))
        .collect();
    let sql = format!(
        "WITH m AS MATERIALIZED (SELECT e.id, {}, e.category_id, e.category_ids, e.vendor_id, \
             e.vendor_name, e.certified, e.certification_kinds, {} AS bucket \
             FROM search.entries e WHERE {}), \
         page AS (SELECT p.id, row_number() OVER () AS pos \
             FROM (SELECT m.id FROM m ORDER BY {} LIMIT {lim} OFFSET {off}) p) \
         SELECT p.pos, d.id, d.title, d.description, d.price, d.vendor_id, d.vendor_name, \
             d.category_id, d.tags, d.certified, d.in_stock, d.image, d.published_at, \
             NULL::uuid[] AS category_ids, NULL::text[] AS certification_kinds, \
             NULL::text AS bucket, NULL::bigint AS n \
         FROM page p JOIN search.documents d ON d.id = p.id \
         UNION ALL \
         SELECT NULL, NULL, NULL, NULL, NULL, m.vendor_id, m.vendor_name, NULL, NULL, \
             m.certified, NULL, NULL, NULL, m.category_ids, m.certification_kinds, m.bucket, \
             count(*) \
         FROM m GROUP BY GROUPING SETS ((m.category_id, m.category_ids), \
             (m.vendor_id, m.certified, m.vendor_name, m.certification_kinds), (m.bucket))",
        select.join(", "),
        price_bucket_sql(),
        m.sql.where_clause(),
        order.join(", "),
    );
    pg(sql, m.sql.values)
}

fn count_statement(q: &SearchQuery) -> Statement {
    let m = matching(q);
    let sql = format!(
        "SELECT count(*) AS n FROM search.entries e WHERE {}",
        m.sql.where_clause()
    );
    pg(sql, m.sql.values)
}

/// Titles holding every word of `terms` (at least one), those starting with them first.
fn suggest_statement(terms: &[String], limit: usize) -> Statement {
    let mut sql = Sql::default();
    let codes: BTreeSet<i32> = terms.iter().flat_map(|t| text::term_codes(t)).collect();
    let g = sql.bind(int_array(codes));
    sql.conds.push(format!("e.grams @> {g}::int4[]"));
    for term in terms {
        // The grams index narrows; this rechecks that the word is in the title.
        let t = sql.bind(term.clone());
        sql.conds.push(format!("strpos(e.title_folded, {t}) > 0"));
    }
    let starts = sql.bind(terms.join(" "));
    let lim = sql.bind(limit.clamp(1, MAX_SUGGESTIONS) as i64);
    // Popularity ranks a typeahead list better than any text similarity would.
    let keys: Vec<Key> = vec![
        (format!("starts_with(e.title_folded, {starts})"), "DESC"),
        ("e.popularity".to_owned(), "DESC"),
        ("char_length(e.title_folded)".to_owned(), "ASC"),
        ("e.id".to_owned(), "ASC"),
    ];
    let stmt = page_sql(
        "d.id, d.title",
        &sql.where_clause(),
        &keys,
        &format!("LIMIT {lim}"),
    );
    pg(stmt, sql.values)
}

/// One group of the facet scan: the matching documents of one category (with its
/// path), of one vendor (with its name and badges) or of one price bucket; the columns
/// of the other two groupings are NULL.
#[derive(Debug, Clone)]
pub(crate) struct FacetRow {
    pub category_ids: Option<Vec<Uuid>>,
    pub vendor_id: Option<Uuid>,
    pub vendor_name: Option<String>,
    pub certified: Option<bool>,
    pub certification_kinds: Option<Vec<String>>,
    pub bucket: Option<String>,
    pub n: i64,
}

/// A row of [`search_statement`]: a hit (`pos` set) or a facet group (`n` set).
#[derive(Debug, FromQueryResult)]
struct SearchRow {
    pos: Option<i64>,
    id: Option<Uuid>,
    title: Option<String>,
    description: Option<String>,
    price: Option<i64>,
    vendor_id: Option<Uuid>,
    vendor_name: Option<String>,
    category_id: Option<Uuid>,
    tags: Option<Vec<String>>,
    certified: Option<bool>,
    in_stock: Option<bool>,
    image: Option<String>,
    published_at: Option<DateTime<Utc>>,
    category_ids: Option<Vec<Uuid>>,
    certification_kinds: Option<Vec<String>>,
    bucket: Option<String>,
    n: Option<i64>,
}

/// What a [`SearchRow`] holds: a hit and its place on the page, or a facet group.
enum SearchPart {
    Hit(i64, StoredHit),
    Group(FacetRow),
}

impl SearchRow {
    /// The hit of a page row (with its place), or the facet group of a facet row. A page
    /// row comes from `search.documents`, whose columns are `NOT NULL` but image and
    /// publication time.
    fn split(self) -> SearchPart {
        match self.pos {
            Some(pos) => SearchPart::Hit(
                pos,
                StoredHit {
                    id: self.id.unwrap_or_default(),
                    title: self.title.unwrap_or_default(),
                    description: self.description.unwrap_or_default(),
                    price: self.price.unwrap_or_default(),
                    vendor_id: self.vendor_id.unwrap_or_default(),
                    vendor_name: self.vendor_name.unwrap_or_default(),
                    category_id: self.category_id.unwrap_or_default(),
                    tags: self.tags.unwrap_or_default(),
                    certified: self.certified.unwrap_or_default(),
                    in_stock: self.in_stock.unwrap_or_default(),
                    image: self.image,
                    published_at: self.published_at,
                },
            ),
            None => SearchPart::Group(FacetRow {
                category_ids: self.category_ids,
                vendor_id: self.vendor_id,
                vendor_name: self.vendor_name,
                certified: self.certified,
                certification_kinds: self.certification_kinds,
                bucket: self.bucket,
                n: self.n.unwrap_or(0),
            }),
        }
    }
}

#[derive(Debug, FromQueryResult)]
pub(crate) struct SuggestRow {
    pub id: Uuid,
    pub title: String,
}

impl SuggestRow {
    pub(crate) fn suggestion(self, terms: &[String]) -> Suggestion {
        Suggestion {
            id: self.id,
            highlighted: text::highlight(&self.title, terms),
            title: self.title,
        }
    }
}

/// The price bucket of `e.price` as SQL, built from [`PriceBucket`] so that the
/// boundaries live in one place (they are constants, not input).
fn price_bucket_sql() -> String {
    let mut case = String::from("CASE");
    for b in PriceBucket::ALL {
        match b.range().1 {
            Some(max) => case.push_str(&format!(" WHEN e.price < {max} THEN '{}'", b.key())),
            None => case.push_str(&format!(" ELSE '{}'", b.key())),
        }
    }
    case.push_str(" END");
    case
}

// Facets are counted per category, per vendor and per price bucket (`GROUPING SETS`:
// three small hash tables, about 80 groups for a common word). What a group shows, a
// category's path and a vendor's name and badges, is the same on all entries of the
// category or vendor, so it is part of the group's key. (Grouping by category, vendor
// and bucket together and carrying those along with `max()` made ~3,000 groups of
// ~5,000 matches and took 1.6 times as long; looking them up per group after counting
// made plans whose estimated cost switched on Postgres' JIT compiler, a second a search.)

pub(crate) fn facets_from_rows(rows: Vec<FacetRow>, wanted: &[Facet]) -> (u64, Facets) {
    let mut total = 0;
    let mut categories: HashMap<Uuid, u64> = HashMap::new();
    let mut vendors: HashMap<Uuid, (String, u64)> = HashMap::new();
    let mut kinds: HashMap<String, u64> = HashMap::new();
    let mut certified = 0;
    let mut prices: HashMap<String, u64> = HashMap::new();
    for r in rows {
        let n = u64::try_from(r.n).unwrap_or(0);
        // Every entry is in exactly one price bucket: the buckets sum to the total.
        if let Some(bucket) = r.bucket {
            total += n;
            *prices.entry(bucket).or_default() += n;
        } else if let Some(vendor) = r.vendor_id {
            vendors
                .entry(vendor)
                .or_insert((r.vendor_name.unwrap_or_default(), 0))
                .1 += n;
            if r.certified == Some(true) {
                certified += n;
                for k in r.certification_kinds.unwrap_or_default() {
                    *kinds.entry(k).or_default() += n;
                }
            }
        } else {
            // A product counts for its category and every ancestor.
            for c in r.category_ids.unwrap_or_default() {
                *categories.entry(c).or_default() += n;
            }
        }
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
    grams: Vec<i32>,
    title_folded: String,
    text_folded: String,
}

impl<'a> From<&'a Document> for WriteRow<'a> {
    fn from(d: &'a Document) -> Self {
        let tags_text = d.tags.join(" ");
        let grams =
            text::gram_codes([d.title.as_str(), tags_text.as_str(), d.description.as_str()]);
        // One field a line: no query word holds a line break, so none matches across two.
        let text_folded = text::folded(&format!("{tags_text}\n{}", d.description));
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
            title_folded: text::folded(&d.title),
            text_folded,
        }
    }
}

/// Both tables in one statement. Rows whose content did not change are left alone (a
/// nightly rebuild or a repeated event then costs a read, not a rewrite of the indexes):
/// `documents` tells which changed, and only those entries are written. Every column of
/// an entry derives from columns of its document, so an unchanged document has an
/// unchanged entry. The statement's count is that of the entries written.
const UPSERT: &str = "\
WITH r AS MATERIALIZED (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, title text, \
    description text, tags text[], tags_text text, vendor_id uuid, vendor_name text, \
    category_id uuid, category_ids uuid[], certified boolean, certification_kinds text[], \
    campaign_ids uuid[], price bigint, in_stock boolean, popularity bigint, \
    published_at timestamptz, image text, grams int4[], title_folded text, text_folded text)), \
changed AS ( \
INSERT INTO search.documents AS d (id, title, description, tags, tags_text, vendor_id, vendor_name, \
    category_id, category_ids, certified, certification_kinds, campaign_ids, price, in_stock, \
    popularity, published_at, image, indexed_at) \
SELECT r.id, r.title, r.description, r.tags, r.tags_text, r.vendor_id, r.vendor_name, \
    r.category_id, r.category_ids, r.certified, r.certification_kinds, r.campaign_ids, r.price, \
    r.in_stock, r.popularity, r.published_at, r.image, now() \
FROM r \
ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, description = EXCLUDED.description, \
    tags = EXCLUDED.tags, tags_text = EXCLUDED.tags_text, vendor_id = EXCLUDED.vendor_id, \
    vendor_name = EXCLUDED.vendor_name, category_id = EXCLUDED.category_id, \
    category_ids = EXCLUDED.category_ids, certified = EXCLUDED.certified, \
    certification_kinds = EXCLUDED.certification_kinds, campaign_ids = EXCLUDED.campaign_ids, \
    price = EXCLUDED.price, in_stock = EXCLUDED.in_stock, popularity = EXCLUDED.popularity, \
    published_at = EXCLUDED.published_at, image = EXCLUDED.image, \
    indexed_at = EXCLUDED.indexed_at \
WHERE (d.title, d.description, d.tags, d.vendor_id, d.vendor_name, d.category_id, \
       d.category_ids, d.certified, d.certification_kinds, d.campaign_ids, d.price, d.in_stock, \
       d.popularity, d.published_at, d.image) \
  IS DISTINCT FROM \
      (EXCLUDED.title, EXCLUDED.description, EXCLUDED.tags, EXCLUDED.vendor_id, \
       EXCLUDED.vendor_name, EXCLUDED.category_id, EXCLUDED.category_ids, EXCLUDED.certified, \
       EXCLUDED.certification_kinds, EXCLUDED.campaign_ids, EXCLUDED.price, EXCLUDED.in_stock, \
       EXCLUDED.popularity, EXCLUDED.published_at, EXCLUDED.image) \
RETURNING d.id) \
INSERT INTO search.entries AS e (id, grams, title_folded, text_folded, vendor_id, vendor_name, \
    category_id, category_ids, certified, certification_kinds, campaign_ids, price, in_stock, \
    popularity, published_at) \
SELECT r.id, r.grams, r.title_folded, r.text_folded, r.vendor_id, r.vendor_name, r.category_id, \
    r.category_ids, r.certified, r.certification_kinds, r.campaign_ids, r.price, r.in_stock, \
    r.popularity, r.published_at \
FROM r JOIN changed c ON c.id = r.id \
ON CONFLICT (id) DO UPDATE SET grams = EXCLUDED.grams, title_folded = EXCLUDED.title_folded, \
    text_folded = EXCLUDED.text_folded, vendor_id = EXCLUDED.vendor_id, \
    vendor_name = EXCLUDED.vendor_name, category_id = EXCLUDED.category_id, \
    category_ids = EXCLUDED.category_ids, certified = EXCLUDED.certified, \
    certification_kinds = EXCLUDED.certification_kinds, campaign_ids = EXCLUDED.campaign_ids, \
    price = EXCLUDED.price, in_stock = EXCLUDED.in_stock, popularity = EXCLUDED.popularity, \
    published_at = EXCLUDED.published_at, xid = pg_current_xact_id()";

/// The common table expressions a statement deleting entries (as `e`, returning their
/// ids) ends with: a tombstone per deleted entry, for processes that keep the entries in
/// memory (`crate::memory`), and the sweep of tombstones older than any of them needs.
const TOMBSTONES: &str = "t AS (INSERT INTO search.removed (id) SELECT id FROM e), \
    s AS (DELETE FROM search.removed WHERE at < now() - interval '1 hour')";

/// The hits of a page read with one row more than asked, and whether more follow.
pub(crate) fn page(mut rows: Vec<StoredHit>, q: &SearchQuery) -> (Vec<Hit>, bool) {
    let more = rows.len() > q.limit;
    rows.truncate(q.limit);
    let terms = q.terms();
    (rows.into_iter().map(|r| r.into_hit(&terms)).collect(), more)
}

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
                .execute_raw(pg(UPSERT, [Value::Json(Some(Box::new(json)))]))
                .await?
                .rows_affected();
        }
        Ok(changed)
    }

    async fn hits(&self, q: &SearchQuery) -> SearchResult<(Vec<Hit>, bool)> {
        let rows = StoredHit::find_by_statement(hits_statement(q))
            .all(&self.db)
            .await?;
        Ok(page(rows, q))
    }

    /// The page of hits, the total and the facets, from one statement.
    async fn hits_and_facets(
        &self,
        q: &SearchQuery,
    ) -> SearchResult<(Vec<Hit>, bool, u64, Facets)> {
        let rows = SearchRow::find_by_statement(search_statement(q))
            .all(&self.db)
            .await?;
        let mut hits = Vec::new();
        let mut groups = Vec::new();
        for r in rows {
            match r.split() {
                SearchPart::Hit(pos, h) => hits.push((pos, h)),
                SearchPart::Group(g) => groups.push(g),
            }
        }
        hits.sort_by_key(|(pos, _)| *pos);
        let (hits, more) = page(hits.into_iter().map(|(_, h)| h).collect(), q);
        let (total, facets) = facets_from_rows(groups, &q.facets);
        Ok((hits, more, total, facets))
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
    #[tracing::instrument(skip_all, fields(n = ids.len()))]
    async fn delete(&self, ids: &[Uuid]) -> SearchResult<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let done = self
            .db
            .execute_raw(pg(
                format!(
                    "WITH e AS (DELETE FROM search.entries WHERE id = ANY($1) RETURNING id), \
                     {TOMBSTONES} DELETE FROM search.documents WHERE id = ANY($1)"
                ),
                [uuid_array(ids)],
            ))
            .await?;
        Ok(done.rows_affected())
    }

    #[tracing::instrument(skip_all, fields(n = docs.len()))]
    async fn upsert(&self, docs: &[Document]) -> SearchResult<u64> {
        self.write(docs).await
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
            self.hits_and_facets(&q).await?
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
        let terms = suggest_terms(prefix)?;
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let rows = SuggestRow::find_by_statement(suggest_statement(&terms, limit))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|r| r.suggestion(&terms)).collect())
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
            .execute_raw(pg(
                format!(
                    "WITH e AS (DELETE FROM search.entries e WHERE NOT EXISTS \
                         (SELECT 1 FROM unnest($1::uuid[]) AS v(id) WHERE v.id = e.id) \
                         RETURNING e.id), \
                     {TOMBSTONES} DELETE FROM search.documents d WHERE NOT EXISTS \
                     (SELECT 1 FROM unnest($1::uuid[]) AS v(id) WHERE v.id = d.id)"
                ),
                [platform::db::uuid_array(&visible)],
            ))
            .await?;
        Ok(written)
    }

    fn name(&self) -> &'static str {
        "postgres"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Filters;
    use platform::money::Won;

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
                    check(&mut stmts, search_statement(&q));
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
            search_statement(&q),
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
            "CASE WHEN e.price < 10000 THEN 'under_10000' WHEN e.price < 30000 THEN '10000_30000' \
             WHEN e.price < 50000 THEN '30000_50000' ELSE '50000_plus' END"
        );
    }
}
