//! Response bodies for vendors and admins (consumers get the storefront types).

use crate::categories::CategoryNode;
use crate::certifications::Badge;
use crate::store::{category, certification, penalty, product, variant, vendor};
use crate::storefront::{
    SellerIdentity, ShippingPolicy, VariantView, seller_identity, shipping_policy, variant_view,
};
use chrono::{DateTime, NaiveDate, Utc};
use platform::money::Won;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VendorView {
    pub id: Uuid,
    #[schema(value_type = crate::domain::status::VendorStatus)]
    pub status: String,
    pub status_reason: Option<String>,
    pub owner_user_id: Uuid,
    pub postal_code: String,
    pub story: String,
    pub shipping: ShippingPolicy,
    pub seller: SellerIdentity,
    pub bank_name: String,
    pub bank_account_number: String,
    pub bank_account_holder: String,
    pub created_at: DateTime<Utc>,
    pub approved_at: Option<DateTime<Utc>>,
}

impl From<vendor::Model> for VendorView {
    fn from(v: vendor::Model) -> Self {
        VendorView {
            shipping: shipping_policy(&v),
            seller: seller_identity(&v),
            id: v.id,
            status: v.status,
            status_reason: v.status_reason,
            owner_user_id: v.owner_user_id,
            postal_code: v.postal_code,
            story: v.story,
            bank_name: v.bank_name,
            bank_account_number: v.bank_account_number,
            bank_account_holder: v.bank_account_holder,
            created_at: v.created_at,
            approved_at: v.approved_at,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StockView {
    pub variant_id: Uuid,
    pub sku: String,
    pub on_hand: i32,
    pub reserved: i32,
    pub available: i32,
}

impl From<variant::Model> for StockView {
    fn from(v: variant::Model) -> Self {
        StockView {
            variant_id: v.id,
            available: v.available(),
            sku: v.sku,
            on_hand: v.on_hand,
            reserved: v.reserved,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConsoleVariant {
    #[serde(flatten)]
    pub view: VariantView,
    pub on_hand: i32,
    pub reserved: i32,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConsoleProduct {
    pub id: Uuid,
    #[schema(value_type = crate::domain::status::ProductStatus)]
    pub status: String,
    pub title: String,
    pub description_html: String,
    #[schema(value_type = Vec<String>)]
    pub images: serde_json::Value,
    pub category_id: Uuid,
    pub tags: Vec<String>,
    pub origin: String,
    /// 상품정보제공고시: field name → value.
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub notice: serde_json::Value,
    pub withdrawal_restricted: bool,
    pub taxable: bool,
    pub max_per_order: Option<i32>,
    pub price: Won,
    pub variants: Vec<ConsoleVariant>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

pub fn console_product(p: product::Model, variants: Vec<variant::Model>) -> ConsoleProduct {
    ConsoleProduct {
        id: p.id,
        status: p.status,
        title: p.title,
        description_html: p.description_html,
        images: p.images,
        category_id: p.category_id,
        tags: p.tags,
        origin: p.origin,
        notice: p.notice,
        withdrawal_restricted: p.withdrawal_restricted,
        taxable: p.taxable,
        max_per_order: p.max_per_order,
        price: Won(p.min_price),
        variants: variants
            .into_iter()
            .map(|v| ConsoleVariant {
                on_hand: v.on_hand,
                reserved: v.reserved,
                view: variant_view(v),
            })
            .collect(),
        created_at: p.created_at,
        updated_at: p.updated_at,
        published_at: p.published_at,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CertificationView {
    pub id: Uuid,
    pub vendor_id: Uuid,
    #[serde(flatten)]
    pub badge: Badge,
    pub issued_on: NaiveDate,
    pub verified: bool,
    /// Verified and within its dates today.
    pub valid: bool,
    /// Set when an admin rejected it: why (a rejected certification is never valid).
    pub rejection_reason: Option<String>,
}

impl From<certification::Model> for CertificationView {
    fn from(c: certification::Model) -> Self {
        CertificationView {
            valid: c.is_valid_on(Utc::now().date_naive()),
            verified: c.verified_at.is_some(),
            rejection_reason: c.rejection_reason,
            id: c.id,
            vendor_id: c.vendor_id,
            issued_on: c.issued_on,
            badge: Badge {
                kind: c.kind,
                class: c.class,
                number: c.number,
                expires_on: c.expires_on,
            },
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PenaltyView {
    pub id: Uuid,
    pub reason: String,
    pub strikes: i32,
    pub created_at: DateTime<Utc>,
}

impl From<penalty::Model> for PenaltyView {
    fn from(p: penalty::Model) -> Self {
        PenaltyView {
            id: p.id,
            reason: p.reason,
            strikes: p.strikes,
            created_at: p.created_at,
        }
    }
}

/// A category an admin created or changed, alone (without its subtree).
impl From<category::Model> for CategoryNode {
    fn from(c: category::Model) -> Self {
        CategoryNode {
            id: c.id,
            slug: c.slug,
            name: c.name,
            children: Vec::new(),
        }
    }
}
