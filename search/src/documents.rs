//! What the index holds per product, built from the catalog's listing API
//! ([`catalog::listing`]): one statement per batch, and only for products consumers may
//! see (the catalog's rule, the same as its storefront's). A product that is not visible
//! has no document, so loading it tells the indexer to delete it.
//!
//! The campaigns a product takes part in come from promotions (its Rust API, never its
//! tables), one call per batch, as they are live at the moment of loading.

use crate::error::{SearchError, SearchResult};
use crate::text;
use catalog::listing::{self, ListedProduct};
use chrono::{DateTime, Utc};
use futures::Stream;
use futures::stream::{self, StreamExt, TryStreamExt};
use platform::money::Won;
use sea_orm::ConnectionTrait;
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

impl From<ListedProduct> for Document {
    fn from(p: ListedProduct) -> Document {
        Document {
            id: p.id,
            title: text::clean(&p.title),
            description: text::html_to_text(&p.description_html, text::MAX_DESCRIPTION_CHARS),
            vendor_id: p.vendor_id,
            vendor_name: p.vendor_name,
            category_id: p.category_id,
            category_ids: p.category_ids,
            tags: p.tags.iter().map(|t| text::clean(t)).collect(),
            certified: !p.certification_kinds.is_empty(),
            certification_kinds: p.certification_kinds,
            campaign_ids: Vec::new(),
            price: Won(p.min_price),
            in_stock: p.in_stock,
            popularity: p.popularity,
            published_at: p.published_at,
            image: p.image,
        }
    }
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
    let mut docs: Vec<Document> = listing::listed_products(db, product_ids)
        .await?
        .into_iter()
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
    Ok(listing::count_listed(db).await?)
}

/// The next page of active products after `after` in id order, `batch` of them, as
/// documents (those of unapproved vendors dropped), with the last id the page reached.
async fn page_after(
    db: &impl ConnectionTrait,
    after: Uuid,
    batch: u64,
) -> SearchResult<(Vec<Document>, Option<Uuid>, usize)> {
    let page = listing::listed_after(db, after, batch).await?;
    let mut docs: Vec<Document> = page.products.into_iter().map(Document::from).collect();
    attach_campaigns(db, &mut docs).await?;
    Ok((docs, page.last, page.scanned))
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
