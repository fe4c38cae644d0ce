//! What a search asks for and what it answers, shared by every backend: the behaviour
//! tests hold both backends to the same types.

use crate::error::{SearchError, SearchResult};
use crate::text;
use chrono::{DateTime, Utc};
use platform::error::FieldError;
use platform::money::Won;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;
/// The deepest result a search pages to (Meilisearch's `maxTotalHits`); past it a
/// shopper should refine the query, and an unbounded OFFSET would be a cheap way to make
/// Postgres work hard.
pub const MAX_RESULTS: usize = 1000;
/// Longest query text, in characters.
pub const MAX_QUERY_CHARS: usize = 100;
/// Values per facet returned (the most frequent first).
pub const MAX_FACET_VALUES: usize = 50;

// Named apart from `catalog::storefront::Sort` in the merged OpenAPI document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = SearchSort)]
pub enum Sort {
    /// Best match first (title matches before description matches); without a query,
    /// the most popular first.
    #[default]
    Relevance,
    Newest,
    PriceAsc,
    PriceDesc,
    Popular,
}

impl Sort {
    pub const ALL: [Sort; 5] = [
        Sort::Relevance,
        Sort::Newest,
        Sort::PriceAsc,
        Sort::PriceDesc,
        Sort::Popular,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Facet {
    Category,
    Vendor,
    Certification,
    Price,
}

impl Facet {
    pub const ALL: [Facet; 4] = [
        Facet::Category,
        Facet::Vendor,
        Facet::Certification,
        Facet::Price,
    ];

    pub fn parse(s: &str) -> Option<Facet> {
        match s {
            "category" => Some(Facet::Category),
            "vendor" => Some(Facet::Vendor),
            "certification" => Some(Facet::Certification),
            "price" => Some(Facet::Price),
            _ => None,
        }
    }
}

/// Price ranges shoppers think in: ~1만, 1–3만, 3–5만, 5만~ (upper bounds exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriceBucket {
    Under10000,
    From10000To30000,
    From30000To50000,
    From50000,
}

impl PriceBucket {
    pub const ALL: [PriceBucket; 4] = [
        PriceBucket::Under10000,
        PriceBucket::From10000To30000,
        PriceBucket::From30000To50000,
        PriceBucket::From50000,
    ];

    pub fn of(price: Won) -> PriceBucket {
        match price.get() {
            p if p < 10_000 => PriceBucket::Under10000,
            p if p < 30_000 => PriceBucket::From10000To30000,
            p if p < 50_000 => PriceBucket::From30000To50000,
            _ => PriceBucket::From50000,
        }
    }

    /// The stable key clients filter and count by (also the Meilisearch facet value).
    pub fn key(self) -> &'static str {
        match self {
            PriceBucket::Under10000 => "under_10000",
            PriceBucket::From10000To30000 => "10000_30000",
            PriceBucket::From30000To50000 => "30000_50000",
            PriceBucket::From50000 => "50000_plus",
        }
    }

    pub fn from_key(key: &str) -> Option<PriceBucket> {
        PriceBucket::ALL.into_iter().find(|b| b.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            PriceBucket::Under10000 => "~1만원",
            PriceBucket::From10000To30000 => "1만~3만원",
            PriceBucket::From30000To50000 => "3만~5만원",
            PriceBucket::From50000 => "5만원~",
        }
    }

