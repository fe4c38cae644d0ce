//! What consumers read: product lists with filters, sorts and cursors, product pages,
//! vendor pages. Only active products of approved vendors exist here. Product reads show
//! the live campaign prices and badges that [`LivePrices`] gives.

use crate::campaign_prices::{LivePrices, LivePricing, ProductPromotion, PromotionBadge};
use crate::certifications::{self, Badge};
use crate::domain::business_number::BusinessNumber;
use crate::error::{CatalogError, CatalogResult};
use crate::listing::{
    self, HAS_STOCK, PRODUCT_LISTED, ProductFacts, SELLER_SELLING, VALID_CERT, VISIBLE,
};
use crate::store::vendor;
use crate::vendors;
use chrono::{DateTime, Utc};
use platform::db::pg;
use platform::money::Won;
use platform::pagination::Limit;
use sea_orm::sqlx::{self, Row, postgres::PgRow};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryResult, Value,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Newest,
    PriceAsc,
    PriceDesc,
    Popular,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// A category; its sub-categories are included.
    pub category: Option<Uuid>,
    pub vendor: Option<Uuid>,
    /// Only vendors with a valid certification badge.
    pub certified: Option<bool>,
    /// Won, inclusive.
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 0, 100_000_000>"
    )]
    #[param(minimum = 0, maximum = 100_000_000)]
    pub min_price: Option<i64>,
    /// Won, inclusive.
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 0, 100_000_000>"
    )]
    #[param(minimum = 0, maximum = 100_000_000)]
    pub max_price: Option<i64>,
    pub tag: Option<String>,
    pub in_stock: Option<bool>,
    #[param(inline)]
    pub sort: Option<Sort>,
    /// 1 to 100, default 20; outside that range the answer is 422.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page (of the same sort); anything else is 422
    /// `invalid_cursor`.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ListCursor {
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    t: Option<DateTime<Utc>>,
    id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VendorRef {
    pub id: Uuid,
    pub trade_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProductSummary {
    pub id: Uuid,
    pub title: String,
    pub image: Option<String>,
    /// The lowest variant list price (what the price filters and sorts use).
    pub price: Won,
    /// The lowest price a live campaign or time deal gives, when below `price`.
    pub sale_price: Option<Won>,
    /// How much `sale_price` takes off its variant's list price, in percent (rounded down).
    pub discount_percent: Option<u32>,
    /// The live campaign or time deal the product is in.
    pub promotion: Option<PromotionBadge>,
    pub vendor: VendorRef,
    pub category_id: Uuid,
    pub certified: bool,
    pub in_stock: bool,
    #[serde(serialize_with = "platform::timestamps::serialize_option")]
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProductList {
    pub items: Vec<ProductSummary>,
    pub next_cursor: Option<String>,
}

/// A list row, read by position: `list_and_facts` selects its columns in its fields' order.
#[derive(Debug)]
struct SummaryRow {
    id: Uuid,
    title: String,
    image: Option<String>,
    min_price: i64,
    popularity: i64,
    published_at: Option<DateTime<Utc>>,
    category_id: Uuid,
    vendor_id: Uuid,
    trade_name: String,
    in_stock: bool,
    certified: bool,
    tags: Vec<String>,
    /// The category's path: the top-level category first, the category itself last.
    categories: Vec<Uuid>,
}

// By position, not by name: the derived reader looks every column name up in the row
// (hashed and compared per field and row), 3% of an uncached list's time in the server.
// And without sqlx's per-column type check: the statement is `list_and_facts`'s own, its
// columns' types fixed beside this reader, and the check (comparing type infos, cloning and
// dropping them for every cell) was a third of decoding a page, 7% of the server's time
// under the filtered-list benchmark. Lengths, nulls and UTF-8 are still checked, so most
// mismatches fail to decode; one of the same width (a timestamp read as a number) would
// not. So `storefront::price_sorted_subcategory_lists_leave_out_sibling_categories`
// compares every field a list shows, and the category path and tags, which only reach
// live prices, are checked by `campaign_prices`' category and tag rules on the list.
impl FromQueryResult for SummaryRow {
    fn from_query_result(res: &QueryResult, _pre: &str) -> Result<Self, DbErr> {
        let row = res
            .try_as_pg_row()
            .ok_or_else(|| DbErr::Type("a list row that is not a Postgres row".into()))?;
        Ok(SummaryRow {
            id: cell(row, 0)?,
            title: cell(row, 1)?,
            image: cell(row, 2)?,
            min_price: cell(row, 3)?,
            popularity: cell(row, 4)?,
            published_at: cell(row, 5)?,
            category_id: cell(row, 6)?,
            vendor_id: cell(row, 7)?,
            trade_name: cell(row, 8)?,
            in_stock: cell(row, 9)?,
            certified: cell(row, 10)?,
            tags: cell(row, 11)?,
            categories: cell(row, 12)?,
        })
    }
}

/// Column `i` of a list row, decoded without the type check (see [`SummaryRow`]'s reader).
fn cell<'r, T>(row: &'r PgRow, i: usize) -> Result<T, DbErr>
where
    T: sqlx::Decode<'r, sqlx::Postgres>,
{
    row.try_get_unchecked(i)
        .map_err(|e| DbErr::Type(format!("list column {i}: {e}")))
}

impl SummaryRow {
    /// The row as the list shows it, and the facts live prices judge it by.
    fn split(self) -> (ProductSummary, ProductFacts) {
        let facts = ProductFacts {
            id: self.id,
            vendor_id: self.vendor_id,
            categories: self.categories,
            tags: self.tags,
            certified: self.certified,
        };
        let summary = ProductSummary {
            id: self.id,
            title: self.title,
            image: self.image,
            price: Won(self.min_price),
            sale_price: None,
            discount_percent: None,
            promotion: None,
            vendor: VendorRef {
                id: self.vendor_id,
                trade_name: self.trade_name,
            },
            category_id: self.category_id,
            certified: self.certified,
            in_stock: self.in_stock,
            published_at: self.published_at,
        };
        (summary, facts)
    }
}

/// Collects SQL conditions and their parameters; every value is bound, never spliced.
struct Sql {
    conds: Vec<String>,
    values: Vec<Value>,
}

impl Sql {
    fn bind(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        format!("${}", self.values.len())
    }

    /// A filter's value, bound behind a sub-select: the planner sees it as unknown in
    /// every plan, so the custom plans cost what the generic one does and the prepared
    /// statement keeps the generic plan instead of planning each request again (see
    /// `purchasable::load`).
    fn hidden(&mut self, v: impl Into<Value>) -> String {
        format!("(SELECT {})", self.bind(v))
    }
}

/// The largest uuid: `(p.min_price, p.id) <= (max, LAST_ID)` is `p.min_price <= max`.
const LAST_ID: &str = "'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid";

pub async fn list(db: &impl ConnectionTrait, q: &ListQuery) -> CatalogResult<ProductList> {
    Ok(list_and_facts(db, q).await?.0)
}

/// A list page, and the membership facts of its products, read in the same statement so
/// that live prices need not read them again.
async fn list_and_facts(
    db: &impl ConnectionTrait,
    q: &ListQuery,
) -> CatalogResult<(ProductList, Vec<ProductFacts>)> {
    let limit = q.limit.unwrap_or_default().get();
    let sort = q.sort.unwrap_or_default();
    let mut sql = Sql {
        conds: vec![PRODUCT_LISTED.into(), SELLER_SELLING.into()],
        values: Vec::new(),
    };
    // Sorted by price within a category, the walk is over the price order of that
    // category's top-level category only (`products_storefront_top_price`), as one range
    // of rows: `(top, lo) <= (path[1], price) <= (top, hi, LAST_ID)`. The sort leads with
    // the path's head so the planner takes that index's order; the head is the same on
    // every row, so the order is the price order.
    let price_sorted = matches!(sort, Sort::PriceAsc | Sort::PriceDesc);
    let mut top = None;
    if let Some(c) = q.category {
        let p = sql.hidden(c);
        if price_sorted {
            // The walk is bounded to the top-level category already, so the subtree test
            // is a filter on rows the index hands over: the product's own path answers it
            // without joining the category tree (a fifth of the statement's time).
            sql.conds.push(listing::on_category_path(&p));
            top = Some(listing::top_category_of(&p));
        } else {
            sql.conds.push(listing::in_category(&p));
        }
    }
    if let Some(v) = q.vendor {
        let p = sql.hidden(v);
        sql.conds.push(format!("p.vendor_id = {p}"));
    }
    if q.certified == Some(true) {
        sql.conds.push(VALID_CERT.into());
    }
    if let Some(top) = &top {
        let lo = sql.hidden(q.min_price.unwrap_or(i64::MIN));
        let hi = sql.hidden(q.max_price.unwrap_or(i64::MAX));
        sql.conds.push(format!(
            "(p.category_path[1], p.min_price) >= ({top}, {lo})"
        ));
        sql.conds.push(format!(
            "(p.category_path[1], p.min_price, p.id) <= ({top}, {hi}, {LAST_ID})"
        ));
    } else {
        if let Some(min) = q.min_price {
            let p = sql.hidden(min);
            sql.conds.push(format!("p.min_price >= {p}"));
        }
        if let Some(max) = q.max_price {
            // A price window as `min_price >= lo AND min_price <= hi` is a range, which the
            // planner guesses holds 0.5% of the products when it cannot see the bounds; at
            // that guess it read every product in the window and sorted them (1,500 rows for
            // a typical filter at 10k products) instead of walking the price index and
            // stopping at the page. Written as a row comparison the upper bound is still an
            // index bound, but is guessed apart from the lower one (pgbench on the list
            // statement: 893 -> 5,353 statements/s).
            let p = sql.hidden(max);
            sql.conds
                .push(format!("(p.min_price, p.id) <= ({p}, {LAST_ID})"));
        }
    }
    if let Some(tag) = q.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let p = sql.hidden(tag.to_lowercase());
        sql.conds.push(format!("{p} = ANY(p.tags)"));
    }
    if q.in_stock == Some(true) {
        sql.conds.push(HAS_STOCK.into());
    }
    let cursor: Option<ListCursor> = q
        .cursor
        .as_deref()
        .map(platform::pagination::decode_cursor)
        .transpose()
        .map_err(|_| CatalogError::InvalidCursor)?;
    let (order, key_col) = match sort {
        Sort::Newest => ("p.published_at DESC, p.id DESC", "p.published_at"),
        Sort::PriceAsc => ("p.min_price ASC, p.id ASC", "p.min_price"),
        Sort::PriceDesc => ("p.min_price DESC, p.id DESC", "p.min_price"),
        Sort::Popular => ("p.popularity DESC, p.id DESC", "p.popularity"),
    };
    if let Some(c) = cursor {
        let cmp = if sort == Sort::PriceAsc { ">" } else { "<" };
        let key = match sort {
            Sort::Newest => c.t.map(|t| sql.hidden(t)),
            _ => c.n.map(|n| sql.hidden(n)),
        }
        .ok_or(CatalogError::InvalidCursor)?;
        let id = sql.hidden(c.id);
        sql.conds
            .push(format!("({key_col}, p.id) {cmp} ({key}, {id})"));
    }
    let lim = sql.bind((limit + 1) as i64);
    let inner_order = match (&top, sort) {
        (Some(_), Sort::PriceDesc) => format!("p.category_path[1] DESC, {order}"),
        (Some(_), _) => format!("p.category_path[1], {order}"),
        (None, _) => order.to_owned(),
    };
    // The columns in `SummaryRow`'s order (it reads them by position). The certification
    // flag is computed outside the LIMIT: inside it the planner may work it out for every
    // candidate row before it limits. Stock is a column of the row.
    let text = format!(
        "SELECT p.id, p.title, p.image, p.min_price, p.popularity, p.published_at, p.category_id, \
                p.vendor_id, p.trade_name, {HAS_STOCK} AS in_stock, {VALID_CERT} AS certified, \
                p.tags, p.category_path AS categories \
         FROM (SELECT p.id, p.title, p.images->>0 AS image, p.min_price, p.popularity, p.published_at, \
                      p.category_id, p.vendor_id, p.trade_name, p.tags, p.category_path, p.in_stock_variants \
               FROM catalog.products p \
               WHERE {} ORDER BY {inner_order} LIMIT {lim}) p \
         ORDER BY {order}",
        sql.conds.join(" AND ")
    );
    let rows = SummaryRow::find_by_statement(pg(text, sql.values))
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    let mut rows = rows;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|r| {
            platform::pagination::encode_cursor(&match sort {
                Sort::Newest => ListCursor {
                    n: None,
                    t: r.published_at,
                    id: r.id,
                },
                Sort::PriceAsc | Sort::PriceDesc => ListCursor {
                    n: Some(r.min_price),
                    t: None,
                    id: r.id,
                },
                Sort::Popular => ListCursor {
                    n: Some(r.popularity),
                    t: None,
                    id: r.id,
                },
            })
        })
    } else {
        None
    };
    let (items, facts) = rows.into_iter().map(SummaryRow::split).unzip();
    Ok((ProductList { items, next_cursor }, facts))
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VariantView {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    /// Option name → value, e.g. {"중량": "1kg"}.
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub options: serde_json::Value,
    pub price: Won,
    pub compare_at_price: Option<Won>,
    /// The unit price while a live campaign or time deal lowers it: what the cart charges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_price: Option<Won>,
    /// How much `sale_price` takes off `price`, in percent (rounded down).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_percent: Option<u32>,
    pub available: i32,
    pub in_stock: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CategoryRef {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VendorSummary {
    pub id: Uuid,
    pub trade_name: String,
    pub badges: Vec<Badge>,
    pub shipping: ShippingPolicy,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ShippingPolicy {
    pub base_fee: Won,
    /// Free shipping from this subtotal; absent when shipping is never free.
    pub free_threshold: Option<Won>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProductDetail {
    pub id: Uuid,
    pub title: String,
    /// Sanitised HTML.
    pub description_html: String,
    /// Picture URLs, cover first (the medium size of uploaded photos when there are any).
    pub images: Vec<String>,
    /// The uploaded photos in every size the storefront serves, cover first.
    #[serde(default)]
    pub photos: Vec<crate::product_images::ProductImage>,
    /// Root first.
    pub categories: Vec<CategoryRef>,
    pub tags: Vec<String>,
    pub origin: String,
    /// 상품정보제공고시
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub notice: serde_json::Value,
    /// 청약철회 is restricted (fresh or made-to-order goods).
    pub withdrawal_restricted: bool,
    pub taxable: bool,
    pub max_per_order: Option<i32>,
    /// The lowest variant list price.
    pub price: Won,
    /// The lowest price a live campaign or time deal gives, when below `price`.
    pub sale_price: Option<Won>,
    /// How much `sale_price` takes off its variant's list price, in percent (rounded down).
    pub discount_percent: Option<u32>,
    /// The live campaign or time deal the product is in.
    pub promotion: Option<PromotionBadge>,
    pub vendor: VendorSummary,
    pub badges: Vec<Badge>,
    pub variants: Vec<VariantView>,
}

pub fn variant_view(v: crate::store::variant::Model) -> VariantView {
    VariantView {
        id: v.id,
        available: v.available().max(0),
        in_stock: v.available() > 0,
        sku: v.sku,
        name: v.name,
        options: v.options,
        price: Won(v.price),
        compare_at_price: v.compare_at_price.map(Won),
        sale_price: None,
        discount_percent: None,
    }
}

pub fn shipping_policy(v: &vendor::Model) -> ShippingPolicy {
    ShippingPolicy {
        base_fee: Won(v.shipping_base_fee),
        free_threshold: v.shipping_free_threshold.map(Won),
    }
}

/// A product page as one row: the product, its vendor, and as JSON built by Postgres the
/// vendor's badges valid today, the variants and the category path (root first).
#[derive(Debug, FromQueryResult)]
struct DetailRow {
    id: Uuid,
    title: String,
    description_html: String,
    images: String,
    tags: Vec<String>,
    origin: String,
    notice: serde_json::Value,
    withdrawal_restricted: bool,
    taxable: bool,
    max_per_order: Option<i32>,
    min_price: i64,
    vendor_id: Uuid,
    trade_name: String,
    shipping_base_fee: i64,
    shipping_free_threshold: Option<i64>,
    badges: String,
    variants: String,
    categories: String,
    photos: String,
}

/// One statement where there were six (product, vendor, certifications, variants,
/// categories, uploaded photos): on an uncached page every round trip to Postgres is most
/// of the cost. The rules are the listing rules ([`crate::listing`]): visible
/// ([`VISIBLE`]), badges valid today as [`VALID_CERT`] counts them, stock as
/// [`variant_view`] shows it.
fn detail_sql() -> String {
    format!(
        "SELECT p.id, p.title, p.description_html, p.images::text AS images, p.tags, p.origin, \
                p.notice, p.withdrawal_restricted, p.taxable, p.max_per_order, p.min_price, \
                v.id AS vendor_id, v.trade_name, v.shipping_base_fee, v.shipping_free_threshold, \
                COALESCE((SELECT json_agg(json_build_object('kind', c.kind, 'class', c.class, \
                                 'number', c.number, 'expires_on', c.expires_on) ORDER BY c.issued_on) \
                          FROM catalog.certifications c WHERE c.vendor_id = v.id \
                            AND c.verified_at IS NOT NULL \
                            AND current_date BETWEEN c.issued_on AND c.expires_on), '[]')::text AS badges, \
                COALESCE((SELECT json_agg(json_build_object('id', x.id, 'sku', x.sku, 'name', x.name, \
                                 'options', x.options, 'price', x.price, 'compare_at_price', x.compare_at_price, \
                                 'available', GREATEST(x.on_hand - x.reserved, 0), \
                                 'in_stock', x.on_hand > x.reserved) ORDER BY x.position, x.id) \
                          FROM catalog.variants x WHERE x.product_id = p.id), '[]')::text AS variants, \
                COALESCE((SELECT json_agg(json_build_object('id', a.id, 'slug', a.slug, 'name', a.name) \
                                 ORDER BY cardinality(a.ancestors)) \
                          FROM catalog.categories cc \
                          JOIN catalog.categories a ON a.id = cc.id OR a.id = ANY(cc.ancestors) \
                          WHERE cc.id = p.category_id), '[]')::text AS categories, \
                COALESCE((SELECT json_agg(i ORDER BY i.position, i.id) \
                          FROM catalog.product_images i WHERE i.product_id = p.id), '[]')::text AS photos \
         FROM catalog.products p JOIN catalog.vendors v ON v.id = p.vendor_id \
         WHERE p.id = $1 AND {VISIBLE}"
    )
}

/// A column Postgres built as JSON, read back.
fn json_column<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> CatalogResult<T> {
    serde_json::from_str(text)
        .map_err(|e| CatalogError::Db(sea_orm::DbErr::Type(format!("product {what}: {e}"))))
}

/// A product page, or `None` when consumers may not see it.
pub async fn detail(db: &impl ConnectionTrait, id: Uuid) -> CatalogResult<Option<ProductDetail>> {
    Ok(detail_and_facts(db, id).await?.map(|(page, _)| page))
}

/// A product page and its membership facts, read in the same statement so that live
/// prices need not read them again.
async fn detail_and_facts(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> CatalogResult<Option<(ProductDetail, ProductFacts)>> {
    let Some(r) = DetailRow::find_by_statement(pg(detail_sql(), [id.into()]))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let badges: Vec<Badge> = json_column("badges", &r.badges)?;
    let page = ProductDetail {
        id: r.id,
        title: r.title,
        description_html: r.description_html,
        images: serde_json::from_str(&r.images).unwrap_or_default(),
        photos: json_column::<Vec<crate::store::product_image::Model>>("photos", &r.photos)?
            .iter()
            .map(crate::product_images::view)
            .collect(),
        categories: json_column("categories", &r.categories)?,
        tags: r.tags,
        origin: r.origin,
        notice: r.notice,
        withdrawal_restricted: r.withdrawal_restricted,
        taxable: r.taxable,
        max_per_order: r.max_per_order,
        price: Won(r.min_price),
        sale_price: None,
        discount_percent: None,
        promotion: None,
        vendor: VendorSummary {
            id: r.vendor_id,
            trade_name: r.trade_name,
            badges: badges.clone(),
            shipping: ShippingPolicy {
                base_fee: Won(r.shipping_base_fee),
                free_threshold: r.shipping_free_threshold.map(Won),
            },
        },
        badges,
        variants: json_column("variants", &r.variants)?,
    };
    // The page already holds every fact membership rules judge: its category path is the
    // category and its ancestors, and its badges are the certifications valid today.
    let facts = ProductFacts {
        id: page.id,
        vendor_id: page.vendor.id,
        categories: page.categories.iter().map(|c| c.id).collect(),
        tags: page.tags.clone(),
        certified: !page.badges.is_empty(),
    };
    Ok(Some((page, facts)))
}

/// The lowest promoted price of `promo` when it is below `list_min`, with its discount.
fn sale(promo: &ProductPromotion, list_min: Won) -> (Option<Won>, Option<u32>) {
    match promo.lowest() {
        Some(p) if p.price < list_min => (Some(p.price), Some(p.discount_percent())),
        _ => (None, None),
    }
}

impl ProductSummary {
    fn promote(&mut self, promo: &ProductPromotion) {
        (self.sale_price, self.discount_percent) = sale(promo, self.price);
        self.promotion = promo.badge.clone();
    }
}

impl ProductDetail {
    fn promote(&mut self, promo: &ProductPromotion) {
        (self.sale_price, self.discount_percent) = sale(promo, self.price);
        self.promotion = promo.badge.clone();
        for v in &mut self.variants {
            if let Some(p) = promo.variants.get(&v.id)
                && p.price < v.price
            {
                v.sale_price = Some(p.price);
                v.discount_percent = Some(p.discount_percent());
            }
        }
    }
}

/// A read that shows promotions, and the instant from which it is out of date by itself
/// (a campaign or time deal concerning it starts or ends): a cache must not keep it past.
pub struct Priced<T> {
    pub value: T,
    pub until: Option<DateTime<Utc>>,
}

/// [`list`] with the campaign prices live at `at`: the page is read on `page_db` (the
/// pool without release pings, `platform::autocommit`, when served), what the prices load
/// on `db`.
pub async fn priced_list(
    page_db: &impl ConnectionTrait,
    db: &DatabaseConnection,
    prices: &dyn LivePrices,
    q: &ListQuery,
    at: DateTime<Utc>,
) -> CatalogResult<Priced<ProductList>> {
    let (mut page, facts) = list_and_facts(page_db, q).await?;
    let live: LivePricing = prices.live_prices(db, &facts, at).await?;
    for item in &mut page.items {
        if let Some(promo) = live.products.get(&item.id) {
            item.promote(promo);
        }
    }
    Ok(Priced {
        value: page,
        until: live.next_change,
    })
}

/// [`detail`] with the campaign prices live at `at`, read as [`priced_list`] reads.
pub async fn priced_detail(
    page_db: &impl ConnectionTrait,
    db: &DatabaseConnection,
    prices: &dyn LivePrices,
    id: Uuid,
    at: DateTime<Utc>,
) -> CatalogResult<Option<Priced<ProductDetail>>> {
    let Some((mut page, facts)) = detail_and_facts(page_db, id).await? else {
        return Ok(None);
    };
    let live = prices.live_prices(db, &[facts], at).await?;
    if let Some(promo) = live.products.get(&id) {
        page.promote(promo);
    }
    Ok(Some(Priced {
        value: page,
        until: live.next_change,
    }))
}

/// The seller identity Korean e-commerce law requires the shop to show.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SellerIdentity {
    pub trade_name: String,
    pub representative: String,
    pub address: String,
    pub cs_phone: String,
    pub cs_email: String,
    /// 사업자등록번호 in 3-2-5 form.
    pub business_number: String,
    /// 통신판매업 신고번호, or the exemption.
    pub mail_order_number: Option<String>,
    pub mail_order_exemption: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VendorPage {
    pub id: Uuid,
    pub trade_name: String,
    pub story: String,
    pub badges: Vec<Badge>,
    pub shipping: ShippingPolicy,
    pub seller: SellerIdentity,
}

pub fn seller_identity(v: &vendor::Model) -> SellerIdentity {
    SellerIdentity {
        trade_name: v.trade_name.clone(),
        representative: v.representative.clone(),
        address: format!("{} {}", v.address, v.address_detail)
            .trim()
            .to_owned(),
        cs_phone: v.cs_phone.clone(),
        cs_email: v.cs_email.clone(),
        business_number: BusinessNumber::parse(&v.business_number)
            .map(|b| b.to_string())
            .unwrap_or_else(|_| v.business_number.clone()),
        mail_order_number: v.mail_order_number.clone(),
        mail_order_exemption: v.mail_order_exemption.clone(),
    }
}

pub async fn vendor_page(db: &impl ConnectionTrait, id: Uuid) -> CatalogResult<Option<VendorPage>> {
    let Some(v) = vendor::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    if !vendors::is_selling(&v) {
        return Ok(None);
    }
    let badges = certifications::badges(&certifications::of_vendor(db, v.id).await?);
    Ok(Some(VendorPage {
        id: v.id,
        trade_name: v.trade_name.clone(),
        story: v.story.clone(),
        badges,
        shipping: shipping_policy(&v),
        seller: seller_identity(&v),
    }))
}
