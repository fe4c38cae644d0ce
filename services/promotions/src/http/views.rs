//! Response bodies. Built from the stored rows with `From`; times in Asia/Seoul.

use crate::campaigns::{MembershipRule, SectionWithSlots, membership_of};
use crate::coupons::{DropToday, ScopeInput};
use crate::seoul;
use crate::store::{
    application, audit, campaign, campaign_price, coupon, coupon_drop, stacking_policy, time_deal,
};
use crate::wallet::{HeldCoupon, Unusable};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use platform::money::Won;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignView {
    pub id: Uuid,
    pub title: String,
    pub slug: String,
    pub theme: String,
    pub description: String,
    pub banner_pc: Option<String>,
    pub banner_mobile: Option<String>,
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    /// draft, scheduled, live or ended
    #[schema(value_type = crate::states::CampaignStatus)]
    pub status: String,
    pub ended_early_at: Option<DateTime<FixedOffset>>,
    pub membership: Vec<MembershipRule>,
    /// The vendor's share of its prices' discounts, basis points (0–10,000).
    pub vendor_share_bp: i32,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl From<campaign::Model> for CampaignView {
    fn from(c: campaign::Model) -> Self {
        CampaignView {
            membership: membership_of(&c),
            id: c.id,
            title: c.title,
            slug: c.slug,
            theme: c.theme,
            description: c.description,
            banner_pc: c.banner_pc,
            banner_mobile: c.banner_mobile,
            starts_at: seoul::show(c.starts_at),
            ends_at: seoul::show(c.ends_at),
            status: c.status,
            ended_early_at: c.ended_early_at.map(seoul::show),
            vendor_share_bp: c.vendor_share_bp,
            created_at: seoul::show(c.created_at),
            updated_at: seoul::show(c.updated_at),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SectionAdminView {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub title: String,
    pub position: i32,
    /// In display order.
    pub product_ids: Vec<Uuid>,
}

impl From<SectionWithSlots> for SectionAdminView {
    fn from(s: SectionWithSlots) -> Self {
        SectionAdminView {
            id: s.section.id,
            campaign_id: s.section.campaign_id,
            title: s.section.title,
            position: s.section.position,
            product_ids: s.product_ids,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignDetail {
    #[serde(flatten)]
    pub campaign: CampaignView,
    pub sections: Vec<SectionAdminView>,
    pub prices: Vec<PriceView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PriceView {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub product_id: Uuid,
    pub variant_id: Option<Uuid>,
    /// percent, amount_off or fixed_price
    pub kind: String,
    pub value: i64,
    pub floor: Won,
    pub application_id: Option<Uuid>,
    pub created_at: DateTime<FixedOffset>,
}

impl From<campaign_price::Model> for PriceView {
    fn from(p: campaign_price::Model) -> Self {
        PriceView {
            id: p.id,
            campaign_id: p.campaign_id,
            product_id: p.product_id,
            variant_id: p.variant_id,
            kind: p.kind,
            value: p.value,
            floor: Won(p.floor),
            application_id: p.application_id,
            created_at: seoul::show(p.created_at),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimeDealView {
    pub id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub product_id: Uuid,
    pub variant_id: Uuid,
    pub deal_price: Won,
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    pub quantity: i32,
    pub sold: i32,
    pub remaining: i32,
    pub per_customer_limit: Option<i32>,
    /// The vendor's share of the discount, basis points (0–10,000).
    pub vendor_share_bp: i32,
}

impl From<time_deal::Model> for TimeDealView {
    fn from(d: time_deal::Model) -> Self {
        TimeDealView {
            id: d.id,
            campaign_id: d.campaign_id,
            product_id: d.product_id,
            variant_id: d.variant_id,
            deal_price: Won(d.deal_price),
            starts_at: seoul::show(d.starts_at),
            ends_at: seoul::show(d.ends_at),
            quantity: d.quantity,
            sold: d.sold,
            remaining: (d.quantity - d.sold).max(0),
            per_customer_limit: d.per_customer_limit,
            vendor_share_bp: d.vendor_share_bp,
        }
    }
}

/// What a coupon gives and when it can be used: the same in every view of a coupon.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CouponTerms {
    /// percent, amount_off or free_shipping
    pub kind: String,
    /// For `percent`, with `cap` the most it takes off.
    pub percent: Option<i32>,
    pub cap: Option<Won>,
    /// For `amount_off`.
    pub amount: Option<Won>,
    pub min_order: Won,
    pub scope: ScopeInput,
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
}

impl CouponTerms {
    pub fn of(c: &coupon::Model) -> Self {
        CouponTerms {
            kind: c.kind.clone(),
            percent: c.percent,
            cap: c.cap.map(Won),
            amount: c.amount.map(Won),
            min_order: Won(c.min_order),
            scope: ScopeInput::of(c),
            starts_at: seoul::show(c.starts_at),
            ends_at: seoul::show(c.ends_at),
        }
    }
}

/// A coupon as marketers see it, with its counters.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CouponView {
    pub id: Uuid,
    pub code: Option<String>,
    pub name: String,
    #[serde(flatten)]
    pub terms: CouponTerms,
    pub total_uses: Option<i32>,
    pub per_customer_limit: Option<i32>,
    pub budget: Option<Won>,
    pub used_count: i32,
    pub spent: Won,
    pub disabled_at: Option<DateTime<FixedOffset>>,
    /// The vendor's share of the discount, basis points (0–10,000).
    pub vendor_share_bp: i32,
}

impl From<coupon::Model> for CouponView {
    fn from(c: coupon::Model) -> Self {
        CouponView {
            terms: CouponTerms::of(&c),
            id: c.id,
            code: c.code,
            name: c.name,
            total_uses: c.total_uses,
            per_customer_limit: c.per_customer_limit,
            budget: c.budget.map(Won),
            used_count: c.used_count,
            spent: Won(c.spent),
            disabled_at: c.disabled_at.map(seoul::show),
            vendor_share_bp: c.vendor_share_bp,
        }
    }
}

/// What anyone may know of a public coupon: no counters, no budget.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicCouponView {
    pub code: String,
    pub name: String,
    #[serde(flatten)]
    pub terms: CouponTerms,
    pub per_customer_limit: Option<i32>,
    /// False once the uses or budget are gone.
    pub available: bool,
}

impl From<coupon::Model> for PublicCouponView {
    fn from(c: coupon::Model) -> Self {
        let available =
            c.total_uses.is_none_or(|t| c.used_count < t) && c.budget.is_none_or(|b| c.spent < b);
        PublicCouponView {
            terms: CouponTerms::of(&c),
            code: c.code.unwrap_or_default(),
            name: c.name,
            per_customer_limit: c.per_customer_limit,
            available,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DropView {
    pub id: Uuid,
    pub coupon_id: Uuid,
    pub daily_quota: i32,
    /// Asia/Seoul wall-clock time.
    #[schema(value_type = String)]
    pub opens_at: NaiveTime,
    #[schema(value_type = String, format = Date)]
    pub first_day: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub last_day: NaiveDate,
}

impl From<coupon_drop::Model> for DropView {
    fn from(d: coupon_drop::Model) -> Self {
        DropView {
            id: d.id,
            coupon_id: d.coupon_id,
            daily_quota: d.daily_quota,
            opens_at: d.opens_at,
            first_day: d.first_day,
            last_day: d.last_day,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApplicationView {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub vendor_id: Uuid,
    pub product_id: Uuid,
    pub discount_kind: String,
    pub discount_value: i64,
    pub note: String,
    /// pending, approved, rejected or withdrawn
    #[schema(value_type = crate::states::ApplicationStatus)]
    pub status: String,
    pub decision_reason: Option<String>,
    pub decided_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
}

impl From<application::Model> for ApplicationView {
    fn from(a: application::Model) -> Self {
        ApplicationView {
            id: a.id,
            campaign_id: a.campaign_id,
            vendor_id: a.vendor_id,
            product_id: a.product_id,
            discount_kind: a.discount_kind,
            discount_value: a.discount_value,
            note: a.note,
            status: a.status,
            decision_reason: a.decision_reason,
            decided_at: a.decided_at.map(seoul::show),
            created_at: seoul::show(a.created_at),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditView {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub actor_role: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Uuid,
    /// The entity before the action, as its columns.
    #[schema(value_type = Option<std::collections::BTreeMap<String, serde_json::Value>>)]
    pub before: Option<serde_json::Value>,
    /// The entity after the action, as its columns.
    #[schema(value_type = Option<std::collections::BTreeMap<String, serde_json::Value>>)]
    pub after: Option<serde_json::Value>,
    pub at: DateTime<FixedOffset>,
}

impl From<audit::Model> for AuditView {
    fn from(a: audit::Model) -> Self {
        AuditView {
            id: a.id,
            actor_id: a.actor_id,
            actor_role: a.actor_role,
            action: a.action,
            entity: a.entity,
            entity_id: a.entity_id,
            before: a.before,
            after: a.after,
            at: seoul::show(a.at),
        }
    }
}

/// A coupon in the customer's coupon box.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MyCouponView {
    pub coupon_id: Uuid,
    /// What to give as the coupon code at checkout: the public code, or the coupon's id
    /// for a coupon only issued to customers.
    pub code: String,
    pub name: String,
    #[serde(flatten)]
    pub terms: CouponTerms,
    /// `drop`: claimed from a daily first-come drop; `code`: a public code (registered by
    /// you or given to you); `issued`: issued to you by a marketer.
    pub source: String,
    pub issued_at: DateTime<FixedOffset>,
    /// Times you used it.
    pub uses: i64,
    /// Times you may still use it; absent when nothing limits you.
    pub uses_left: Option<i64>,
    /// Whether it can be used now (the minimum order is judged with the cart).
    pub usable: bool,
    /// Why not, when not usable.
    pub reason: Option<Unusable>,
}

impl From<HeldCoupon> for MyCouponView {
    fn from(h: HeldCoupon) -> Self {
        let c = h.coupon;
        MyCouponView {
            terms: CouponTerms::of(&c),
            source: match (h.drop_id, &c.code) {
                (Some(_), _) => "drop",
                (None, Some(_)) => "code",
                (None, None) => "issued",
            }
            .to_owned(),
            code: c.code.unwrap_or_else(|| c.id.to_string()),
            coupon_id: c.id,
            name: c.name,
            issued_at: seoul::show(h.issued_at),
            uses: h.uses,
            uses_left: h.uses_left,
            usable: h.unusable.is_none(),
            reason: h.unusable,
        }
    }
}

/// The current stacking policy.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StackingPolicyView {
    /// The policy's id in the audit trail (`GET /v1/marketing/audit?entity_id=`).
    pub id: Uuid,
    /// Order coupons (percent, amount off) one order may combine.
    pub max_order_coupons: i16,
    /// Free-shipping coupons one order may combine.
    pub max_shipping_coupons: i16,
    /// An applicable time deal wins over a campaign price even when that is lower.
    pub time_deal_beats_campaign: bool,
    /// An order coupon and a shipping coupon may be used on the same order.
    pub order_and_shipping_coupons_combine: bool,
    /// Order coupons apply on top of campaign prices and time deals.
    pub coupons_on_promoted_lines: bool,
    /// Absent until a marketer changes the policy.
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTime<FixedOffset>,
}

impl From<stacking_policy::Model> for StackingPolicyView {
    fn from(p: stacking_policy::Model) -> Self {
        StackingPolicyView {
            id: p.id,
            max_order_coupons: p.max_order_coupons,
            max_shipping_coupons: p.max_shipping_coupons,
            time_deal_beats_campaign: p.time_deal_beats_campaign,
            order_and_shipping_coupons_combine: p.order_and_shipping_coupons_combine,
            coupons_on_promoted_lines: p.coupons_on_promoted_lines,
            updated_by: p.updated_by,
            updated_at: seoul::show(p.updated_at),
        }
    }
}

/// A daily first-come drop running today, as customers see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DropOfferView {
    /// Claim with `POST /v1/coupon-drops/{id}/claim`.
    pub id: Uuid,
    pub coupon_name: String,
    /// The coupon's benefit and validity window.
    #[serde(flatten)]
    pub terms: CouponTerms,
    /// When today's quota opens (Asia/Seoul).
    pub opens_at: DateTime<FixedOffset>,
    pub daily_quota: i32,
    /// Coupons still to be claimed today.
    pub remaining_today: i32,
    /// Whether claiming is possible now: opened and not all claimed.
    pub open: bool,
}

impl DropOfferView {
    pub fn of(d: DropToday, at: chrono::DateTime<chrono::Utc>) -> Self {
        let opens = seoul::instant(seoul::day(at), d.opens_at);
        let remaining_today = (d.daily_quota - d.claimed).max(0);
        let c = d.coupon;
        DropOfferView {
            terms: CouponTerms::of(&c),
            id: d.id,
            coupon_name: c.name,
            opens_at: seoul::show(opens),
            daily_quota: d.daily_quota,
            remaining_today,
            open: at >= opens && remaining_today > 0,
        }
    }
}
