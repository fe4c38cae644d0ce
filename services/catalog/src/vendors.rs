//! Vendors: application, admin review (approve, reject, suspend, reinstate), penalties,
//! profile and shipping policy.

use crate::domain::business_number::BusinessNumber;
use crate::domain::postal::PostalCode;
use crate::error::{CatalogError, CatalogResult, map_unique};
use crate::store::{penalty, vendor};
use crate::topics::{self, OUTBOX};
use chrono::Utc;
use platform::error::FieldError;
use platform::ids::new_id;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};
use serde::Deserialize;
use uuid::Uuid;

pub use crate::domain::status::VendorStatus;
use platform::status::{StateMachine, Status};

/// Strikes at which a vendor is suspended automatically (local malls expel after three).
pub const STRIKE_LIMIT: i64 = 3;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Application {
    pub trade_name: String,
    pub representative: String,
    /// 사업자등록번호, with or without dashes (124-81-00998).
    pub business_number: String,
    /// 통신판매업 신고번호; or give `mail_order_exemption`.
    pub mail_order_number: Option<String>,
    /// Why no mail-order number (e.g. 간이과세자).
    pub mail_order_exemption: Option<String>,
    pub postal_code: String,
    pub address: String,
    #[serde(default)]
    pub address_detail: String,
    pub cs_phone: String,
    pub cs_email: String,
    pub bank_name: String,
    pub bank_account_number: String,
    pub bank_account_holder: String,
    #[serde(default)]
    pub story: String,
    /// Won per vendor order, 0 to 100,000 (default 3,000).
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 0, 100_000>"
    )]
    #[schema(minimum = 0, maximum = 100_000)]
    pub shipping_base_fee: Option<i64>,
    /// Orders from this many won ship free (default 30,000).
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 0, 100_000_000>"
    )]
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub shipping_free_threshold: Option<i64>,
}

