//! Listing rules: the one read API other crates use for catalog facts, and the one place
//! the catalog's predicates are written.
//!
//! - *listed* (a shopper may see the product): an active product of an approved vendor;
//! - *certified*: the vendor holds a verified certification valid today;
//! - *in stock*: a variant has units not held by a reservation;
//! - *in a category*: the category itself or any category under it.
//!
//! The storefront, cart facts, campaign pages and membership, and the search index all
//! read through here, so a change to a rule changes every reader. Functions take
//! `&impl ConnectionTrait` so that they run inside a caller's transaction, and each is one
//! statement (only the database can fail them).

use crate::store::{category, product, variant, vendor};
use crate::storefront::{SellerIdentity, ShippingPolicy};
use chrono::{DateTime, Utc};
use platform::db::pg;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Value,
};
use std::collections::HashMap;
use uuid::Uuid;

pub use crate::purchasable::{
    RemoteAreaExemptionRow, RemoteAreaRow, remote_area_exemptions, remote_areas,
};

macro_rules! product_listed {
    () => {
        "p.status = 'active'"
    };
}
macro_rules! vendor_selling {
    () => {
        "v.status = 'approved'"
    };
}

/// The product aliased `p` is listed by its vendor ([`crate::products::ProductStatus::Active`]).
pub(crate) const PRODUCT_LISTED: &str = product_listed!();
/// The vendor of the product aliased `p` may sell ([`crate::vendors::is_selling`]), read
/// from the product row: the triggers of migration `m20261209_000101_product_seller` keep
/// it by the rule [`VISIBLE`] reads from the vendor row, so a list needs no vendor row
/// (the row's `trade_name` is the vendor's too).
pub(crate) const SELLER_SELLING: &str = "p.vendor_selling";
/// A shopper may see the product `p` of vendor `v` (`v.status` is
/// [`crate::vendors::is_selling`]).
pub(crate) const VISIBLE: &str = concat!(product_listed!(), " AND ", vendor_selling!());

/// The vendor of the product aliased `p` holds a verified certification valid today: the
/// one definition of "certified" every query uses (lists, badges, cart facts, campaign
/// membership, search). [`crate::store::certification::Model::is_valid_on`] is its Rust form.
pub(crate) const VALID_CERT: &str = "EXISTS (SELECT 1 FROM catalog.certifications c WHERE c.vendor_id = p.vendor_id \
     AND c.verified_at IS NOT NULL AND current_date BETWEEN c.issued_on AND c.expires_on)";

/// The kinds of the certifications [`VALID_CERT`] counts, sorted (empty when none).
const VALID_CERT_KINDS: &str = "COALESCE((SELECT array_agg(DISTINCT ce.kind ORDER BY ce.kind) \
     FROM catalog.certifications ce \
     WHERE ce.vendor_id = p.vendor_id AND ce.verified_at IS NOT NULL \
       AND current_date BETWEEN ce.issued_on AND ce.expires_on), '{}')";

/// The product aliased `p` has a variant with units not held by a reservation
/// (`x.on_hand > x.reserved`): the triggers of migration
/// `m20261208_000101_product_in_stock_variants` count those variants on the product row.
pub(crate) const HAS_STOCK: &str = "p.in_stock_variants > 0";

/// The product aliased `p` is in the category bound as `param` or one under it.
pub(crate) fn in_category(param: &str) -> String {
    format!(
        "p.category_id IN (SELECT id FROM catalog.categories WHERE id = {param} OR {param} = ANY(ancestors))"
    )
}

/// The same test as [`in_category`] on the product's `category_path` (its category's
/// ancestors and itself, kept by triggers): no join, so cheaper per row, but no index
/// finds rows by it; for a walk already bounded by another index.
pub(crate) fn on_category_path(param: &str) -> String {
    format!("{param} = ANY(p.category_path)")
}

/// The top-level category of the category bound as `param` (itself when top-level): the
/// head of the `category_path` of every product under it.
pub(crate) fn top_category_of(param: &str) -> String {
    format!(
        "(SELECT COALESCE(c.ancestors[1], c.id) FROM catalog.categories c WHERE c.id = {param})"
    )
}

