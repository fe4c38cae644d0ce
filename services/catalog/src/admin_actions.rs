//! What an admin does to vendors, whole: the list an admin reviews, and decisions on an
//! application, each in one transaction with the storefront cache entries it made stale
//! dropped after commit. The JSON API (`http::admin`) and the browser console both call
//! these, so a decision made from either is the same decision.

use crate::cache;
use crate::error::{CatalogError, CatalogResult};
use crate::store::vendor;
use crate::vendor_actions::product_ids_of;
use crate::vendors;
use platform::AppState;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use uuid::Uuid;

/// Vendors newest first, optionally of one status, `limit` of them after the vendor
/// `after` (a cursor page fetches `limit + 1` to learn whether there is more).
pub async fn vendors_page(
    state: &AppState,
    status: Option<String>,
    after: Option<Uuid>,
    limit: u64,
) -> CatalogResult<Vec<vendor::Model>> {
    let mut q = vendor::Entity::find().order_by_desc(vendor::Column::Id);
    if let Some(s) = status {
        q = q.filter(vendor::Column::Status.eq(s));
    }
    if let Some(after) = after {
        q = q.filter(vendor::Column::Id.lt(after));
    }
    Ok(q.limit(limit).all(&state.db).await?)
}

/// One vendor, whatever its status.
pub async fn vendor(state: &AppState, id: Uuid) -> CatalogResult<vendor::Model> {
    vendor::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(CatalogError::NotFound("vendor"))
}

async fn after_status_change(state: &AppState, v: &vendor::Model) -> CatalogResult<()> {
    let ids = product_ids_of(state, v.id).await?;
    cache::invalidate_vendor(&state.redis, v.id, &ids).await;
    Ok(())
}

/// Approve an application; the applicant's account becomes this vendor's account.
pub async fn approve(state: &AppState, id: Uuid) -> CatalogResult<vendor::Model> {
    let txn = state.db.begin().await?;
    let v = vendors::approve(&txn, id).await?;
    txn.commit().await?;
    after_status_change(state, &v).await?;
    Ok(v)
}

/// A reason an applicant or vendor is shown: 1 to 500 characters, trimmed.
pub fn reason(raw: &str) -> CatalogResult<String> {
    let s = raw.trim();
    if s.is_empty() || s.chars().count() > 500 {
        return Err(CatalogError::field(
            "reason",
            "invalid_length",
            "give a reason of 1 to 500 characters",
        ));
    }
    Ok(s.to_owned())
}

/// Reject an application, with the reason the applicant will see.
pub async fn reject(state: &AppState, id: Uuid, raw_reason: &str) -> CatalogResult<vendor::Model> {
    let reason = reason(raw_reason)?;
    let txn = state.db.begin().await?;
    let v = vendors::reject(&txn, id, reason).await?;
    txn.commit().await?;
    Ok(v)
}