fn required(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    let n = value.trim().chars().count();
    if n == 0 {
        errors.push(FieldError::new(field, "required", "is required"));
    } else if n > max {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
}

pub fn check_shipping(errors: &mut Vec<FieldError>, base_fee: Option<i64>, threshold: Option<i64>) {
    if base_fee.is_some_and(|f| !(0..=100_000).contains(&f)) {
        errors.push(FieldError::new(
            "shipping_base_fee",
            "out_of_range",
            "must be 0 to 100,000 won",
        ));
    }
    if threshold.is_some_and(|t| t < 0) {
        errors.push(FieldError::new(
            "shipping_free_threshold",
            "out_of_range",
            "must not be negative",
        ));
    }
}

/// An account applies to sell. The business must be in Incheon, and a registration number
/// can belong to one vendor only.
#[tracing::instrument(skip_all)]
pub async fn apply(
    db: &impl ConnectionTrait,
    owner_user_id: Uuid,
    app: Application,
) -> CatalogResult<vendor::Model> {
    let mut errors = Vec::new();
    required(&mut errors, "trade_name", &app.trade_name, 100);
    required(&mut errors, "representative", &app.representative, 50);
    required(&mut errors, "address", &app.address, 200);
    required(&mut errors, "cs_phone", &app.cs_phone, 30);
    required(&mut errors, "cs_email", &app.cs_email, 254);
    required(&mut errors, "bank_name", &app.bank_name, 50);
    required(
        &mut errors,
        "bank_account_number",
        &app.bank_account_number,
        50,
    );
    required(
        &mut errors,
        "bank_account_holder",
        &app.bank_account_holder,
        50,
    );
    let number = BusinessNumber::parse(&app.business_number)
        .map_err(|m| {
            errors.push(FieldError::new(
                "business_number",
                "invalid_business_number",
                m,
            ))
        })
        .ok();
    let postal = PostalCode::parse(&app.postal_code)
        .map_err(|m| errors.push(FieldError::new("postal_code", "invalid_postal_code", m)))
        .ok();
    let mail_order = app
        .mail_order_number
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let exemption = app
        .mail_order_exemption
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if mail_order.is_none() && exemption.is_none() {
        errors.push(FieldError::new(
            "mail_order_number",
            "required",
            "give a 통신판매업 신고번호 or a mail_order_exemption reason",
        ));
    }
    check_shipping(
        &mut errors,
        app.shipping_base_fee,
        app.shipping_free_threshold,
    );
    let (Some(number), Some(postal), true) = (number, postal, errors.is_empty()) else {
        return Err(CatalogError::Invalid(errors));
    };
    if !postal.is_incheon() {
        return Err(CatalogError::NotLocal);
    }
    let existing = vendor::Entity::find()
        .filter(vendor::Column::OwnerUserId.eq(owner_user_id))
        .filter(vendor::Column::Status.is_in([
            VendorStatus::Pending,
            VendorStatus::Approved,
            VendorStatus::Suspended,
        ]))
        .one(db)
        .await?;
    if existing.is_some() {
        return Err(CatalogError::IllegalTransition {
            action: "apply again",
            state: "this account already has a vendor".into(),
        });
    }
    let now = Utc::now();
    vendor::ActiveModel {
        id: Set(new_id()),
        owner_user_id: Set(owner_user_id),
        trade_name: Set(app.trade_name.trim().to_owned()),
        representative: Set(app.representative.trim().to_owned()),
        business_number: Set(number.digits().to_owned()),
        mail_order_number: Set(mail_order.map(str::to_owned)),
        mail_order_exemption: Set(exemption.map(str::to_owned)),
        postal_code: Set(postal.as_str().to_owned()),
        address: Set(app.address.trim().to_owned()),
        address_detail: Set(app.address_detail.trim().to_owned()),
        cs_phone: Set(app.cs_phone.trim().to_owned()),
        cs_email: Set(app.cs_email.trim().to_owned()),
        bank_name: Set(app.bank_name.trim().to_owned()),
        bank_account_number: Set(app.bank_account_number.trim().to_owned()),
        bank_account_holder: Set(app.bank_account_holder.trim().to_owned()),
        story: Set(app.story.trim().to_owned()),
        status: Set(VendorStatus::Pending.into()),
        status_reason: Set(None),
        shipping_base_fee: Set(app.shipping_base_fee.unwrap_or(3000)),
        shipping_free_threshold: Set(app.shipping_free_threshold.or(Some(30_000))),
        created_at: Set(now),
        updated_at: Set(now),
        approved_at: Set(None),
    }
    .insert(db)
    .await
    .map_err(|e| {
        map_unique(e, "vendors_business_number_key", || {
            CatalogError::BusinessNumberTaken
        })
    })
}

/// Load a vendor for a status change, locked so two admins cannot race each other.
async fn lock(db: &impl ConnectionTrait, id: Uuid) -> CatalogResult<vendor::Model> {
    vendor::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(CatalogError::NotFound("vendor"))
}

async fn set_status(
    db: &impl ConnectionTrait,
    v: &vendor::Model,
    status: VendorStatus,
    reason: Option<String>,
) -> CatalogResult<vendor::Model> {
    let mut am: vendor::ActiveModel = v.clone().into();
    am.status = Set(status.into());
    am.status_reason = Set(reason);
    am.updated_at = Set(Utc::now());
    if status == VendorStatus::Approved && v.approved_at.is_none() {
        am.approved_at = Set(Some(Utc::now()));
    }
    Ok(am.update(db).await?)
}

/// A status move: lock the vendor, check it is in one of `from` (the states this action
/// moves from, each a move the vendor machine allows), set `to`, and publish
/// `event` (if any) so caches and search follow.
async fn transition(
    db: &impl ConnectionTrait,
    id: Uuid,
    action: &'static str,
    from: &[VendorStatus],
    to: VendorStatus,
    reason: Option<String>,
    event: Option<&str>,
) -> CatalogResult<vendor::Model> {
    let v = lock(db, id).await?;
    let allowed =
        VendorStatus::parse(&v.status).is_some_and(|s| from.contains(&s) && s.can_move_to(to));
    if !allowed {
        return Err(CatalogError::IllegalTransition {
            action,
            state: v.status,
        });
    }
    let v = set_status(db, &v, to, reason).await?;
    if let Some(topic) = event {
        OUTBOX
            .emit(db, topic, v.id, serde_json::json!({ "vendor_id": v.id }))
            .await?;
    }
    Ok(v)
}

/// Approve a pending (or previously rejected) application and bind the applicant's
/// account to the vendor. Run inside a transaction.
pub async fn approve(db: &impl ConnectionTrait, id: Uuid) -> CatalogResult<vendor::Model> {
    let v = transition(
        db,
        id,
        "approve",
        &[VendorStatus::Pending, VendorStatus::Rejected],
        VendorStatus::Approved,
        None,
        Some(topics::VENDOR_APPROVED),
    )
    .await?;
    platform::accounts::service::bind_vendor(db, v.owner_user_id, v.id)
        .await
        .map_err(|_| CatalogError::IllegalTransition {
            action: "approve",
            state: "the applicant account is a staff account".into(),
        })?;
    Ok(v)
}

pub async fn reject(
    db: &impl ConnectionTrait,
    id: Uuid,
    reason: String,
) -> CatalogResult<vendor::Model> {
    transition(
        db,
        id,
        "reject",
        &[VendorStatus::Pending],
        VendorStatus::Rejected,
        Some(reason),
        None,
    )
    .await
}

/// Suspend: the vendor's products leave the storefront at once.
pub async fn suspend(
    db: &impl ConnectionTrait,
    id: Uuid,
    reason: String,
) -> CatalogResult<vendor::Model> {
    transition(
        db,
        id,
        "suspend",
        &[VendorStatus::Approved],
        VendorStatus::Suspended,
        Some(reason),
        Some(topics::VENDOR_SUSPENDED),
    )
    .await
}

pub async fn reinstate(db: &impl ConnectionTrait, id: Uuid) -> CatalogResult<vendor::Model> {
    transition(
        db,
        id,
        "reinstate",
        &[VendorStatus::Suspended],
        VendorStatus::Approved,
        None,
        Some(topics::VENDOR_APPROVED),
    )
    .await
}

/// Record a strike; at the limit an approved vendor is suspended in the same transaction.
pub async fn add_penalty(
    db: &impl ConnectionTrait,
    id: Uuid,
    reason: String,
    strikes: i32,
    by: Uuid,
) -> CatalogResult<(penalty::Model, vendor::Model)> {
    let v = lock(db, id).await?;
    let p = penalty::ActiveModel {
        id: Set(new_id()),
        vendor_id: Set(id),
        reason: Set(reason.clone()),
        strikes: Set(strikes),
        created_by: Set(by),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    let total = total_strikes(db, id).await?;
    let v = if total >= STRIKE_LIMIT && v.status == VendorStatus::Approved {
        suspend(db, id, format!("{total} strikes: {reason}")).await?
    } else {
        v
    };
    Ok((p, v))
}

pub async fn total_strikes(db: &impl ConnectionTrait, id: Uuid) -> CatalogResult<i64> {
    let total: Option<i64> = penalty::Entity::find()
        .select_only()
        .column_as(Expr::cust("COALESCE(SUM(strikes), 0)::bigint"), "total")
        .filter(penalty::Column::VendorId.eq(id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(total.unwrap_or(0))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    pub story: Option<String>,
    pub cs_phone: Option<String>,
    pub cs_email: Option<String>,
    /// Won per vendor order, 0 to 100,000.
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 0, 100_000>"
    )]
    #[schema(minimum = 0, maximum = 100_000)]
    pub shipping_base_fee: Option<i64>,
    /// `null` keeps the current threshold; use `shipping_never_free` to remove it.
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 0, 100_000_000>"
    )]
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub shipping_free_threshold: Option<i64>,
    #[serde(default)]
    pub shipping_never_free: bool,
}

