//! What the orders service needs to know about variants it sells: the catalog's price
//! (never the client's), whether it can be sold now, and what the pricing engine needs.

use crate::error::CatalogResult;
/// Moved to [`crate::listing`]; named here too for callers written before the move.
pub use crate::listing::{ProductFacts, active_product_facts};
use crate::listing::{VALID_CERT, VISIBLE};
use platform::db::pg;
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

#[derive(Debug, Clone, FromQueryResult)]
pub struct Purchasable {
    pub variant_id: Uuid,
    pub product_id: Uuid,
    pub vendor_id: Uuid,
    pub title: String,
    pub variant_name: String,
    pub sku: String,
    pub price: i64,
    pub available: i32,
    pub taxable: bool,
    pub withdrawal_restricted: bool,
    pub max_per_order: Option<i32>,
    /// The category and its ancestors.
    pub category_path: Vec<Uuid>,
    pub tags: Vec<String>,
    pub certified: bool,
    /// Active product of an approved vendor.
    pub sellable: bool,
    pub shipping_base_fee: i64,
    pub shipping_free_threshold: Option<i64>,
    /// Where the vendor sits, for the district a sale is attributed to (read here, with
    /// the rest, so that checkout does not ask for it again).
    pub vendor_postal_code: String,
    pub vendor_address: String,
}

impl Purchasable {
    /// The vendor's district on `day`, and under the newest boundaries.
    pub fn vendor_district(&self, day: chrono::NaiveDate) -> crate::districts::VendorDistrict {
        crate::districts::VendorDistrict::of(&self.vendor_postal_code, &self.vendor_address, day)
    }
}

/// The variants asked for that exist (sellable or not), in no particular order.
///
/// The ids are a sub-select, not a bare `ANY($1)`: with the array in plain sight every
/// custom plan knew it held two ids and looked cheaper than the generic plan, so Postgres
/// planned this four-table join again on every call (0.5 ms of planning for 0.08 ms of
/// execution, the largest single cost of a cart read). Hidden behind the sub-select, both
/// plans cost the same and the prepared statement keeps its generic one.
pub async fn load(
    db: &impl ConnectionTrait,
    variant_ids: &[Uuid],
) -> CatalogResult<Vec<Purchasable>> {
    load_where(db, "x.id", variant_ids).await
}

/// Every variant of the products asked for (sellable or not), in no particular order: one
/// statement where reading the variant ids first took two.
pub async fn load_products(
    db: &impl ConnectionTrait,
    product_ids: &[Uuid],
) -> CatalogResult<Vec<Purchasable>> {
    load_where(db, "x.product_id", product_ids).await
}

/// The variants whose `column` (of `x`, the variants) is one of `ids`.
async fn load_where(
    db: &impl ConnectionTrait,
    column: &'static str,
    ids: &[Uuid],
) -> CatalogResult<Vec<Purchasable>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = platform::db::uuid_array(ids);
    Ok(Purchasable::find_by_statement(pg(
        format!(
            "SELECT {} FROM catalog.variants x {JOINS} WHERE {column} = ANY((SELECT $1)::uuid[])",
            columns("x.on_hand - x.reserved")
        ),
        [ids],
    ))
    .all(db)
    .await?)
}

/// A `SELECT` of the [`Purchasable`] columns of the variants whose ids the SQL expression
/// `ids` (a `uuid[]` over the caller's own rows) gives, for a caller's statement that
/// reads the facts with what it writes: a cart's line write is then one round trip, and
/// the catalog's tables are still named here only.
pub fn select_of(ids: &str) -> String {
    format!(
        "SELECT {} FROM catalog.variants x {JOINS} WHERE x.id = ANY({ids})",
        columns("x.on_hand - x.reserved")
    )
}

/// The columns of a [`Purchasable`] over the variant `x` and [`JOINS`], with `available`
/// as the caller reads it.
pub(crate) fn columns(available: &str) -> String {
    format!(
        "x.id AS variant_id, p.id AS product_id, p.vendor_id, p.title, x.name AS variant_name, x.sku, \
            x.price, {available} AS available, p.taxable, p.withdrawal_restricted, p.max_per_order, \
            c.ancestors || c.id AS category_path, p.tags, {VALID_CERT} AS certified, \
            ({VISIBLE}) AS sellable, \
            v.shipping_base_fee, v.shipping_free_threshold, \
            v.postal_code AS vendor_postal_code, v.address AS vendor_address"
    )
}

/// The product, vendor and category of the variant `x`, as [`columns`] names them.
pub(crate) const JOINS: &str = "JOIN catalog.products p ON p.id = x.product_id \
     JOIN catalog.vendors v ON v.id = p.vendor_id \
     JOIN catalog.categories c ON c.id = p.category_id";

#[derive(Debug, Clone, FromQueryResult)]
pub struct RemoteAreaRow {
    pub region: String,
    pub from_code: i32,
    pub to_code: i32,
    pub surcharge: i64,
}

/// The remote-area surcharge table, kept as data.
pub async fn remote_areas(db: &impl ConnectionTrait) -> CatalogResult<Vec<RemoteAreaRow>> {
    Ok(RemoteAreaRow::find_by_statement(pg(
        "SELECT region, from_code, to_code, surcharge FROM catalog.remote_areas ORDER BY from_code",
        [],
    ))
    .all(db)
    .await?)
}

#[derive(Debug, Clone, FromQueryResult)]
pub struct RemoteAreaExemptionRow {
    pub postal_code: String,
    pub road_name: Option<String>,
    pub building_no: Option<String>,
}

/// Addresses inside a remote range that must not be charged: bridge-connected islands
/// sharing a postal code with real islands, by road name or building number.
pub async fn remote_area_exemptions(
    db: &impl ConnectionTrait,
) -> CatalogResult<Vec<RemoteAreaExemptionRow>> {
    Ok(
        RemoteAreaExemptionRow::find_by_statement(pg(
            "SELECT postal_code, road_name, building_no FROM catalog.remote_area_exemptions ORDER BY id",
            [],
        ))
        .all(db)
        .await?,
    )
}
