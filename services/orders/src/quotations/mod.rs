//! Quotations (견적) for buyer organisations (issue 15).
//!
//! A member asks for a quotation for lines from several vendors, with a delivery date
//! and notes; the request is split into one part per vendor. Each vendor answers only its
//! own part (unit prices, shipping, validity, notes) or declines it. An approver accepts
//! the whole answered quotation within its validity — the earliest validity of the
//! answered parts — and that places an order at the quoted prices through checkout's
//! transaction ([`accept`]).
//!
//! ```text
//! quotation: requested ─▶ partially_answered ─▶ answered ─▶ accepted
//!                 │               │                 ├──▶ expired (validity passed)
//!                 └───────────────┴─────────────────┴──▶ withdrawn (by the organisation)
//!            requested ─▶ declined (every vendor declined)
//!            expired ─▶ answered (a vendor revised its answer with a new validity)
//! part:      requested ─▶ answered | declined;  answered ─▶ answered (revised, until accepted)
//! ```

pub mod accept;
pub mod document;
pub mod store;

use crate::checkout::Address;
use chrono::{DateTime, NaiveDate, Utc};
use platform::organisations::OrganisationKind;
use platform::status::StateMachine;
use platform::text_status;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

text_status! {
    /// Where a quotation stands.
    pub enum QuotationStatus {
        Requested = "requested",
        PartiallyAnswered = "partially_answered",
        Answered = "answered",
        Accepted = "accepted",
        Expired = "expired",
        Withdrawn = "withdrawn",
        Declined = "declined",
    }
}

impl StateMachine for QuotationStatus {
    fn can_move_to(self, to: Self) -> bool {
        use QuotationStatus::*;
        matches!(
            (self, to),
            (
                Requested,
                PartiallyAnswered | Answered | Declined | Withdrawn
            ) | (PartiallyAnswered, PartiallyAnswered | Answered | Withdrawn)
                | (Answered, Accepted | Expired | Withdrawn)
                | (Expired, Answered)
        )
    }
}

text_status! {
    /// Where one vendor's part of a quotation stands.
    pub enum PartStatus {
        Requested = "requested",
        Answered = "answered",
        Declined = "declined",
    }
}

impl StateMachine for PartStatus {
    fn can_move_to(self, to: Self) -> bool {
        matches!(
            (self, to),
            (
                PartStatus::Requested,
                PartStatus::Answered | PartStatus::Declined
            )
        )
    }
}

/// Most lines one quotation asks for.
pub const MAX_LINES: usize = 100;
/// Most units of one line.
pub const MAX_QUANTITY: u32 = 100_000;
/// Highest unit price or shipping fee a vendor may quote, in won.
pub const MAX_PRICE: i64 = 1_000_000_000;
/// Longest a quotation may stay valid.
pub const MAX_VALIDITY_DAYS: i64 = 180;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotationLineRequest {
    pub variant_id: Uuid,
    #[schema(minimum = 1, maximum = 100000)]
    pub quantity: u32,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotationRequest {
    /// The cart to quote: 1 to 100 lines, each variant once, from any vendors.
    pub lines: Vec<QuotationLineRequest>,
    /// When the goods are wanted (today or later).
    pub delivery_date: NaiveDate,
    /// Where they go (an office address).
    pub address: Address,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotedLine {
    pub variant_id: Uuid,
    /// VAT-inclusive unit price in won.
    #[schema(minimum = 0, maximum = 1000000000)]
    pub unit_price: i64,
}

/// A vendor's answer to its part: a price for every line, shipping and validity.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotationAnswer {
    pub lines: Vec<QuotedLine>,
    #[schema(minimum = 0, maximum = 1000000000)]
    pub shipping_fee: i64,
    /// Until when the prices hold (in the future, at most 180 days ahead).
    pub valid_until: DateTime<Utc>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclinePart {
    #[serde(default)]
    pub notes: String,
}

/// A line as quoted.
#[derive(Debug, Clone, Serialize, ToSchema, sea_orm::FromQueryResult)]
pub struct QuotationLineView {
    pub variant_id: Uuid,
    pub product_id: Uuid,
    pub title: String,
    pub variant_name: String,
    pub sku: String,
    pub quantity: i32,
    /// The catalog's price when the quotation was asked for.
    pub list_unit_price: i64,
    /// The vendor's price, once answered.
    pub quoted_unit_price: Option<i64>,
    /// `quoted_unit_price × quantity`, once answered.
    #[sea_orm(skip)]
    pub amount: Option<i64>,
    pub taxable: bool,
}

/// One vendor's part.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuotationPartView {
    pub vendor_id: Uuid,
    /// The seller identity the law requires on the document (absent for a vendor gone).
    pub seller: Option<catalog::storefront::SellerIdentity>,
    pub status: PartStatus,
    pub shipping_fee: Option<i64>,
    pub valid_until: Option<DateTime<Utc>>,
    pub vendor_notes: String,
    /// When the vendor last answered (its latest revision).
    pub answered_at: Option<DateTime<Utc>>,
    /// How many times the vendor revised its answer (0 for the first answer).
    pub revision: i32,
    pub lines: Vec<QuotationLineView>,
    /// Sum of the line amounts, once answered.
    pub items_total: Option<i64>,
    /// `items_total + shipping_fee`, once answered.
    pub total: Option<i64>,
}

/// The whole of an answered quotation.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct QuotationTotals {
    pub items_total: i64,
    pub shipping_total: i64,
    pub grand_total: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuotationView {
    pub id: Uuid,
    /// e.g. Q20261202-1A2B3C4D
    pub number: String,
    pub organisation_id: Uuid,
    pub organisation_kind: OrganisationKind,
    /// `expired` as soon as the validity has passed, even before anyone tried to accept.
    pub status: QuotationStatus,
    pub delivery_date: NaiveDate,
    pub notes: String,
    pub address: Address,
    pub requested_by: Uuid,
    /// The earliest validity of the answered parts: accepting after it is refused.
    pub valid_until: Option<DateTime<Utc>>,
    pub parts: Vec<QuotationPartView>,
    /// Over the answered parts.
    pub totals: QuotationTotals,
    pub order_id: Option<Uuid>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl QuotationView {
    /// The status as a reader should see it: an answered quotation past its validity is
    /// expired, whether or not anyone has tried to accept it.
    pub(crate) fn effective(mut self, now: DateTime<Utc>) -> Self {
        if self.status == QuotationStatus::Answered && self.valid_until.is_some_and(|v| v < now) {
            self.status = QuotationStatus::Expired;
        }
        self
    }
}

/// What a vendor sees: the request and its own part, nothing of other vendors'.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VendorQuotationView {
    pub quotation_id: Uuid,
    pub number: String,
    pub organisation_name: String,
    pub organisation_kind: OrganisationKind,
    pub status: QuotationStatus,
    pub delivery_date: NaiveDate,
    pub notes: String,
    pub address: Address,
    pub created_at: DateTime<Utc>,
    pub part: QuotationPartView,
}
