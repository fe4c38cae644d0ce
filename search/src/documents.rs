//! What the index holds per product, built from the catalog tables: one SQL query per
//! batch, and only for products consumers may see (active, of an approved vendor —
//! the same rule as `catalog::storefront`). A product that is not visible has no
//! document, so loading it tells the indexer to delete it.
//!
//! The campaigns a product takes part in come from promotions (its Rust API, never its
//! tables), one call per batch, as they are live at the moment of loading.

use crate::error::{SearchError, SearchResult};
use crate::text;
use chrono::{DateTime, Utc};
use futures::Stream;
use futures::stream::{self, StreamExt, TryStreamExt};
use platform::money::Won;
use sea_orm::sea_query::ArrayType;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::future::Future;
use uuid::Uuid;

/// One searchable product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: Uuid,
    pub title: String,
    /// Plain text of the description, at most [`text::MAX_DESCRIPTION_CHARS`].
    pub description: String,
    pub vendor_id: Uuid,
    pub vendor_name: String,
    pub category_id: Uuid,
    /// Every ancestor of the category, root first, then the category itself.
    pub category_ids: Vec<Uuid>,
    pub tags: Vec<String>,
    /// The vendor holds a verified certification valid today.
    pub certified: bool,
    /// The kinds of those certifications (e.g. 인천 품질우수제품), sorted.
    pub certification_kinds: Vec<String>,
    /// Live campaigns (기획전) featuring the product when the document was built, ending
    /// soonest first. The indexer rebuilds it on every promotions campaign event.
    pub campaign_ids: Vec<Uuid>,
    /// The lowest variant price.
    pub price: Won,
    pub in_stock: bool,
    pub popularity: i64,
    pub published_at: Option<DateTime<Utc>>,
    pub image: Option<String>,
}

#[derive(Debug, FromQueryResult)]
struct Row {
    id: Uuid,
    title: String,
    description_html: String,
    vendor_id: Uuid,
    vendor_name: String,
    category_id: Uuid,
    category_ids: Vec<Uuid>,
    tags: Vec<String>,
    certification_kinds: Vec<String>,
    price: i64,
    in_stock: bool,
    popularity: i64,
    published_at: Option<DateTime<Utc>>,
    image: Option<String>,
    visible: bool,
}

impl From<Row> for Document {
    fn from(r: Row) -> Document {
        Document {
            id: r.id,
            title: text::clean(&r.title),
            description: text::html_to_text(&r.description_html, text::MAX_DESCRIPTION_CHARS),
            vendor_id: r.vendor_id,
            vendor_name: r.vendor_name,
            category_id: r.category_id,
            category_ids: r.category_ids,
            tags: r.tags.iter().map(|t| text::clean(t)).collect(),
            certified: !r.certification_kinds.is_empty(),
            certification_kinds: r.certification_kinds,
            campaign_ids: Vec::new(),
            price: Won(r.price),
            in_stock: r.in_stock,
            popularity: r.popularity,
            published_at: r.published_at,
            image: r.image,
        }
    }
}

/// Who may see a product: the storefront rule of `catalog::storefront` (an active
/// product of an approved vendor), over `p` (products) and `v` (vendors).
macro_rules! visible {
    () => {
        "p.status = 'active' AND v.status = 'approved'"
    };
}
pub(crate) const VISIBLE: &str = visible!();

/// Every column a document needs, and whether the product is visible. Certifications
/// count while verified and within their dates (`catalog::certifications::badges`),
/// stock while a variant has units not held by a reservation.
const COLUMNS: &str = concat!(
    "p.id, p.title, p.description_html, p.vendor_id, v.trade_name AS vendor_name, \
     p.category_id, c.ancestors || c.id AS category_ids, p.tags, \
     COALESCE((SELECT array_agg(DISTINCT ce.kind ORDER BY ce.kind) \
               FROM catalog.certifications ce \
               WHERE ce.vendor_id = p.vendor_id AND ce.verified_at IS NOT NULL \
                 AND current_date BETWEEN ce.issued_on AND ce.expires_on), '{}') AS certification_kinds, \
     p.min_price AS price, \
     EXISTS (SELECT 1 FROM catalog.variants x WHERE x.product_id = p.id AND x.on_hand > x.reserved) AS in_stock, \
     p.popularity, p.published_at, p.images->>0 AS image, (",
    visible!(),
    ") AS visible"
);

const JOINS: &str = "JOIN catalog.vendors v ON v.id = p.vendor_id \
     JOIN catalog.categories c ON c.id = p.category_id";

pub(crate) fn text_array<S: AsRef<str>>(items: &[S]) -> Value {
    Value::Array(
        ArrayType::String,
        Some(Box::new(
            items
                .iter()
                .map(|s| Value::from(s.as_ref().to_owned()))
                .collect(),
        )),
    )
}

