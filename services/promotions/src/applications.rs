//! Vendors apply to campaigns with their own products and a proposed discount; marketers
//! approve (the discount becomes a campaign price) or reject. A vendor only ever sees and
//! touches its own applications: every vendor query goes through `platform::db::find_owned`.

use crate::audit::{self, Actor};
use crate::campaigns::{self, CampaignStatus};
use crate::error::{PromotionsError, PromotionsResult, map_unique};
use crate::prices::{self, NewCampaignPrice, PriceKind};
use crate::states::{ApplicationStatus, check_move};
use crate::store::application;
use chrono::Utc;
use platform::db::find_owned;
use platform::ids::new_id;
use platform::pagination::newest_first;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    /// One of the vendor's own products.
    pub product_id: Uuid,
    pub discount_kind: PriceKind,
    /// `percent`: 1 to 100; `amount_off`, `fixed_price`: won.
    #[serde(deserialize_with = "platform::bounds::within::<_, _, 1, 100_000_000>")]
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub discount_value: i64,
    #[serde(default)]
    pub note: String,
}

/// A vendor applies to a published campaign that has not ended. Another vendor's product
/// (or a draft campaign) is not found.
#[tracing::instrument(skip_all, fields(vendor_id = %vendor_id, campaign_id = %campaign_id))]
pub async fn apply(
    db: &impl ConnectionTrait,
    actor: Actor,
    vendor_id: Uuid,
    campaign_id: Uuid,
    new: NewApplication,
) -> PromotionsResult<application::Model> {
    let c = campaigns::get(db, campaign_id).await?;
    if c.status == CampaignStatus::Draft {
        return Err(PromotionsError::NotFound("campaign"));
    }
    if c.status == CampaignStatus::Ended || c.ends_at <= Utc::now() {
        return Err(PromotionsError::IllegalTransition {
            action: "apply",
            state: "the campaign has ended".into(),
        });
    }
    if !catalog::listing::vendor_owns_product(db, vendor_id, new.product_id).await? {
        return Err(PromotionsError::NotFound("product"));
    }
    if let Err(e) = new
        .discount_kind
        .check("discount_value", new.discount_value)
    {
        return Err(PromotionsError::Invalid(vec![e]));
    }
    if new.note.chars().count() > 1000 {
        return Err(PromotionsError::field(
            "note",
            "too_long",
            "at most 1000 characters",
        ));
    }
    let now = Utc::now();
    let a = application::ActiveModel {
        id: Set(new_id()),
        campaign_id: Set(campaign_id),
        vendor_id: Set(vendor_id),
        product_id: Set(new.product_id),
        discount_kind: Set(new.discount_kind.as_str().to_owned()),
        discount_value: Set(new.discount_value),
        note: Set(new.note.trim().to_owned()),
        status: Set(ApplicationStatus::Pending.into()),
        decision_reason: Set(None),
        decided_by: Set(None),
        decided_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|e| {
        map_unique(e, "campaign_applications_open", || {
            PromotionsError::Conflict("this product already has an open application".into())
        })
    })?;
    audit::log(db, actor, "application.create", None, Some(&a)).await?;
    Ok(a)
}

/// The vendor's own applications, newest first.
pub async fn list_own(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> PromotionsResult<Vec<application::Model>> {
    let q = application::Entity::find().filter(application::Column::VendorId.eq(vendor_id));
    Ok(newest_first(db, q, application::Column::Id, after, limit).await?)
}

/// Withdraw a pending application of the vendor's own.
pub async fn withdraw(
    db: &impl ConnectionTrait,
    actor: Actor,
    vendor_id: Uuid,
    id: Uuid,
) -> PromotionsResult<application::Model> {
    let before = find_owned::<application::Entity>(db, vendor_id, id)
        .await?
        .ok_or(PromotionsError::NotFound("application"))?;
    check_move(
        "application",
        &before.status,
        ApplicationStatus::Withdrawn,
        "withdraw",
    )?;
    let mut am = before.clone().into_active_model();
    am.status = Set(ApplicationStatus::Withdrawn.into());
    am.updated_at = Set(Utc::now());
    let after = am.update(db).await?;
    audit::log(
        db,
        actor,
        "application.withdraw",
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// Applications to a campaign, for marketers; optionally only those in `status`. Oldest
/// first, so the ones waiting longest come first: `limit` of them after the application
/// `after` (a cursor page fetches `limit + 1` to learn whether there is more).
pub async fn of_campaign(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    status: Option<&str>,
    after: Option<Uuid>,
    limit: u64,
) -> PromotionsResult<Vec<application::Model>> {
    let mut q = application::Entity::find()
        .filter(application::Column::CampaignId.eq(campaign_id))
        .order_by_asc(application::Column::Id);
    if let Some(s) = status {
        q = q.filter(application::Column::Status.eq(s));
    }
    if let Some(a) = after {
        q = q.filter(application::Column::Id.gt(a));
    }
    Ok(q.limit(limit).all(db).await?)
}

async fn pending_for_update(
    db: &impl ConnectionTrait,
    id: Uuid,
    action: &'static str,
    to: ApplicationStatus,
) -> PromotionsResult<application::Model> {
    let a = application::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(PromotionsError::NotFound("application"))?;
    check_move("application", &a.status, to, action)?;
    Ok(a)
}

/// Approve: the proposed discount becomes a campaign price on the product (checked for
/// contradictions like any price), in the same transaction.
pub async fn approve(
    db: &impl ConnectionTrait,
    actor: Actor,
    id: Uuid,
) -> PromotionsResult<application::Model> {
    let before = pending_for_update(db, id, "approve", ApplicationStatus::Approved).await?;
    let kind = PriceKind::parse(&before.discount_kind).unwrap_or(PriceKind::Percent);
    prices::add(
        db,
        actor,
        before.campaign_id,
        NewCampaignPrice {
            product_id: before.product_id,
            variant_id: None,
            kind,
            value: before.discount_value,
            floor: 0,
        },
        Some(before.id),
    )
    .await?;
    let now = Utc::now();
    let mut am = before.clone().into_active_model();
    am.status = Set(ApplicationStatus::Approved.into());
    am.decided_by = Set(actor.id);
    am.decided_at = Set(Some(now));
    am.updated_at = Set(now);
    let after = am.update(db).await?;
    audit::log(
        db,
        actor,
        "application.approve",
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// Reject, with the reason the vendor will see.
pub async fn reject(
    db: &impl ConnectionTrait,
    actor: Actor,
    id: Uuid,
    reason: String,
) -> PromotionsResult<application::Model> {
    let reason = reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(PromotionsError::field(
            "reason",
            "invalid_length",
            "give a reason of 1 to 500 characters",
        ));
    }
    let before = pending_for_update(db, id, "reject", ApplicationStatus::Rejected).await?;
    let now = Utc::now();
    let mut am = before.clone().into_active_model();
    am.status = Set(ApplicationStatus::Rejected.into());
    am.decision_reason = Set(Some(reason));
    am.decided_by = Set(actor.id);
    am.decided_at = Set(Some(now));
    am.updated_at = Set(now);
    let after = am.update(db).await?;
    audit::log(db, actor, "application.reject", Some(&before), Some(&after)).await?;
    Ok(after)
}