    /// `[min, max)` in won, for a price filter matching the bucket.
    pub fn range(self) -> (Option<i64>, Option<i64>) {
        match self {
            PriceBucket::Under10000 => (None, Some(10_000)),
            PriceBucket::From10000To30000 => (Some(10_000), Some(30_000)),
            PriceBucket::From30000To50000 => (Some(30_000), Some(50_000)),
            PriceBucket::From50000 => (Some(50_000), None),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// A category and everything below it.
    pub category: Option<Uuid>,
    pub vendor: Option<Uuid>,
    /// `true`: only vendors with a valid certification; `false`: only those without.
    pub certified: Option<bool>,
    /// Inclusive bounds on the lowest variant price.
    pub min_price: Option<Won>,
    pub max_price: Option<Won>,
    pub campaign: Option<Uuid>,
    pub in_stock: Option<bool>,
}

/// A search. Build one, then call [`SearchQuery::normalized`] (every backend does) to get
/// the checked form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    pub text: Option<String>,
    pub filters: Filters,
    pub facets: Vec<Facet>,
    pub sort: Sort,
    pub limit: usize,
    /// How many results to skip; cursors encode it.
    pub offset: usize,
}

impl Default for SearchQuery {
    fn default() -> Self {
        SearchQuery {
            text: None,
            filters: Filters::default(),
            facets: Vec::new(),
            sort: Sort::Relevance,
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

impl SearchQuery {
    pub fn text(text: impl Into<String>) -> Self {
        SearchQuery {
            text: Some(text.into()),
            ..Self::default()
        }
    }

    /// Continue after the page that returned `cursor`.
    pub fn with_cursor(mut self, cursor: &str) -> SearchResult<Self> {
        self.offset = decode_cursor(cursor)?;
        Ok(self)
    }

    /// The checked query: text trimmed (empty means none), limits in range, price bounds
    /// ordered. Every violation is reported at once.
    pub fn normalized(&self) -> SearchResult<SearchQuery> {
        let mut errors = Vec::new();
        let text = self
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if let Some(t) = &text {
            if t.chars().count() > MAX_QUERY_CHARS {
                errors.push(FieldError::new(
                    "q",
                    "too_long",
                    format!("at most {MAX_QUERY_CHARS} characters"),
                ));
            } else if text::terms(t).is_empty() {
                errors.push(FieldError::new(
                    "q",
                    "invalid",
                    "has no searchable characters",
                ));
            }
        }
        if !(1..=MAX_LIMIT).contains(&self.limit) {
            errors.push(FieldError::new(
                "limit",
                "out_of_range",
                format!("must be 1 to {MAX_LIMIT}"),
            ));
        }
        let f = &self.filters;
        for (name, v) in [("min_price", f.min_price), ("max_price", f.max_price)] {
            if v.is_some_and(|w| w.get() < 0) {
                errors.push(FieldError::new(
                    name,
                    "out_of_range",
                    "must not be negative",
                ));
            }
        }
        if let (Some(min), Some(max)) = (f.min_price, f.max_price)
            && min > max
        {
            errors.push(FieldError::new(
                "max_price",
                "below_min_price",
                "must not be below min_price",
            ));
        }
        if !errors.is_empty() {
            return Err(SearchError::Invalid(errors));
        }
        let mut facets = Vec::new();
        for f in &self.facets {
            if !facets.contains(f) {
                facets.push(*f);
            }
        }
        Ok(SearchQuery {
            text,
            filters: self.filters.clone(),
            facets,
            sort: self.sort,
            limit: self.limit,
            offset: self.offset.min(MAX_RESULTS),
        })
    }

    /// The lower-cased, de-duplicated words of the text.
    pub fn terms(&self) -> Vec<String> {
        self.text.as_deref().map(text::terms).unwrap_or_default()
    }

    /// The cursor of the next page, if `more` results exist past this one and paging
    /// there stays within [`MAX_RESULTS`].
    pub fn next_cursor(&self, more: bool) -> Option<String> {
        let next = self.offset + self.limit;
        (more && next < MAX_RESULTS).then(|| encode_cursor(next))
    }
}

#[derive(Serialize, Deserialize)]
struct Cursor {
    o: usize,
}

pub fn encode_cursor(offset: usize) -> String {
    platform::pagination::encode_cursor(&Cursor { o: offset })
}

pub fn decode_cursor(raw: &str) -> SearchResult<usize> {
    platform::pagination::decode_cursor::<Cursor>(raw)
        .map(|c| c.o)
        .map_err(|_| SearchError::InvalidCursor)
        .and_then(|o| {
            if o <= MAX_RESULTS {
                Ok(o)
            } else {
                Err(SearchError::InvalidCursor)
            }
        })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SearchVendorRef)]
pub struct VendorRef {
    pub id: Uuid,
    pub trade_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Hit {
    pub id: Uuid,
    pub title: String,
    /// The title as HTML: escaped, with the matched parts in `<em>`.
    pub highlighted_title: String,
    /// A piece of the description around a match, as HTML with `<em>`; absent when the
    /// description did not match.
    pub snippet: Option<String>,
    /// The lowest variant price.
    pub price: Won,
    pub vendor: VendorRef,
    pub category_id: Uuid,
    pub tags: Vec<String>,
    pub certified: bool,
    pub in_stock: bool,
    pub image: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
}

/// The words of a suggestion prefix (none for a blank one), or the problem with it.
pub(crate) fn suggest_terms(prefix: &str) -> SearchResult<Vec<String>> {
    let prefix = prefix.trim();
    if prefix.chars().count() > MAX_QUERY_CHARS {
        return Err(SearchError::field(
            "q",
            "too_long",
            format!("at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    Ok(text::terms(prefix))
}

/// A hit as a backend stores it, before highlighting: a row of `search.documents`, or
/// the retrieved fields of a Meilisearch document (its publication time in
/// milliseconds, so that it sorts).
#[derive(Debug, PartialEq, Deserialize, sea_orm::FromQueryResult)]
pub(crate) struct StoredHit {
    pub id: Uuid,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub price: i64,
    pub vendor_id: Uuid,
    pub vendor_name: String,
    pub category_id: Uuid,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub certified: bool,
    #[serde(default)]
    pub in_stock: bool,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default, with = "chrono::serde::ts_milliseconds_option")]
    pub published_at: Option<DateTime<Utc>>,
}

impl StoredHit {
    /// The hit shown for a search of `terms`: title highlighted, a snippet of the
    /// description around a match.
    pub(crate) fn into_hit(self, terms: &[String]) -> Hit {
        Hit {
            id: self.id,
            highlighted_title: text::highlight(&self.title, terms),
            snippet: text::snippet(&self.description, terms, text::SNIPPET_CHARS),
            title: self.title,
            price: Won(self.price),
            vendor: VendorRef {
                id: self.vendor_id,
                trade_name: self.vendor_name,
            },
            category_id: self.category_id,
            tags: self.tags,
            certified: self.certified,
            in_stock: self.in_stock,
            image: self.image,
            published_at: self.published_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FacetCount {
    /// What to filter by: a category or vendor id, a certification kind, a price bucket key.
    pub value: String,
    /// A name to show, where the index knows one (vendor trade names, price ranges).
    pub label: Option<String>,
    pub count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Facets {
    /// Per category, counting each product in its category and every ancestor.
    pub categories: Vec<FacetCount>,
    pub vendors: Vec<FacetCount>,
    /// Per certification kind (e.g. 인천 품질우수제품).
    pub certifications: Vec<FacetCount>,
    /// Products of certified vendors.
    pub certified: u64,
    /// Every bucket, cheapest first, zeros included.
    pub prices: Vec<FacetCount>,
}

impl Facets {
    /// Sort counts (most frequent first, then by value) and cap their number, the same
    /// way for every backend.
    pub fn tidy(mut self) -> Facets {
        for list in [
            &mut self.categories,
            &mut self.vendors,
            &mut self.certifications,
        ] {
            list.retain(|c| c.count > 0);
            list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            list.truncate(MAX_FACET_VALUES);
        }
        self
    }

    /// All four price buckets in order from per-key counts.
    pub fn price_buckets(counts: impl Fn(PriceBucket) -> u64) -> Vec<FacetCount> {
        PriceBucket::ALL
            .into_iter()
            .map(|b| FacetCount {
                value: b.key().to_owned(),
                label: Some(b.label().to_owned()),
                count: counts(b),
            })
            .collect()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub hits: Vec<Hit>,
    /// How many products match (an estimate on engines that estimate).
    pub total: u64,
    /// Only the facets that were asked for are filled.
    pub facets: Facets,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Suggestion {
    pub id: Uuid,
    pub title: String,
    /// The title as HTML with the typed part in `<em>`.
    pub highlighted: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_split_at_ten_thirty_and_fifty_thousand() {
        assert_eq!(PriceBucket::of(Won(9_999)), PriceBucket::Under10000);
        assert_eq!(PriceBucket::of(Won(10_000)), PriceBucket::From10000To30000);
        assert_eq!(PriceBucket::of(Won(30_000)), PriceBucket::From30000To50000);
        assert_eq!(PriceBucket::of(Won(50_000)), PriceBucket::From50000);
        for b in PriceBucket::ALL {
            assert_eq!(PriceBucket::from_key(b.key()), Some(b));
        }
    }

    #[test]
    fn normalizing_reports_every_problem() {
        let q = SearchQuery {
            text: Some("x".repeat(101)),
            limit: 0,
            filters: Filters {
                min_price: Some(Won(5)),
                max_price: Some(Won(1)),
                ..Filters::default()
            },
            ..SearchQuery::default()
        };
        let Err(SearchError::Invalid(errors)) = q.normalized() else {
            panic!("expected invalid");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["q", "limit", "max_price"]);
        let q = SearchQuery::text("   ").normalized().ok();
        assert_eq!(q.and_then(|q| q.text), None);
    }

    #[test]
    fn cursors_carry_the_offset_and_stop_at_the_cap() {
        let q = SearchQuery {
            limit: 20,
            offset: 40,
            ..SearchQuery::default()
        };
        let next = q.next_cursor(true).unwrap_or_default();
        assert_eq!(decode_cursor(&next).ok(), Some(60));
        assert!(q.next_cursor(false).is_none());
        let deep = SearchQuery {
            limit: 20,
            offset: MAX_RESULTS - 20,
            ..SearchQuery::default()
        };
        assert!(deep.next_cursor(true).is_none());
        assert!(matches!(
            decode_cursor("garbage!"),
            Err(SearchError::InvalidCursor)
        ));
    }
}
