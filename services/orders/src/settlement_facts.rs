//! What settlements needs to know about a vendor order, read through this crate so that
//! `settlements` never names the `orders` tables: the lines with their list amounts,
//! discounts (and the promotion or coupons that granted them, from the order's quote),
//! refunds so far, shipping charged, return shipping kept, and whether a return is open.
//!
//! Who funded each discount is read from the quote too: promotions records the vendor's
//! share on the campaign, time deal or coupon and the quote carries it, so what an order
//! books never depends on a share changed after it was placed. Quotes stored before shares
//! were recorded read with the shop's rule of the time: campaign prices and time deals
//! funded by the vendor, coupons by the platform.

use crate::error::OrdersResult;
use chrono::{DateTime, Utc};
use platform::db::pg;
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

/// One order line as settlement sees it. Amounts are whole won.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFacts {
    pub line_id: Uuid,
    pub product_id: Uuid,
    pub quantity: i32,
    pub returned_quantity: i32,
    /// `list_unit_price × quantity`.
    pub list_amount: i64,
    /// The campaign price or time deal's discount on the line.
    pub promotion_discount: i64,
    /// The campaign of the promotion that applied (a time deal may have none).
    pub campaign_id: Option<Uuid>,
    /// The time deal that applied, if the promotion was one.
    pub time_deal_id: Option<Uuid>,
    /// The vendor's share of `promotion_discount`, basis points (0..=10,000).
    pub promotion_vendor_share_bp: i32,
    /// Each order coupon's share of the line.
    pub coupon_shares: Vec<CouponShareFacts>,
    /// What the customer paid for the line.
    pub final_amount: i64,
    /// Refunded of `final_amount` so far (before any return shipping kept).
    pub refunded_amount: i64,
}

/// One order coupon's share of a line, and who funds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CouponShareFacts {
    pub coupon_id: Uuid,
    pub amount: i64,
    /// The vendor's share of `amount`, basis points (0..=10,000).
    pub vendor_share_bp: i32,
}

/// The vendor's share of a campaign price or time deal in a quote stored without one.
pub const LEGACY_PROMOTION_VENDOR_SHARE_BP: i32 = 10_000;
/// The vendor's share of a coupon in a quote stored without one.
pub const LEGACY_COUPON_VENDOR_SHARE_BP: i32 = 0;

/// A share in basis points from the quote, `default` when absent; held to 0..=10,000.
fn share_bp(v: &serde_json::Value, default: i32) -> i32 {
    v.as_i64().map_or(default, |bp| bp.clamp(0, 10_000) as i32)
}

/// A vendor order as settlement sees it.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct VendorOrderFacts {
    #[sea_orm(from_alias = "id")]
    pub vendor_order_id: Uuid,
    pub order_id: Uuid,
    #[sea_orm(from_alias = "number")]
    pub order_number: String,
    pub vendor_id: Uuid,
    pub status: String,
    /// When the order was paid (its creation when unpaid): the instant rates are taken at.
    pub ordered_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The payment gateway (`test`, `stripe`, `toss`, `invoice`).
    #[sea_orm(from_alias = "payment_gateway")]
    pub payment_method: String,
    /// Shipping the customer paid for this vendor's parcel.
    pub shipping_total: i64,
    /// Return shipping kept from refunds (change of mind): the vendor's.
    #[sea_orm(from_alias = "kept")]
    pub return_shipping_kept: i64,
    /// Return requests not yet decided.
    pub open_returns: i64,
    #[sea_orm(skip)]
    pub lines: Vec<LineFacts>,
}

/// An order line as [`vendor_order`] reads it, before the quote tells its discounts.
#[derive(FromQueryResult)]
struct LineRow {
    id: Uuid,
    product_id: Uuid,
    variant_id: Uuid,
    quantity: i32,
    returned_quantity: i32,
    list_unit_price: i64,
    promotion_discount: i64,
    final_amount: i64,
    refunded_amount: i64,
}