pub async fn update_profile(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    up: ProfileUpdate,
) -> CatalogResult<vendor::Model> {
    let mut errors = Vec::new();
    check_shipping(
        &mut errors,
        up.shipping_base_fee,
        up.shipping_free_threshold,
    );
    if !errors.is_empty() {
        return Err(CatalogError::Invalid(errors));
    }
    let v = lock(db, vendor_id).await?;
    let mut am: vendor::ActiveModel = v.into();
    if let Some(s) = up.story {
        am.story = Set(s.trim().to_owned());
    }
    if let Some(s) = up.cs_phone {
        am.cs_phone = Set(s.trim().to_owned());
    }
    if let Some(s) = up.cs_email {
        am.cs_email = Set(s.trim().to_owned());
    }
    if let Some(f) = up.shipping_base_fee {
        am.shipping_base_fee = Set(f);
    }
    if up.shipping_never_free {
        am.shipping_free_threshold = Set(None);
    } else if let Some(t) = up.shipping_free_threshold {
        am.shipping_free_threshold = Set(Some(t));
    }
    am.updated_at = Set(Utc::now());
    let v = am.update(db).await?;
    OUTBOX
        .emit(
            db,
            topics::VENDOR_UPDATED,
            v.id,
            serde_json::json!({ "vendor_id": v.id }),
        )
        .await?;
    Ok(v)
}

/// Vendors whose products the storefront may show.
pub fn is_selling(v: &vendor::Model) -> bool {
    v.status == VendorStatus::Approved
}

/// The vendors among `ids` that count as local SMEs in the public-purchase disclosure
/// (공공구매 공시): approved by the shop — whose approval checked their business
/// registration and their Incheon address — and still registered at an Incheon address.
/// A vendor that moved away still counts in an institution's total, not in its local share.
pub async fn local_smes(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> CatalogResult<std::collections::HashSet<Uuid>> {
    let rows = vendor::Entity::find()
        .filter(vendor::Column::Id.is_in(ids.iter().copied()))
        .filter(vendor::Column::ApprovedAt.is_not_null())
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|v| PostalCode::parse(&v.postal_code).is_ok_and(|p| p.is_incheon()))
        .map(|v| v.id)
        .collect())
}