/// A product a shopper may see, with the facts the search index holds.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct ListedProduct {
    pub id: Uuid,
    pub title: String,
    pub description_html: String,
    pub vendor_id: Uuid,
    pub vendor_name: String,
    pub category_id: Uuid,
    /// Every ancestor of the category, root first, then the category itself.
    pub category_ids: Vec<Uuid>,
    pub tags: Vec<String>,
    /// The kinds of the vendor's certifications valid today, sorted; empty when the
    /// vendor is not certified.
    pub certification_kinds: Vec<String>,
    /// The lowest variant price, in won.
    pub min_price: i64,
    pub in_stock: bool,
    pub popularity: i64,
    pub published_at: Option<DateTime<Utc>>,
    pub image: Option<String>,
}

/// A [`ListedProduct`] row, and whether a shopper may see it.
#[derive(Debug, FromQueryResult)]
struct ListedRow {
    #[sea_orm(nested)]
    product: ListedProduct,
    visible: bool,
}

/// The columns of [`ListedRow`] over `p` (products), `v` (vendors), `c` (categories).
fn listed_columns() -> String {
    format!(
        "p.id, p.title, p.description_html, p.vendor_id, v.trade_name AS vendor_name, \
         p.category_id, c.ancestors || c.id AS category_ids, p.tags, \
         {VALID_CERT_KINDS} AS certification_kinds, p.min_price, {HAS_STOCK} AS in_stock, \
         p.popularity, p.published_at, p.images->>0 AS image, ({VISIBLE}) AS visible"
    )
}

const LISTED_JOINS: &str = "JOIN catalog.vendors v ON v.id = p.vendor_id \
     JOIN catalog.categories c ON c.id = p.category_id";

/// Those of `product_ids` a shopper may see, with their facts, in no particular order.
#[tracing::instrument(skip_all, fields(n = product_ids.len()))]
pub async fn listed_products(
    db: &impl ConnectionTrait,
    product_ids: &[Uuid],
) -> Result<Vec<ListedProduct>, DbErr> {
    if product_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = ListedRow::find_by_statement(pg(
        format!(
            "SELECT {} FROM catalog.products p {LISTED_JOINS} WHERE p.id = ANY($1)",
            listed_columns()
        ),
        [platform::db::uuid_array(product_ids)],
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.visible)
        .map(|r| r.product)
        .collect())
}

/// One page of [`listed_after`].
#[derive(Debug, Clone)]
pub struct ListedPage {
    /// The listed products of the page, in id order.
    pub products: Vec<ListedProduct>,
    /// How many active products the page went through (listed or not): fewer than asked
    /// means the last page.
    pub scanned: usize,
    /// The last product id the page reached, to continue after.
    pub last: Option<Uuid>,
}

/// The next `batch` active products after `after` in id order, keeping those a shopper
/// may see.
///
/// The page is taken from the products by primary key *before* joining: filtering on the
/// vendor first let the planner start from the vendors and re-read every later product on
/// each page (320 ms a page at 100k products, quadratic overall).
pub async fn listed_after(
    db: &impl ConnectionTrait,
    after: Uuid,
    batch: u64,
) -> Result<ListedPage, DbErr> {
    let rows = ListedRow::find_by_statement(pg(
        format!(
            "SELECT {} FROM (SELECT * FROM catalog.products p \
                 WHERE {PRODUCT_LISTED} AND p.id > $1 ORDER BY p.id LIMIT $2) p \
             {LISTED_JOINS} ORDER BY p.id",
            listed_columns()
        ),
        [
            after.into(),
            Value::BigInt(Some(i64::try_from(batch).unwrap_or(i64::MAX))),
        ],
    ))
    .all(db)
    .await?;
    Ok(ListedPage {
        scanned: rows.len(),
        last: rows.last().map(|r| r.product.id),
        products: rows
            .into_iter()
            .filter(|r| r.visible)
            .map(|r| r.product)
            .collect(),
    })
}

