//! Certifications (e.g. 인천 품질우수제품): submitted by the vendor, verified by an admin,
//! shown as a badge only while valid.

use crate::error::{CatalogError, CatalogResult};
use crate::store::certification;
use crate::topics::{self, OUTBOX};
use chrono::{NaiveDate, Utc};
use platform::error::FieldError;
use platform::ids::new_id;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCertification {
    /// e.g. 인천 품질우수제품, HACCP
    pub kind: String,
    /// e.g. 생활소비재, 공산품
    #[serde(default)]
    pub class: String,
    pub number: String,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
}

pub async fn submit(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    c: NewCertification,
) -> CatalogResult<certification::Model> {
    let mut errors = Vec::new();
    if c.kind.trim().is_empty() {
        errors.push(FieldError::new("kind", "required", "is required"));
    }
    if c.number.trim().is_empty() {
        errors.push(FieldError::new("number", "required", "is required"));
    }
    if c.expires_on < c.issued_on {
        errors.push(FieldError::new(
            "expires_on",
            "before_issue",
            "must not be before issued_on",
        ));
    }
    if !errors.is_empty() {
        return Err(CatalogError::Invalid(errors));
    }
    let m = certification::ActiveModel {
        id: Set(new_id()),
        vendor_id: Set(vendor_id),
        kind: Set(c.kind.trim().to_owned()),
        class: Set(c.class.trim().to_owned()),
        number: Set(c.number.trim().to_owned()),
        issued_on: Set(c.issued_on),
        expires_on: Set(c.expires_on),
        verified_at: Set(None),
        verified_by: Set(None),
        created_at: Set(Utc::now()),
        rejected_at: Set(None),
        rejected_by: Set(None),
        rejection_reason: Set(None),
    }
    .insert(db)
    .await?;
    Ok(m)
}

/// The certification, locked for a decision; one already decided is a conflict.
async fn undecided(
    db: &impl ConnectionTrait,
    id: Uuid,
    action: &'static str,
) -> CatalogResult<certification::Model> {
    // FOR UPDATE: a verify and a reject racing on one certification are serialised, and
    // the second finds it decided.
    let c = certification::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(CatalogError::NotFound("certification"))?;
    if c.is_decided() {
        let state = if c.verified_at.is_some() {
            "verified"
        } else {
            "rejected"
        };
        return Err(CatalogError::IllegalTransition {
            action,
            state: state.into(),
        });
    }
    Ok(c)
}

pub async fn verify(
    db: &impl ConnectionTrait,
    id: Uuid,
    admin: Uuid,
) -> CatalogResult<certification::Model> {
    let c = undecided(db, id, "verify").await?;
    let mut am: certification::ActiveModel = c.into();
    am.verified_at = Set(Some(Utc::now()));
    am.verified_by = Set(Some(admin));
    let c = am.update(db).await?;
    OUTBOX
        .emit(
            db,
            topics::CERTIFICATION_CHANGED,
            c.vendor_id,
            serde_json::json!({ "vendor_id": c.vendor_id, "certification_id": c.id }),
        )
        .await?;
    Ok(c)
}

/// Reject a certification with the reason the vendor sees. It never becomes verified, so
/// it shows no badge and counts as certified nowhere; no event, since nothing the
/// storefront shows changes.
pub async fn reject(
    db: &impl ConnectionTrait,
    id: Uuid,
    admin: Uuid,
    reason: String,
) -> CatalogResult<certification::Model> {
    let c = undecided(db, id, "reject").await?;
    let mut am: certification::ActiveModel = c.into();
    am.rejected_at = Set(Some(Utc::now()));
    am.rejected_by = Set(Some(admin));
    am.rejection_reason = Set(Some(reason));
    Ok(am.update(db).await?)
}

pub async fn of_vendor(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
) -> CatalogResult<Vec<certification::Model>> {
    Ok(certification::Entity::find()
        .filter(certification::Column::VendorId.eq(vendor_id))
        .order_by_asc(certification::Column::IssuedOn)
        .all(db)
        .await?)
}

/// The badges a vendor shows today.
pub fn badges(certs: &[certification::Model]) -> Vec<Badge> {
    let today = Utc::now().date_naive();
    certs
        .iter()
        .filter(|c| c.is_valid_on(today))
        .map(|c| Badge {
            kind: c.kind.clone(),
            class: c.class.clone(),
            number: c.number.clone(),
            expires_on: c.expires_on,
        })
        .collect()
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Badge {
    pub kind: String,
    pub class: String,
    pub number: String,
    pub expires_on: NaiveDate,
}