/// Fill `campaign_ids` of `docs` with the campaigns live now, in one call to promotions.
async fn attach_campaigns(db: &impl ConnectionTrait, docs: &mut [Document]) -> SearchResult<()> {
    if docs.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = docs.iter().map(|d| d.id).collect();
    let mut live = promotions::membership::live_campaigns_of(db, &ids, Utc::now()).await?;
    for doc in docs.iter_mut() {
        doc.campaign_ids = live
            .remove(&doc.id)
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.id)
            .collect();
    }
    Ok(())
}

/// The documents of `product_ids`, in the order asked, each `None` when the product is
/// not visible (missing, draft, archived, or its vendor is not approved).
#[tracing::instrument(skip_all, fields(n = product_ids.len()))]
pub async fn load(
    db: &impl ConnectionTrait,
    product_ids: &[Uuid],
) -> SearchResult<Vec<(Uuid, Option<Document>)>> {
    if product_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = Row::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("SELECT {COLUMNS} FROM catalog.products p {JOINS} WHERE p.id = ANY($1)"),
        [platform::db::uuid_array(product_ids)],
    ))
    .all(db)
    .await?;
    let mut docs: Vec<Document> = rows
        .into_iter()
        .filter(|r| r.visible)
        .map(Document::from)
        .collect();
    attach_campaigns(db, &mut docs).await?;
    let mut found: HashMap<Uuid, Document> = docs.into_iter().map(|d| (d.id, d)).collect();
    Ok(product_ids
        .iter()
        .map(|id| (*id, found.remove(id)))
        .collect())
}

/// How many products are visible (what a full rebuild will write).
pub async fn count_visible(db: &impl ConnectionTrait) -> SearchResult<u64> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            concat!(
                "SELECT count(*) AS n FROM catalog.products p \
                 JOIN catalog.vendors v ON v.id = p.vendor_id WHERE ",
                visible!()
            ),
        ))
        .await?;
    let n: i64 = match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The next page of active products after `after` in id order, `batch` of them, as
/// documents (those of unapproved vendors dropped), with the last id the page reached.
///
/// The page is taken from `catalog.products` by primary key *before* joining: filtering
/// on the vendor first let the planner start from the vendors and re-read every later
/// product on each page (320 ms a page at 100k products, quadratic overall).
async fn page_after(
    db: &impl ConnectionTrait,
    after: Uuid,
    batch: u64,
) -> SearchResult<(Vec<Document>, Option<Uuid>, usize)> {
    let rows = Row::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "SELECT {COLUMNS} FROM (SELECT * FROM catalog.products \
                 WHERE status = 'active' AND id > $1 ORDER BY id LIMIT $2) p \
             {JOINS} ORDER BY p.id"
        ),
        [
            after.into(),
            Value::BigInt(Some(i64::try_from(batch).unwrap_or(i64::MAX))),
        ],
    ))
    .all(db)
    .await?;
    let scanned = rows.len();
    let last = rows.last().map(|r| r.id);
    let mut docs: Vec<Document> = rows
        .into_iter()
        .filter(|r| r.visible)
        .map(Document::from)
        .collect();
    attach_campaigns(db, &mut docs).await?;
    Ok((docs, last, scanned))
}

/// Every visible document, `batch` at a time, keyset-paged by id so that a long rebuild
/// neither holds a transaction open nor slows down as it goes. Batches are never empty.
pub fn stream_all<C: ConnectionTrait + Sync>(
    db: &C,
    batch: u64,
) -> impl Stream<Item = SearchResult<Vec<Document>>> + Send + '_ {
    let batch = batch.max(1);
    stream::try_unfold(Some(Uuid::nil()), move |state| async move {
        let mut after = match state {
            Some(after) => after,
            None => return Ok::<_, SearchError>(None),
        };
        loop {
            let (docs, last, scanned) = page_after(db, after, batch).await?;
            let more = (scanned as u64) == batch;
            let next = if more { last } else { None };
            if !docs.is_empty() {
                return Ok(Some((docs, next)));
            }
            match next {
                Some(n) => after = n,
                None => return Ok(None),
            }
        }
    })
}

/// Call `f` with every visible document, `batch` at a time; returns how many there were.
pub async fn load_all_batched<C, F, Fut>(db: &C, batch: u64, mut f: F) -> SearchResult<u64>
where
    C: ConnectionTrait + Sync,
    F: FnMut(Vec<Document>) -> Fut,
    Fut: Future<Output = SearchResult<()>>,
{
    let mut total = 0u64;
    let mut batches = std::pin::pin!(stream_all(db, batch).into_stream());
    while let Some(docs) = batches.next().await {
        let docs = docs?;
        total += docs.len() as u64;
        f(docs).await?;
    }
    Ok(total)
}