/// How many products a shopper may see.
pub async fn count_listed(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let row = db
        .query_one_raw(pg(
            format!(
                "SELECT count(*) AS n FROM catalog.products p \
                 JOIN catalog.vendors v ON v.id = p.vendor_id WHERE {VISIBLE}"
            ),
            [],
        ))
        .await?;
    let n: i64 = match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The `id` column of every row `sql` answers.
async fn ids(
    db: &impl ConnectionTrait,
    sql: String,
    values: Vec<Value>,
) -> Result<Vec<Uuid>, DbErr> {
    let rows = db.query_all_raw(pg(sql, values)).await?;
    rows.iter().map(|r| r.try_get("", "id")).collect()
}

/// The ids of every product a shopper may see, in id order.
pub async fn listed_ids(db: &impl ConnectionTrait) -> Result<Vec<Uuid>, DbErr> {
    let sql = format!(
        "SELECT p.id FROM catalog.products p \
         JOIN catalog.vendors v ON v.id = p.vendor_id WHERE {VISIBLE} ORDER BY p.id"
    );
    ids(db, sql, Vec::new()).await
}

/// The products (of every status) in `category_id` or any category under it.
pub async fn products_in_category(
    db: &impl ConnectionTrait,
    category_id: Uuid,
) -> Result<Vec<Uuid>, DbErr> {
    let sql = format!(
        "SELECT p.id FROM catalog.products p WHERE {}",
        in_category("$1")
    );
    ids(db, sql, vec![category_id.into()]).await
}

/// The products (of every status) of `vendor_id`.
pub async fn products_of_vendor(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
) -> Result<Vec<Uuid>, DbErr> {
    product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .filter(product::Column::VendorId.eq(vendor_id))
        .into_tuple()
        .all(db)
        .await
}

/// Those of `product_ids` that exist (of every status), in no particular order.
pub async fn existing_products(
    db: &impl ConnectionTrait,
    product_ids: &[Uuid],
) -> Result<Vec<Uuid>, DbErr> {
    product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .filter(product::Column::Id.is_in(product_ids.to_vec()))
        .into_tuple()
        .all(db)
        .await
}

/// What a campaign's membership rules look at in an active product.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ProductFacts {
    pub id: Uuid,
    pub vendor_id: Uuid,
    /// The category and its ancestors.
    pub categories: Vec<Uuid>,
    pub tags: Vec<String>,
    /// The vendor holds a verified certification valid today.
    pub certified: bool,
}

/// The facts of those of `product_ids` that are active, in one statement.
pub async fn active_product_facts(
    db: &impl ConnectionTrait,
    product_ids: &[Uuid],
) -> Result<Vec<ProductFacts>, DbErr> {
    if product_ids.is_empty() {
        return Ok(Vec::new());
    }
    ProductFacts::find_by_statement(pg(
        format!(
            "SELECT p.id, p.vendor_id, c.id || c.ancestors AS categories, p.tags, {VALID_CERT} AS certified \
             FROM catalog.products p JOIN catalog.categories c ON c.id = p.category_id \
             WHERE {PRODUCT_LISTED} AND p.id = ANY((SELECT $1)::uuid[])"
        ),
        [platform::db::uuid_array(product_ids)],
    ))
    .all(db)
    .await
}

/// A condition on an active product, as campaign membership rules name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductMatch {
    /// In the category or one under it.
    Category(Uuid),
    Vendor(Uuid),
    Tag(String),
    /// Of a vendor certified today.
    Certified,
}

impl ProductMatch {
    /// The Rust form of the SQL condition, over [`ProductFacts`].
    pub fn matches(&self, facts: &ProductFacts) -> bool {
        match self {
            ProductMatch::Category(id) => facts.categories.contains(id),
            ProductMatch::Vendor(id) => facts.vendor_id == *id,
            ProductMatch::Tag(tag) => facts.tags.iter().any(|t| t == tag),
            ProductMatch::Certified => facts.certified,
        }
    }
}

