//! What a vendor does to its catalog, whole: each action runs its domain function in one
//! transaction, commits, and drops the storefront cache entries it made stale. The JSON
//! API (`http::vendor_console`) and the browser console both call these, so a change made
//! from either is the same change.

use crate::cache;
use crate::error::{CatalogError, CatalogResult};
use crate::products::{self, NewProduct, NewVariant, ProductUpdate, VariantUpdate};
use crate::stock;
use crate::store::{product, variant};
use crate::vendors::{self, ProfileUpdate};
use platform::AppState;
use platform::pagination::newest_first;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, TransactionTrait,
};
use uuid::Uuid;

/// One of the vendor's products, or `NotFound` (another vendor's product included).
pub async fn owned_product(
    state: &AppState,
    vendor_id: Uuid,
    id: Uuid,
) -> CatalogResult<product::Model> {
    products::owned(&state.db, vendor_id, id).await
}

/// The vendor's products, newest first, optionally of one status, `limit` of them after
/// the product `after` (a cursor page fetches `limit + 1` to learn whether there is more).
pub async fn products_page(
    state: &AppState,
    vendor_id: Uuid,
    status: Option<String>,
    after: Option<Uuid>,
    limit: u64,
) -> CatalogResult<Vec<product::Model>> {
    let q = product::Entity::find()
        .filter(product::Column::VendorId.eq(vendor_id))
        .apply_if(status, |q, s| q.filter(product::Column::Status.eq(s)));
    Ok(newest_first(&state.db, q, product::Column::Id, after, limit).await?)
}

/// Every product id of the vendor (to drop their cache entries when the vendor changes).
pub async fn product_ids_of(state: &AppState, vendor_id: Uuid) -> CatalogResult<Vec<Uuid>> {
    Ok(product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .filter(product::Column::VendorId.eq(vendor_id))
        .into_tuple()
        .all(&state.db)
        .await?)
}

pub async fn create_product(
    state: &AppState,
    vendor_id: Uuid,
    p: NewProduct,
) -> CatalogResult<product::Model> {
    let txn = state.db.begin().await?;
    let created = products::create(&txn, vendor_id, p).await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update_product(
    state: &AppState,
    vendor_id: Uuid,
    id: Uuid,
    up: ProductUpdate,
) -> CatalogResult<product::Model> {
    let txn = state.db.begin().await?;
    let p = products::update(&txn, vendor_id, id, up).await?;
    txn.commit().await?;
    cache::invalidate_products(&state.redis, &[id]).await;
    Ok(p)
}

pub async fn publish(state: &AppState, vendor_id: Uuid, id: Uuid) -> CatalogResult<product::Model> {
    let txn = state.db.begin().await?;
    let p = products::publish(&txn, vendor_id, id).await?;
    txn.commit().await?;
    cache::invalidate_products(&state.redis, &[id]).await;
    Ok(p)
}

pub async fn archive(state: &AppState, vendor_id: Uuid, id: Uuid) -> CatalogResult<product::Model> {
    let txn = state.db.begin().await?;
    let p = products::archive(&txn, vendor_id, id).await?;
    txn.commit().await?;
    cache::invalidate_products(&state.redis, &[id]).await;
    Ok(p)
}

pub async fn add_variant(
    state: &AppState,
    vendor_id: Uuid,
    product_id: Uuid,
    nv: NewVariant,
) -> CatalogResult<variant::Model> {
    let txn = state.db.begin().await?;
    let var = products::add_variant(&txn, vendor_id, product_id, nv).await?;
    txn.commit().await?;
    cache::invalidate_products(&state.redis, &[product_id]).await;
    Ok(var)
}

pub async fn update_variant(
    state: &AppState,
    vendor_id: Uuid,
    id: Uuid,
    up: VariantUpdate,
) -> CatalogResult<variant::Model> {
    let txn = state.db.begin().await?;
    let var = products::update_variant(&txn, vendor_id, id, up).await?;
    txn.commit().await?;
    cache::invalidate_products(&state.redis, &[var.product_id]).await;
    Ok(var)
}

/// Set a variant's stock, guarded by the value the vendor last saw (`StockMismatch` when
/// it changed meanwhile).
pub async fn set_stock(
    state: &AppState,
    vendor_id: Uuid,
    variant_id: Uuid,
    expected_on_hand: i32,
    on_hand: i32,
) -> CatalogResult<variant::Model> {
    let txn = state.db.begin().await?;
    let var = stock::set_on_hand(&txn, vendor_id, variant_id, expected_on_hand, on_hand).await?;
    txn.commit().await?;
    cache::invalidate_products(&state.redis, &[var.product_id]).await;
    Ok(var)
}

/// Add or remove units. Stock is at most 1,000,000, so no adjustment is larger; refusing
/// here also keeps `on_hand + delta` from overflowing in Postgres.
pub async fn adjust_stock(
    state: &AppState,
    vendor_id: Uuid,
    variant_id: Uuid,
    delta: i32,
) -> CatalogResult<variant::Model> {
    if !(-1_000_000..=1_000_000).contains(&delta) {
        return Err(CatalogError::field(
            "delta",
            "out_of_range",
            "must be -1,000,000 to 1,000,000",
        ));
    }
    let txn = state.db.begin().await?;
    let var = stock::adjust(&txn, vendor_id, variant_id, delta).await?;
    txn.commit().await?;
    cache::invalidate_products(&state.redis, &[var.product_id]).await;
    Ok(var)
}

/// The vendor's variants with at most `threshold` units available, fewest first.
pub async fn low_stock(
    state: &AppState,
    vendor_id: Uuid,
    threshold: i32,
    limit: u64,
) -> CatalogResult<Vec<(variant::Model, String)>> {
    let variants = variant::Entity::find()
        .filter(variant::Column::VendorId.eq(vendor_id))
        .filter(
            Expr::col(variant::Column::OnHand)
                .sub(Expr::col(variant::Column::Reserved))
                .lte(threshold),
        )
        .order_by_asc(variant::Column::OnHand)
        .limit(limit * 2)
        .all(&state.db)
        .await?;
    let ids: Vec<Uuid> = variants.iter().map(|v| v.product_id).collect();
    let products = product::Entity::find()
        .filter(product::Column::Id.is_in(ids))
        .filter(product::Column::Status.ne(products::ProductStatus::Archived.as_str()))
        .all(&state.db)
        .await?;
    Ok(variants
        .into_iter()
        .filter_map(|v| {
            let title = products
                .iter()
                .find(|p| p.id == v.product_id)?
                .title
                .clone();
            Some((v, title))
        })
        .take(limit as usize)
        .collect())
}

pub async fn update_profile(
    state: &AppState,
    vendor_id: Uuid,
    up: ProfileUpdate,
) -> CatalogResult<crate::store::vendor::Model> {
    let txn = state.db.begin().await?;
    let updated = vendors::update_profile(&txn, vendor_id, up).await?;
    txn.commit().await?;
    let ids = product_ids_of(state, vendor_id).await?;
    cache::invalidate_vendor(&state.redis, vendor_id, &ids).await;
    Ok(updated)
}

/// The vendor itself.
pub async fn own_vendor(
    state: &AppState,
    vendor_id: Uuid,
) -> CatalogResult<crate::store::vendor::Model> {
    crate::store::vendor::Entity::find_by_id(vendor_id)
        .one(&state.db)
        .await?
        .ok_or(CatalogError::NotFound("vendor"))
}
