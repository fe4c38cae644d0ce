//! What the engine is asked to price: the cart, the vendors' shipping policies, where the
//! parcel goes and what the customer already bought from running time deals.

use chrono::{DateTime, Utc};
use platform::money::Won;
use platform::postal::PostalCode;
use platform::quantity::Quantity;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::coupon::Coupon;

/// The largest line amount (unit price × quantity) or shipping fee the engine accepts:
/// ₩1조. Far above any real basket, and low enough that no sum of a cart's amounts can
/// overflow an `i64`.
pub const MAX_AMOUNT: Won = Won(1_000_000_000_000);

/// One line of the cart. The unit price is the list price read from the catalog, never a
/// price sent by the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub variant_id: Uuid,
    pub product_id: Uuid,
    pub vendor_id: Uuid,
    /// The product's category and all its ancestors.
    pub category_path: Vec<Uuid>,
    pub tags: Vec<String>,
    /// 인천 품질우수제품 (or another certification) badge currently shown.
    pub certified: bool,
    /// List price of one unit, VAT-inclusive.
    pub unit_price: Won,
    pub quantity: Quantity,
    /// `false` for tax-free (면세) goods such as raw farm produce.
    pub taxable: bool,
}

/// A vendor's shipping policy: one parcel per vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorShipping {
    pub vendor_id: Uuid,
    pub base_fee: Won,
    /// The base fee is waived when the vendor's subtotal (after all discounts) reaches this.
    pub free_threshold: Option<Won>,
}

/// Where the parcels go. Only what the surcharge depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    /// Five digits (since 2015-08-01), e.g. `"63100"`.
    pub postal_code: PostalCode,
    /// The road-name address, e.g. `"인천광역시 강화군 교동면 교동남로 123"`.
    pub road_address: Option<String>,
    /// 건물관리번호 (25 digits) when the client has it.
    pub building_no: Option<String>,
}

impl Destination {
    /// A non-remote Incheon code: where a cart is quoted before the customer gives an
    /// address, and what a product page's unit prices assume.
    pub const NON_REMOTE: PostalCode = PostalCode::known("21554");

    pub fn postal(postal_code: PostalCode) -> Self {
        Destination {
            postal_code,
            road_address: None,
            building_no: None,
        }
    }
}

/// Units of a time deal this customer already bought (in earlier orders), for the deal's
/// per-customer limit. Several entries for the same deal add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealPurchase {
    pub deal_id: Uuid,
    pub quantity: u32,
}

/// Everything that changes from one quote to the next. The promotions, the remote-area
/// table and the stacking policy change rarely and are passed to [`super::quote`] apart.
#[derive(Debug, Clone, Copy)]
pub struct QuoteRequest<'a> {
    /// The instant the quote is for; promotion and coupon windows are checked against it.
    pub at: DateTime<Utc>,
    pub lines: &'a [CartLine],
    /// One policy per vendor (at least for every vendor in the cart).
    pub shipping: &'a [VendorShipping],
    /// The coupons the customer offers (already known to be theirs and unused).
    pub coupons: &'a [Coupon],
    pub destination: &'a Destination,
    pub deal_purchases: &'a [DealPurchase],
}