/// Active products that match any of `any`, most popular first, at most `limit` of them
/// (all without one). Nothing matches an empty list.
pub async fn active_products_matching(
    db: &impl ConnectionTrait,
    any: &[ProductMatch],
    limit: Option<u64>,
) -> Result<Vec<Uuid>, DbErr> {
    if any.is_empty() {
        return Ok(Vec::new());
    }
    let mut values: Vec<Value> = Vec::new();
    let mut conds: Vec<String> = Vec::new();
    for m in any {
        match m {
            ProductMatch::Category(id) => {
                values.push((*id).into());
                conds.push(in_category(&format!("${}", values.len())));
            }
            ProductMatch::Vendor(id) => {
                values.push((*id).into());
                conds.push(format!("p.vendor_id = ${}", values.len()));
            }
            ProductMatch::Tag(tag) => {
                values.push(tag.clone().into());
                conds.push(format!("${} = ANY(p.tags)", values.len()));
            }
            ProductMatch::Certified => conds.push(VALID_CERT.into()),
        }
    }
    let mut sql = format!(
        "SELECT p.id FROM catalog.products p WHERE {PRODUCT_LISTED} AND ({}) \
         ORDER BY p.popularity DESC, p.id",
        conds.join(" OR ")
    );
    if let Some(limit) = limit {
        values.push(Value::BigInt(Some(
            i64::try_from(limit).unwrap_or(i64::MAX),
        )));
        sql.push_str(&format!(" LIMIT ${}", values.len()));
    }
    ids(db, sql, values).await
}

/// A variant as a price list needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariantFacts {
    pub id: Uuid,
    /// The list price, in won.
    pub price: i64,
    pub in_stock: bool,
}

/// A product a shopper may see, with what a campaign page shows and prices.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ShowcaseProduct {
    pub id: Uuid,
    pub title: String,
    pub image: Option<String>,
    pub vendor_id: Uuid,
    pub vendor_name: String,
    /// The category, then its ancestors.
    pub category_path: Vec<Uuid>,
    pub tags: Vec<String>,
    pub taxable: bool,
    /// The vendor holds a verified certification valid today ([`VALID_CERT`]).
    pub certified: bool,
    /// In the vendor's order.
    #[sea_orm(skip)]
    pub variants: Vec<VariantFacts>,
}

#[derive(Debug, FromQueryResult)]
struct VariantRow {
    id: Uuid,
    product_id: Uuid,
    price: i64,
    in_stock: bool,
}

/// Those of `product_ids` a shopper may see, with their variants: two statements.
pub async fn showcase_products(
    db: &impl ConnectionTrait,
    product_ids: &[Uuid],
) -> Result<HashMap<Uuid, ShowcaseProduct>, DbErr> {
    if product_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = platform::db::uuid_array(product_ids);
    let products = ShowcaseProduct::find_by_statement(pg(
        format!(
            "SELECT p.id, p.title, p.images->>0 AS image, p.vendor_id, v.trade_name AS vendor_name, \
                    c.id || c.ancestors AS category_path, p.tags, p.taxable, \
                    {VALID_CERT} AS certified \
             FROM catalog.products p {LISTED_JOINS} \
             WHERE {VISIBLE} AND p.id = ANY((SELECT $1)::uuid[])"
        ),
        [ids.clone()],
    ))
    .all(db)
    .await?;
    if products.is_empty() {
        return Ok(HashMap::new());
    }
    let mut variants: HashMap<Uuid, Vec<VariantFacts>> = HashMap::new();
    for v in VariantRow::find_by_statement(pg(
        "SELECT x.id, x.product_id, x.price, x.on_hand > x.reserved AS in_stock \
         FROM catalog.variants x WHERE x.product_id = ANY((SELECT $1)::uuid[]) \
         ORDER BY x.position, x.id",
        [ids],
    ))
    .all(db)
    .await?
    {
        variants
            .entry(v.product_id)
            .or_default()
            .push(VariantFacts {
                id: v.id,
                price: v.price,
                in_stock: v.in_stock,
            });
    }
    Ok(products
        .into_iter()
        .map(|mut p| {
            p.variants = variants.remove(&p.id).unwrap_or_default();
            (p.id, p)
        })
        .collect())
}

/// What a vendor's orders are bound by: its shipping policy and the seller identity Korean
/// e-commerce law requires the shop to show.
#[derive(Debug, Clone)]
pub struct VendorTerms {
    pub shipping: ShippingPolicy,
    pub seller: SellerIdentity,
}