/// The facts of one vendor order, `None` when there is no such vendor order.
pub async fn vendor_order(
    db: &impl ConnectionTrait,
    vendor_order_id: Uuid,
) -> OrdersResult<Option<VendorOrderFacts>> {
    let Some(v) = db
        .query_one_raw(pg(
            "SELECT v.id, v.order_id, o.number, v.vendor_id, v.status, COALESCE(o.paid_at, o.created_at) AS ordered_at, \
                 v.confirmed_at, o.payment_gateway, v.shipping_total, o.quote, \
                 (SELECT COALESCE(sum(r.return_shipping_fee), 0)::bigint FROM orders.returns r \
                    WHERE r.vendor_order_id = v.id AND r.status = 'accepted') AS kept, \
                 (SELECT count(*) FROM orders.returns r \
                    WHERE r.vendor_order_id = v.id AND r.status = 'requested') AS open_returns \
             FROM orders.vendor_orders v JOIN orders.orders o ON o.id = v.order_id WHERE v.id = $1",
            [vendor_order_id.into()],
        ))
        .await?
    else {
        return Ok(None);
    };
    let quote: serde_json::Value = v.try_get("", "quote")?;
    let mut facts = VendorOrderFacts::from_query_result(&v, "")?;
    let rows = LineRow::find_by_statement(pg(
        "SELECT id, product_id, variant_id, quantity, returned_quantity, list_unit_price, promotion_discount, \
             final_amount, refunded_amount FROM orders.order_lines WHERE vendor_order_id = $1 ORDER BY id",
        [vendor_order_id.into()],
    ))
    .all(db)
    .await?;
    facts.lines.reserve_exact(rows.len());
    for r in rows {
        let quoted = quote["lines"]
            .as_array()
            .and_then(|ls| {
                ls.iter()
                    .find(|l| l["variant_id"].as_str() == Some(&r.variant_id.to_string()))
            })
            .cloned()
            .unwrap_or_default();
        let applied = &quoted["applied"];
        let uuid_at = |v: &serde_json::Value| v.as_str().and_then(|s| s.parse::<Uuid>().ok());
        facts.lines.push(LineFacts {
            line_id: r.id,
            product_id: r.product_id,
            quantity: r.quantity,
            returned_quantity: r.returned_quantity,
            list_amount: r.list_unit_price * i64::from(r.quantity),
            promotion_discount: r.promotion_discount,
            campaign_id: uuid_at(&applied["campaign_id"]),
            time_deal_id: uuid_at(&applied["deal_id"]),
            promotion_vendor_share_bp: share_bp(
                &applied["vendor_share_bp"],
                LEGACY_PROMOTION_VENDOR_SHARE_BP,
            ),
            coupon_shares: quoted["coupon_shares"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| {
                    Some(CouponShareFacts {
                        coupon_id: uuid_at(&s["coupon_id"])?,
                        amount: s["amount"].as_i64()?,
                        vendor_share_bp: share_bp(
                            &s["vendor_share_bp"],
                            LEGACY_COUPON_VENDOR_SHARE_BP,
                        ),
                    })
                })
                .collect(),
            final_amount: r.final_amount,
            refunded_amount: r.refunded_amount,
        });
    }
    Ok(Some(facts))
}

/// Of `vendor_order_ids`, those with a return request not yet decided.
pub async fn with_open_returns(
    db: &impl ConnectionTrait,
    vendor_order_ids: &[Uuid],
) -> OrdersResult<Vec<Uuid>> {
    if vendor_order_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = db
        .query_all_raw(pg(
            "SELECT DISTINCT vendor_order_id FROM orders.returns \
             WHERE status = 'requested' AND vendor_order_id = ANY((SELECT $1)::uuid[])",
            [platform::db::uuid_array(vendor_order_ids)],
        ))
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get("", "vendor_order_id")?))
        .collect()
}

/// Paid but not yet confirmed sales of a vendor (preparing, shipped, delivered): what it
/// will be owed once its customers confirm.
pub async fn unconfirmed_total(db: &impl ConnectionTrait, vendor_id: Uuid) -> OrdersResult<i64> {
    let row = db
        .query_one_raw(pg(
            "SELECT COALESCE(sum(items_total + shipping_total), 0)::bigint AS n FROM orders.vendor_orders \
             WHERE vendor_id = $1 AND status IN ('preparing', 'shipped', 'delivered')",
            [vendor_id.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0))
}
