//! What an admin does to vendors, whole: the list an admin reviews, and decisions on an
//! application, each in one transaction with the storefront cache entries it made stale
//! dropped after commit. The JSON API (`http::admin`) and the browser console both call
//! these, so a decision made from either is the same decision.

use crate::cache;
use crate::categories::{self, CategoryChange, NewCategory};
use crate::certifications;
use crate::error::{CatalogError, CatalogResult};
use crate::store::{category, certification, penalty, vendor};
use crate::vendor_actions::product_ids_of;
use crate::vendors;
use platform::AppState;
use platform::pagination::newest_first;
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, TransactionTrait,
};
use uuid::Uuid;

/// Vendors newest first, optionally of one status, `limit` of them after the vendor
/// `after` (a cursor page fetches `limit + 1` to learn whether there is more).
pub async fn vendors_page(
    state: &AppState,
    status: Option<String>,
    after: Option<Uuid>,
    limit: u64,
) -> CatalogResult<Vec<vendor::Model>> {
    let q = vendor::Entity::find().apply_if(status, |q, s| q.filter(vendor::Column::Status.eq(s)));
    Ok(newest_first(&state.db, q, vendor::Column::Id, after, limit).await?)
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

/// Suspend an approved vendor with the reason it is shown: its products leave the
/// storefront at once (their cached pages are dropped after commit).
pub async fn suspend(state: &AppState, id: Uuid, raw_reason: &str) -> CatalogResult<vendor::Model> {
    let reason = reason(raw_reason)?;
    let txn = state.db.begin().await?;
    let v = vendors::suspend(&txn, id, reason).await?;
    txn.commit().await?;
    after_status_change(state, &v).await?;
    Ok(v)
}

/// Reinstate a suspended vendor: its products come back.
pub async fn reinstate(state: &AppState, id: Uuid) -> CatalogResult<vendor::Model> {
    let txn = state.db.begin().await?;
    let v = vendors::reinstate(&txn, id).await?;
    txn.commit().await?;
    after_status_change(state, &v).await?;
    Ok(v)
}

/// A vendor's penalty record, oldest first.
pub async fn penalties(state: &AppState, id: Uuid) -> CatalogResult<Vec<penalty::Model>> {
    Ok(penalty::Entity::find()
        .filter(penalty::Column::VendorId.eq(id))
        .order_by_asc(penalty::Column::Id)
        .all(&state.db)
        .await?)
}

/// Record 1 to 3 strikes with a reason; at the limit the vendor is suspended in the same
/// transaction and its products leave the storefront.
pub async fn add_penalty(
    state: &AppState,
    id: Uuid,
    raw_reason: &str,
    strikes: i32,
    by: Uuid,
) -> CatalogResult<vendor::Model> {
    let why = reason(raw_reason);
    let strikes_ok = (1..=3).contains(&strikes);
    match (why, strikes_ok) {
        (Ok(why), true) => {
            let txn = state.db.begin().await?;
            let (_, v) = vendors::add_penalty(&txn, id, why, strikes, by).await?;
            txn.commit().await?;
            after_status_change(state, &v).await?;
            Ok(v)
        }
        (why, ok) => {
            // Both mistakes at once, each beside its field.
            let mut errors = Vec::new();
            if let Err(CatalogError::Invalid(e)) = why {
                errors.extend(e);
            }
            if !ok {
                errors.push(platform::error::FieldError::new(
                    "strikes",
                    "out_of_range",
                    "must be 1 to 3",
                ));
            }
            Err(CatalogError::Invalid(errors))
        }
    }
}

/// Certifications waiting for an admin (neither verified nor rejected), oldest first so the longest
/// waiting is checked first; `limit` of them after `after`.
pub async fn pending_certifications(
    state: &AppState,
    after: Option<Uuid>,
    limit: u64,
) -> CatalogResult<Vec<certification::Model>> {
    let mut q = certification::Entity::find()
        .filter(certification::Column::VerifiedAt.is_null())
        .filter(certification::Column::RejectedAt.is_null())
        .order_by_asc(certification::Column::Id);
    if let Some(after) = after {
        q = q.filter(certification::Column::Id.gt(after));
    }
    Ok(q.limit(limit).all(&state.db).await?)
}

/// Verify a certification: its badge shows while it is within its dates.
pub async fn verify_certification(
    state: &AppState,
    id: Uuid,
    admin: Uuid,
) -> CatalogResult<certification::Model> {
    let txn = state.db.begin().await?;
    let c = certifications::verify(&txn, id, admin).await?;
    txn.commit().await?;
    let ids = product_ids_of(state, c.vendor_id).await?;
    cache::invalidate_vendor(&state.redis, c.vendor_id, &ids).await;
    Ok(c)
}

/// Reject a certification with the reason the vendor is shown (1 to 500 characters); one
/// already verified or rejected is a conflict. Nothing the storefront shows changes.
pub async fn reject_certification(
    state: &AppState,
    id: Uuid,
    admin: Uuid,
    raw_reason: &str,
) -> CatalogResult<certification::Model> {
    let reason = reason(raw_reason)?;
    let txn = state.db.begin().await?;
    let c = certifications::reject(&txn, id, admin, reason).await?;
    txn.commit().await?;
    Ok(c)
}

/// Every category with its notice fields, in display order (the console draws the tree).
pub async fn all_categories(state: &AppState) -> CatalogResult<Vec<category::Model>> {
    Ok(category::Entity::find()
        .order_by_asc(category::Column::Position)
        .order_by_asc(category::Column::Name)
        .all(&state.db)
        .await?)
}

/// Add a category (optionally under a parent) with its 상품정보제공고시 fields.
pub async fn create_category(state: &AppState, c: NewCategory) -> CatalogResult<category::Model> {
    let txn = state.db.begin().await?;
    let m = categories::create(&txn, c).await?;
    txn.commit().await?;
    cache::invalidate_categories(&state.redis).await;
    Ok(m)
}

/// Edit or move a category, with its subtree's paths rewritten in the same transaction;
/// storefront category pages are dropped after commit.
pub async fn update_category(
    state: &AppState,
    id: Uuid,
    c: CategoryChange,
) -> CatalogResult<category::Model> {
    let txn = state.db.begin().await?;
    let m = categories::update(&txn, id, c).await?;
    txn.commit().await?;
    cache::invalidate_categories(&state.redis).await;
    Ok(m)
}