/// A vendor's terms, whatever its status (`None`: no such vendor).
pub async fn vendor_terms(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
) -> Result<Option<VendorTerms>, DbErr> {
    Ok(vendor::Entity::find_by_id(vendor_id)
        .one(db)
        .await?
        .map(|v| VendorTerms {
            shipping: crate::storefront::shipping_policy(&v),
            seller: crate::storefront::seller_identity(&v),
        }))
}

/// The party a vendor is on a tax invoice: its trade name and 사업자등록번호 (ten digits,
/// as stored), whatever its status (`None`: no such vendor).
#[derive(Debug, Clone, FromQueryResult)]
pub struct VendorParty {
    pub trade_name: String,
    pub business_number: String,
}

/// See [`VendorParty`].
pub async fn vendor_party(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
) -> Result<Option<VendorParty>, DbErr> {
    vendor::Entity::find_by_id(vendor_id)
        .select_only()
        .column(vendor::Column::TradeName)
        .column(vendor::Column::BusinessNumber)
        .into_model()
        .one(db)
        .await
}

/// Whether the product `product_id` belongs to `vendor_id`, whatever its status.
pub async fn vendor_owns_product(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    product_id: Uuid,
) -> Result<bool, DbErr> {
    Ok(
        platform::db::find_owned::<product::Entity>(db, vendor_id, product_id)
            .await?
            .is_some(),
    )
}

/// A variant's product and list price, whatever their status: what a price or a time
/// deal on it is checked against.
#[derive(Debug, Clone, Copy, FromQueryResult)]
pub struct VariantRef {
    pub product_id: Uuid,
    pub price: i64,
}

/// See [`VariantRef`] (`None`: no such variant).
pub async fn variant_ref(
    db: &impl ConnectionTrait,
    variant_id: Uuid,
) -> Result<Option<VariantRef>, DbErr> {
    variant::Entity::find_by_id(variant_id)
        .select_only()
        .column(variant::Column::ProductId)
        .column(variant::Column::Price)
        .into_model()
        .one(db)
        .await
}

/// Every variant with at least `units` not held by a reservation, whatever its product's
/// status, in id order: what demo orders are drawn from.
pub async fn variants_with_units(
    db: &impl ConnectionTrait,
    units: i32,
) -> Result<Vec<variant::Model>, DbErr> {
    variant::Entity::find()
        .filter(
            Expr::col(variant::Column::OnHand)
                .sub(Expr::col(variant::Column::Reserved))
                .gte(units),
        )
        .order_by_asc(variant::Column::Id)
        .all(db)
        .await
}

/// The id and name of the category with `slug`.
pub async fn category_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<(Uuid, String)>, DbErr> {
    category::Entity::find()
        .select_only()
        .column(category::Column::Id)
        .column(category::Column::Name)
        .filter(category::Column::Slug.eq(slug))
        .into_tuple()
        .one(db)
        .await
}

