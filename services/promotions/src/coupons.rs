//! Coupons: a public code anyone may enter, or issued to customers (then referred to by
//! the coupon's id). Percent with a cap, an amount off, or free shipping; a minimum
//! order; a scope; a validity window; total uses, uses per customer and a budget in won.
//!
//! Checkout redeems inside its own transaction: one conditional UPDATE enforces the total
//! uses, the budget and the window together (the row lock it takes serialises the
//! redemptions of one coupon), and the redemption row — unique per order, and per
//! customer and use number — enforces the per-customer limit.
//!
//! Daily first-come drops of issued coupons are in [`crate::drops`].

use crate::audit::{self, Actor};
use crate::error::{PromotionsError, PromotionsResult, map_unique};
use crate::pricing::{Coupon, CouponKind, CouponScope};
use crate::store::coupon;
use crate::topics::{self, OUTBOX};
use chrono::{DateTime, FixedOffset, Utc};
use platform::db::pg;
use platform::error::FieldError;
use platform::ids::new_id;
use platform::money::Won;
use platform::pagination::newest_first;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

pub use crate::drops::{DropToday, NewDrop, claim, create_drop, drops_on_day};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CouponKindInput {
    Percent,
    AmountOff,
    FreeShipping,
}

impl CouponKindInput {
    pub fn as_str(self) -> &'static str {
        match self {
            CouponKindInput::Percent => "percent",
            CouponKindInput::AmountOff => "amount_off",
            CouponKindInput::FreeShipping => "free_shipping",
        }
    }
}

/// Which lines a coupon reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ScopeInput {
    All,
    Campaign(Uuid),
    Vendor(Uuid),
    Category(Uuid),
}

impl ScopeInput {
    fn parts(self) -> (&'static str, Option<Uuid>) {
        match self {
            ScopeInput::All => ("all", None),
            ScopeInput::Campaign(id) => ("campaign", Some(id)),
            ScopeInput::Vendor(id) => ("vendor", Some(id)),
            ScopeInput::Category(id) => ("category", Some(id)),
        }
    }

    pub fn of(c: &coupon::Model) -> ScopeInput {
        match (c.scope_kind.as_str(), c.scope_id) {
            ("campaign", Some(id)) => ScopeInput::Campaign(id),
            ("vendor", Some(id)) => ScopeInput::Vendor(id),
            ("category", Some(id)) => ScopeInput::Category(id),
            _ => ScopeInput::All,
        }
    }
}

impl From<ScopeInput> for CouponScope {
    fn from(s: ScopeInput) -> CouponScope {
        match s {
            ScopeInput::All => CouponScope::All,
            ScopeInput::Campaign(id) => CouponScope::Campaign(id),
            ScopeInput::Vendor(id) => CouponScope::Vendor(id),
            ScopeInput::Category(id) => CouponScope::Category(id),
        }
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCoupon {
    /// The public code (3–32 letters, digits, `-` or `_`; stored upper-case). Absent: the
    /// coupon is only issued to customers.
    pub code: Option<String>,
    pub name: String,
    pub kind: CouponKindInput,
    /// For `percent`: 1–100.
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 1, 100>"
    )]
    #[schema(minimum = 1, maximum = 100)]
    pub percent: Option<i32>,
    /// For `percent`: the most it takes off, in won.
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 1, 100_000_000>"
    )]
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub cap: Option<i64>,
    /// For `amount_off`: won.
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 1, 100_000_000>"
    )]
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub amount: Option<i64>,
    /// The order total (won) below which the coupon does not apply; default 0.
    #[serde(
        default,
        deserialize_with = "platform::bounds::within::<_, _, 0, 100_000_000>"
    )]
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub min_order: i64,
    #[serde(default = "scope_all")]
    pub scope: ScopeInput,
    /// RFC 3339 with an offset (Asia/Seoul).
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    /// Uses in all; absent: no limit.
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 1, 10_000_000>"
    )]
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub total_uses: Option<i32>,
    /// Uses per customer; absent: no limit.
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 1, 1_000>"
    )]
    #[schema(minimum = 1, maximum = 1_000)]
    pub per_customer_limit: Option<i32>,
    /// Total won the coupon may give away.
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 1, 100_000_000_000>"
    )]
    #[schema(minimum = 1, maximum = 100_000_000_000_i64)]
    pub budget: Option<i64>,
    /// The vendor's share of the discount, in basis points from 0 (the platform funds it)
    /// to 10000 (the vendor does); absent: 0. Recorded on each order's quote at checkout.
    #[schema(minimum = 0, maximum = 10000)]
    pub vendor_share_bp: Option<i32>,
}