/// The id of every category.
pub async fn category_ids(db: &impl ConnectionTrait) -> Result<Vec<Uuid>, DbErr> {
    category::Entity::find()
        .select_only()
        .column(category::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// The trade names of the vendors in `ids` (whatever their status), for reports.
pub async fn vendor_names(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, DbErr> {
    names::<vendor::Entity>(db, vendor::Column::Id, vendor::Column::TradeName, ids).await
}

/// The titles of the products in `ids` (whatever their status), for reports.
pub async fn product_titles(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, DbErr> {
    names::<product::Entity>(db, product::Column::Id, product::Column::Title, ids).await
}

/// The names of the categories in `ids`, for reports.
pub async fn category_names(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, DbErr> {
    names::<category::Entity>(db, category::Column::Id, category::Column::Name, ids).await
}

/// The `name` column of the rows of `E` whose `id` is in `ids`, by id.
async fn names<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: E::Column,
    name: E::Column,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, DbErr> {
    let rows: Vec<(Uuid, String)> = E::find()
        .select_only()
        .column(id)
        .column(name)
        .filter(id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// A variant found by its SKU, with what a sale of it is attributed to today: how an
/// open-market sales export is matched to the catalog.
#[derive(Debug, Clone, FromQueryResult)]
pub struct SkuFacts {
    pub sku: String,
    pub variant_id: Uuid,
    pub product_id: Uuid,
    pub vendor_id: Uuid,
    pub title: String,
    pub category_id: Uuid,
    pub top_category_id: Uuid,
    pub certified: bool,
    pub postal_code: String,
    pub address: String,
}

/// The variants whose SKU is one of `skus` (a SKU is unique per vendor, so one SKU may
/// name variants of two vendors: the caller decides what that means).
pub async fn variants_by_sku(
    db: &impl ConnectionTrait,
    skus: &[String],
) -> Result<Vec<SkuFacts>, DbErr> {
    if skus.is_empty() {
        return Ok(Vec::new());
    }
    SkuFacts::find_by_statement(pg(
        format!(
            "SELECT x.sku, x.id AS variant_id, p.id AS product_id, p.vendor_id, p.title, p.category_id, \
                 COALESCE(c.ancestors[1], c.id) AS top_category_id, {VALID_CERT} AS certified, \
                 v.postal_code, v.address \
             FROM catalog.variants x JOIN catalog.products p ON p.id = x.product_id \
             JOIN catalog.vendors v ON v.id = p.vendor_id JOIN catalog.categories c ON c.id = p.category_id \
             WHERE x.sku = ANY($1)"
        ),
        [Value::from(skus.to_vec())],
    ))
    .all(db)
    .await
}

/// Of the (vendor, day) pairs asked, those on which the vendor held a verified
/// certification valid that day ([`VALID_CERT`] on a past day): how a sale reported after
/// the fact is placed as certified or not as things stood on its own day.
pub async fn certified_on(
    db: &impl ConnectionTrait,
    asked: &[(Uuid, chrono::NaiveDate)],
) -> Result<std::collections::HashSet<(Uuid, chrono::NaiveDate)>, DbErr> {
    if asked.is_empty() {
        return Ok(Default::default());
    }
    use sea_orm::sea_query::ArrayType as T;
    let vendors: Vec<Value> = asked.iter().map(|(v, _)| (*v).into()).collect();
    let days: Vec<Value> = asked.iter().map(|(_, d)| (*d).into()).collect();
    let rows = db
        .query_all_raw(pg(
            "SELECT DISTINCT q.vendor_id, q.day FROM unnest($1::uuid[], $2::date[]) AS q (vendor_id, day) \
             WHERE EXISTS (SELECT 1 FROM catalog.certifications c WHERE c.vendor_id = q.vendor_id \
                 AND c.verified_at IS NOT NULL AND q.day BETWEEN c.issued_on AND c.expires_on)",
            [
                Value::Array(T::Uuid, Some(Box::new(vendors))),
                Value::Array(T::ChronoDate, Some(Box::new(days))),
            ],
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "vendor_id")?, r.try_get("", "day")?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_rules_name_the_statuses_the_rust_rules_use() {
        assert_eq!(
            PRODUCT_LISTED,
            format!(
                "p.status = '{}'",
                crate::products::ProductStatus::Active.as_str()
            )
        );
        assert_eq!(
            VISIBLE,
            format!(
                "{PRODUCT_LISTED} AND v.status = '{}'",
                crate::vendors::VendorStatus::Approved.as_str()
            )
        );
    }

    #[test]
    fn a_match_judges_facts_as_its_sql_does() {
        let (cat, parent, vendor) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let facts = ProductFacts {
            id: Uuid::now_v7(),
            vendor_id: vendor,
            categories: vec![cat, parent],
            tags: vec!["김치".into()],
            certified: false,
        };
        assert!(ProductMatch::Category(parent).matches(&facts));
        assert!(!ProductMatch::Category(Uuid::now_v7()).matches(&facts));
        assert!(ProductMatch::Vendor(vendor).matches(&facts));
        assert!(ProductMatch::Tag("김치".into()).matches(&facts));
        assert!(!ProductMatch::Tag("쌀".into()).matches(&facts));
        assert!(!ProductMatch::Certified.matches(&facts));
    }
}