fn scope_all() -> ScopeInput {
    ScopeInput::All
}

/// Codes are compared upper-case and trimmed.
pub fn normalise_code(code: &str) -> String {
    code.trim().to_uppercase()
}

fn valid_code(code: &str) -> bool {
    (3..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The engine's view of a stored coupon. Issued-only coupons carry their id as the code.
pub fn to_pricing(c: &coupon::Model) -> Coupon {
    let kind = match c.kind.as_str() {
        "percent" => CouponKind::Percent {
            percent: c.percent.unwrap_or(0).clamp(0, 100) as u32,
            cap: c.cap.map(Won),
        },
        "amount_off" => CouponKind::AmountOff(Won(c.amount.unwrap_or(0))),
        _ => CouponKind::FreeShipping,
    };
    Coupon {
        id: c.id,
        code: c.code.clone().unwrap_or_else(|| c.id.to_string()),
        kind,
        min_order: Won(c.min_order),
        scope: ScopeInput::of(c).into(),
        starts_at: c.starts_at,
        ends_at: c.ends_at,
        vendor_share_bp: crate::funding::share(c.vendor_share_bp),
    }
}

/// Create a coupon.
#[tracing::instrument(skip_all)]
pub async fn create(
    db: &impl ConnectionTrait,
    actor: Actor,
    new: NewCoupon,
) -> PromotionsResult<coupon::Model> {
    let starts = new.starts_at.with_timezone(&Utc);
    let ends = new.ends_at.with_timezone(&Utc);
    let code = new.code.as_deref().map(normalise_code);
    let mut errors = Vec::new();
    if let Some(c) = &code
        && !valid_code(c)
    {
        errors.push(FieldError::new(
            "code",
            "invalid_code",
            "3 to 32 letters, digits, '-' or '_'",
        ));
    }
    let n = new.name.trim().chars().count();
    if n == 0 || n > 100 {
        errors.push(FieldError::new(
            "name",
            "invalid_length",
            "give a name of 1 to 100 characters",
        ));
    }
    let won = |v: i64| v > 0 && v <= 100_000_000;
    match new.kind {
        CouponKindInput::Percent => {
            if !new.percent.is_some_and(|p| (1..=100).contains(&p)) {
                errors.push(FieldError::new("percent", "out_of_range", "from 1 to 100"));
            }
            if new.cap.is_some_and(|c| !won(c)) {
                errors.push(FieldError::new(
                    "cap",
                    "out_of_range",
                    "a positive amount of won",
                ));
            }
            if new.amount.is_some() {
                errors.push(FieldError::new(
                    "amount",
                    "not_allowed",
                    "only for amount_off",
                ));
            }
        }
        CouponKindInput::AmountOff => {
            if !new.amount.is_some_and(won) {
                errors.push(FieldError::new(
                    "amount",
                    "out_of_range",
                    "a positive amount of won",
                ));
            }
            if new.percent.is_some() || new.cap.is_some() {
                errors.push(FieldError::new(
                    "percent",
                    "not_allowed",
                    "only for percent",
                ));
            }
        }
        CouponKindInput::FreeShipping => {
            if new.percent.is_some() || new.cap.is_some() || new.amount.is_some() {
                errors.push(FieldError::new(
                    "kind",
                    "not_allowed",
                    "a free-shipping coupon has no percent, cap or amount",
                ));
            }
        }
    }
    if !(0..=100_000_000).contains(&new.min_order) {
        errors.push(FieldError::new(
            "min_order",
            "out_of_range",
            "0 or more won",
        ));
    }
    crate::campaigns::check_window(&mut errors, starts, ends);
    if new.total_uses.is_some_and(|n| n <= 0) {
        errors.push(FieldError::new("total_uses", "out_of_range", "at least 1"));
    }
    if new.per_customer_limit.is_some_and(|n| n <= 0) {
        errors.push(FieldError::new(
            "per_customer_limit",
            "out_of_range",
            "at least 1",
        ));
    }
    if new.budget.is_some_and(|b| b <= 0) {
        errors.push(FieldError::new(
            "budget",
            "out_of_range",
            "a positive amount of won",
        ));
    }
    crate::funding::check(&mut errors, new.vendor_share_bp);
    if !errors.is_empty() {
        return Err(PromotionsError::Invalid(errors));
    }
    let (scope_kind, scope_id) = new.scope.parts();
    let now = Utc::now();
    let c = coupon::ActiveModel {
        id: Set(new_id()),
        code: Set(code.clone()),
        name: Set(new.name.trim().to_owned()),
        kind: Set(new.kind.as_str().to_owned()),
        percent: Set(new.percent),
        cap: Set(new.cap),
        amount: Set(new.amount),
        min_order: Set(new.min_order),
        scope_kind: Set(scope_kind.to_owned()),
        scope_id: Set(scope_id),
        starts_at: Set(starts),
        ends_at: Set(ends),
        total_uses: Set(new.total_uses),
        per_customer_limit: Set(new.per_customer_limit),
        budget: Set(new.budget),
        used_count: Set(0),
        spent: Set(0),
        disabled_at: Set(None),
        vendor_share_bp: Set(new
            .vendor_share_bp
            .unwrap_or(crate::funding::DEFAULT_COUPON_BP)),
        created_by: Set(actor.user_id()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|e| {
        map_unique(e, "coupons_code_key", || {
            PromotionsError::Conflict(format!(
                "a coupon with code `{}` already exists",
                code.clone().unwrap_or_default()
            ))
        })
    })?;
    audit::log(db, actor, "coupon.create", None, Some(&c)).await?;
    OUTBOX
        .emit(
            db,
            topics::COUPON_CHANGED,
            c.id,
            json!({ "coupon_id": c.id }),
        )
        .await?;
    Ok(c)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> PromotionsResult<coupon::Model> {
    coupon::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(PromotionsError::NotFound("coupon"))
}

/// Coupons, newest first (a cursor over ids).
pub async fn list(
    db: &impl ConnectionTrait,
    after: Option<Uuid>,
    limit: u64,
) -> PromotionsResult<Vec<coupon::Model>> {
    let q = coupon::Entity::find();
    Ok(newest_first(db, q, coupon::Column::Id, after, limit).await?)
}

/// Stop a coupon: nobody can redeem it any more (redemptions already made stay).
pub async fn disable(
    db: &impl ConnectionTrait,
    actor: Actor,
    id: Uuid,
) -> PromotionsResult<coupon::Model> {
    let before = coupon::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(PromotionsError::NotFound("coupon"))?;
    if before.disabled_at.is_some() {
        return Ok(before);
    }
    let now = Utc::now();
    let mut am = before.clone().into_active_model();
    am.disabled_at = Set(Some(now));
    am.updated_at = Set(now);
    let after = am.update(db).await?;
    audit::log(db, actor, "coupon.disable", Some(&before), Some(&after)).await?;
    OUTBOX
        .emit(db, topics::COUPON_CHANGED, id, json!({ "coupon_id": id }))
        .await?;
    Ok(after)
}

/// A coupon with a public code, for `GET /v1/coupons/{code}`.
pub async fn by_code(
    db: &impl ConnectionTrait,
    code: &str,
) -> PromotionsResult<Option<coupon::Model>> {
    Ok(coupon::Entity::find()
        .filter(coupon::Column::Code.eq(normalise_code(code)))
        .filter(coupon::Column::DisabledAt.is_null())
        .one(db)
        .await?)
}

async fn holds(
    db: &impl ConnectionTrait,
    coupon_id: Uuid,
    customer: Uuid,
) -> PromotionsResult<bool> {
    let row = db
        .query_one_raw(pg(
            "SELECT 1 AS one FROM promotions.coupon_issues WHERE coupon_id = $1 AND customer_id = $2",
            [coupon_id.into(), customer.into()],
        ))
        .await?;
    Ok(row.is_some())
}

async fn uses_by(
    db: &impl ConnectionTrait,
    coupon_id: Uuid,
    customer: Uuid,
) -> PromotionsResult<i64> {
    let row = db
        .query_one_raw(pg(
            "SELECT count(*) AS n FROM promotions.coupon_redemptions WHERE coupon_id = $1 AND customer_id = $2",
            [coupon_id.into(), customer.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    })
}

/// The coupon `code` names for `customer`: a public code, or (by its id) a coupon issued
/// to this customer. `None` when there is no such coupon for them (or it was disabled).
///
/// Window and minimum order are left to the pricing engine, which explains them in the
/// quote; a coupon nobody can use any more is [`PromotionsError::CouponExhausted`], and one
/// this customer has used up is [`PromotionsError::CouponLimit`].
#[tracing::instrument(skip(db))]
pub async fn coupon_for(
    db: &impl ConnectionTrait,
    code: &str,
    customer: Uuid,
    at: DateTime<Utc>,
) -> PromotionsResult<Option<Coupon>> {
    let c = match by_code(db, code).await? {
        Some(c) => c,
        None => {
            let Ok(id) = code.trim().parse::<Uuid>() else {
                return Ok(None);
            };
            match coupon::Entity::find_by_id(id).one(db).await? {
                Some(c) if c.disabled_at.is_none() && holds(db, c.id, customer).await? => c,
                _ => return Ok(None),
            }
        }
    };
    if c.total_uses.is_some_and(|t| c.used_count >= t) {
        return Err(PromotionsError::CouponExhausted("total_uses"));
    }
    if c.budget.is_some_and(|b| c.spent >= b) {
        return Err(PromotionsError::CouponExhausted("budget"));
    }
    if let Some(limit) = c.per_customer_limit
        && uses_by(db, c.id, customer).await? >= i64::from(limit)
    {
        return Err(PromotionsError::CouponLimit { limit });
    }
    let _ = at;
    Ok(Some(to_pricing(&c)))
}

/// Redeem a coupon for an order, inside the caller's (checkout's) transaction.
///
/// One conditional UPDATE counts the use and the discount against the total uses, the
/// budget and the window (and, for an issued-only coupon, checks the customer holds it);
/// then one redemption row takes the customer's next free use number up to their limit.
/// Refuses with [`PromotionsError::CouponExhausted`] or [`PromotionsError::CouponLimit`];
/// on any error the caller must roll its transaction back. Redeeming the same order again
/// is a no-op.
#[tracing::instrument(skip(db))]
pub async fn redeem_coupon(
    db: &impl ConnectionTrait,
    coupon_id: Uuid,
    customer: Uuid,
    order_id: Uuid,
    discount: Won,
    at: DateTime<Utc>,
) -> PromotionsResult<()> {
    if discount < Won::ZERO {
        return Err(PromotionsError::field(
            "discount",
            "out_of_range",
            "must not be negative",
        ));
    }
    let again = db
        .query_one_raw(pg(
            "SELECT customer_id FROM promotions.coupon_redemptions WHERE coupon_id = $1 AND order_id = $2",
            [coupon_id.into(), order_id.into()],
        ))
        .await?;
    if let Some(r) = again {
        let who: Uuid = r.try_get("", "customer_id")?;
        return if who == customer {
            Ok(())
        } else {
            Err(PromotionsError::Conflict(
                "the order already redeemed this coupon for another customer".into(),
            ))
        };
    }
    let row = db
        .query_one_raw(pg(
            "UPDATE promotions.coupons \
             SET used_count = used_count + 1, spent = spent + $2, updated_at = now() \
             WHERE id = $1 AND disabled_at IS NULL \
               AND starts_at <= $3 AND $3 < ends_at \
               AND (total_uses IS NULL OR used_count < total_uses) \
               AND (budget IS NULL OR spent + $2 <= budget) \
               AND (code IS NOT NULL OR EXISTS (SELECT 1 FROM promotions.coupon_issues i \
                    WHERE i.coupon_id = $1 AND i.customer_id = $4)) \
             RETURNING per_customer_limit",
            [
                coupon_id.into(),
                discount.0.into(),
                at.into(),
                customer.into(),
            ],
        ))
        .await?;
    let limit: Option<i32> = match row {
        Some(r) => r.try_get("", "per_customer_limit")?,
        None => return Err(why_refused(db, coupon_id, customer, discount, at).await?),
    };
    // The UPDATE holds the coupon's row lock until commit: this customer's earlier
    // redemptions are committed and visible here. The unique key is the backstop.
    let row = db
        .query_one_raw(pg(
            "INSERT INTO promotions.coupon_redemptions \
                 (id, coupon_id, customer_id, order_id, use_no, discount, redeemed_at) \
             SELECT $1, $2, $3, $4, s.n, $5, $6 FROM ( \
                 SELECT min(g) AS n FROM generate_series(1, COALESCE($7::int, \
                     (SELECT COALESCE(max(use_no), 0) + 1 FROM promotions.coupon_redemptions \
                      WHERE coupon_id = $2 AND customer_id = $3))) g \
                 WHERE g NOT IN (SELECT use_no FROM promotions.coupon_redemptions \
                                 WHERE coupon_id = $2 AND customer_id = $3)) s \
             WHERE s.n IS NOT NULL \
             RETURNING use_no",
            [
                new_id().into(),
                coupon_id.into(),
                customer.into(),
                order_id.into(),
                discount.0.into(),
                at.into(),
                limit.into(),
            ],
        ))
        .await
        .map_err(|e| {
            map_unique(e, "coupon_redemptions_coupon_id_customer_id_use_no", || {
                PromotionsError::CouponLimit {
                    limit: limit.unwrap_or(0),
                }
            })
        })?;
    match row {
        Some(_) => Ok(()),
        None => Err(PromotionsError::CouponLimit {
            limit: limit.unwrap_or(0),
        }),
    }
}

/// Which condition refused a redemption.
async fn why_refused(
    db: &impl ConnectionTrait,
    coupon_id: Uuid,
    customer: Uuid,
    discount: Won,
    at: DateTime<Utc>,
) -> PromotionsResult<PromotionsError> {
    let Some(c) = coupon::Entity::find_by_id(coupon_id).one(db).await? else {
        return Ok(PromotionsError::CouponNotFound);
    };
    Ok(if c.code.is_none() && !holds(db, c.id, customer).await? {
        PromotionsError::CouponNotFound
    } else if c.disabled_at.is_some() {
        PromotionsError::CouponExhausted("disabled")
    } else if !(c.starts_at <= at && at < c.ends_at) {
        PromotionsError::CouponExhausted("window")
    } else if c.total_uses.is_some_and(|t| c.used_count >= t) {
        PromotionsError::CouponExhausted("total_uses")
    } else if c.budget.is_some_and(|b| c.spent + discount.0 > b) {
        PromotionsError::CouponExhausted("budget")
    } else {
        PromotionsError::CouponExhausted("total_uses")
    })
}

/// Give back the coupon uses of a canceled or expired order: the redemption rows go and
/// the coupons' counters and spent budget come back. Calling it again does nothing.
#[tracing::instrument(skip(db))]
pub async fn release_coupon(db: &impl ConnectionTrait, order_id: Uuid) -> PromotionsResult<()> {
    let rows = db
        .query_all_raw(pg(
            "DELETE FROM promotions.coupon_redemptions WHERE order_id = $1 RETURNING coupon_id, discount",
            [order_id.into()],
        ))
        .await?;
    for r in rows {
        let coupon_id: Uuid = r.try_get("", "coupon_id")?;
        let discount: i64 = r.try_get("", "discount")?;
        db.execute_raw(pg(
            "UPDATE promotions.coupons SET used_count = GREATEST(used_count - 1, 0), \
                    spent = GREATEST(spent - $2, 0), updated_at = now() WHERE id = $1",
            [coupon_id.into(), discount.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Issue an issued-only (or any) coupon to customers; those who hold it already are
/// skipped. Returns how many were newly issued.
pub async fn issue(
    db: &impl ConnectionTrait,
    actor: Actor,
    coupon_id: Uuid,
    customers: &[Uuid],
) -> PromotionsResult<u64> {
    let c = get(db, coupon_id).await?;
    if customers.is_empty() || customers.len() > 10_000 {
        return Err(PromotionsError::field(
            "customer_ids",
            "invalid_length",
            "from 1 to 10,000 customers",
        ));
    }
    let mut issued = 0;
    for customer in customers {
        let res = db
            .execute_raw(pg(
                "INSERT INTO promotions.coupon_issues (id, coupon_id, customer_id) VALUES ($1, $2, $3) \
                 ON CONFLICT (coupon_id, customer_id) DO NOTHING",
                [new_id().into(), c.id.into(), (*customer).into()],
            ))
            .await?;
        issued += res.rows_affected();
    }
    audit::record(
        db,
        actor,
        "coupon.issue",
        "coupon",
        c.id,
        None::<&()>,
        Some(&json!({ "customers": customers.len(), "issued": issued })),
    )
    .await?;
    Ok(issued)
}

/// Put a public coupon in `customer`'s coupon box (쿠폰 등록), so that it is listed with
/// their coupons. `None` when no enabled coupon has this code; registering again is a
/// no-op. Whether it can be used is judged when it is listed and at checkout.
#[tracing::instrument(skip(db))]
pub async fn register(
    db: &impl ConnectionTrait,
    code: &str,
    customer: Uuid,
) -> PromotionsResult<Option<coupon::Model>> {
    let Some(c) = by_code(db, code).await? else {
        return Ok(None);
    };
    db.execute_raw(pg(
        "INSERT INTO promotions.coupon_issues (id, coupon_id, customer_id) VALUES ($1, $2, $3) \
         ON CONFLICT (coupon_id, customer_id) DO NOTHING",
        [new_id().into(), c.id.into(), customer.into()],
    ))
    .await?;
    Ok(Some(c))
}
