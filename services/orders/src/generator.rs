//! A large synthetic order history for benchmarks (`jikgu generate --orders N`): paid
//! orders spread over a span of days, through every channel and buyer kind, with line
//! attribution as checkout records it and some lines at a campaign price. Written with
//! set-based statements, never through checkout: a million lines take minutes, not hours.
//! Nothing in a request path calls this.
//!
//! Synthetic orders are completed and confirmed history with numbers `GEN-…`; they carry
//! their amounts on their lines only (the order totals are zero) and one vendor order
//! each (named after the first line's vendor): enough for the 실적 rollups, which read
//! lines. They raise no events, so settlements never books them.

use crate::error::OrdersResult;
use chrono::{DateTime, Utc};
use platform::db::pg;
use sea_orm::{ConnectionTrait, TransactionTrait, Value};
use uuid::Uuid;

/// A product a synthetic line may sell, with its attribution.
#[derive(Debug, Clone)]
pub struct GenProduct {
    pub product_id: Uuid,
    pub vendor_id: Uuid,
    pub title: String,
    pub category_id: Uuid,
    pub top_category_id: Uuid,
    pub certified: bool,
    pub district: String,
    pub district_comparable: String,
    pub price: i64,
}

/// Orders per statement.
const BATCH: u64 = 20_000;

/// Add paid orders holding about `lines` lines (1–4 per order, 2.5 on average) over
/// `from..to`, from `customers` customers; some lines at a 10% price of one of
/// `campaigns`. Returns the orders written.
pub async fn generate_history(
    db: &sea_orm::DatabaseConnection,
    products: &[GenProduct],
    campaigns: &[Uuid],
    lines: u64,
    customers: u32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> OrdersResult<u64> {
    if products.is_empty() {
        return Ok(0);
    }
    let orders = lines.div_ceil(5).saturating_mul(2).max(1);
    let arr = |ty, v: Vec<Value>| Value::Array(ty, Some(Box::new(v)));
    use sea_orm::sea_query::ArrayType as T;
    let mut done = 0u64;
    while done < orders {
        let n = BATCH.min(orders - done);
        let txn = db.begin().await?;
        txn.execute_raw(pg(
            "CREATE TEMP TABLE gen_products ON COMMIT DROP AS \
             SELECT (row_number() OVER () - 1)::int AS idx, * FROM unnest($1::uuid[], $2::uuid[], $3::text[], \
                 $4::uuid[], $5::uuid[], $6::bool[], $7::text[], $8::text[], $9::int8[]) \
                 AS p (product_id, vendor_id, title, category_id, top_category_id, certified, district, \
                       district_comparable, price)",
            [
                arr(T::Uuid, products.iter().map(|p| p.product_id.into()).collect()),
                arr(T::Uuid, products.iter().map(|p| p.vendor_id.into()).collect()),
                arr(T::String, products.iter().map(|p| p.title.clone().into()).collect()),
                arr(T::Uuid, products.iter().map(|p| p.category_id.into()).collect()),
                arr(T::Uuid, products.iter().map(|p| p.top_category_id.into()).collect()),
                arr(T::Bool, products.iter().map(|p| p.certified.into()).collect()),
                arr(T::String, products.iter().map(|p| p.district.clone().into()).collect()),
                arr(T::String, products.iter().map(|p| p.district_comparable.clone().into()).collect()),
                arr(T::BigInt, products.iter().map(|p| p.price.into()).collect()),
            ],
        ))
        .await?;
        txn.execute_raw(pg(
            "CREATE TEMP TABLE gen_orders ON COMMIT DROP AS \
             SELECT gen_random_uuid() AS id, gen_random_uuid() AS vo_id, \
                 md5('jikgu-customer-' || floor(random() * $2)::int)::uuid AS customer_id, \
                 $3::timestamptz + random() * ($4::timestamptz - $3::timestamptz) AS paid_at, \
                 (ARRAY['web','web','web','app','app','app','11st','lotteon'])[1 + floor(random() * 8)::int] AS channel, \
                 CASE WHEN random() < 0.85 THEN 'consumer' WHEN random() < 0.6 THEN 'organisation' \
                      ELSE 'public_institution' END AS buyer_kind, \
                 1 + floor(random() * 4)::int AS k \
             FROM generate_series(1, $1) g",
            [(n as i64).into(), i64::from(customers.max(1)).into(), from.into(), to.into()],
        ))
        .await?;
        txn.execute_raw(pg(
            "CREATE TEMP TABLE gen_lines ON COMMIT DROP AS \
             SELECT o.id AS order_id, o.vo_id, gen_random_uuid() AS line_id, l.j, l.qty, p.*, \
                 CASE WHEN cardinality($2::uuid[]) > 0 AND l.promo THEN ($2::uuid[])[1 + floor(l.c * cardinality($2::uuid[]))::int] END AS campaign_id \
             FROM gen_orders o \
             CROSS JOIN LATERAL (SELECT j, floor(random() * $1)::int AS pidx, 1 + floor(random() * 3)::int AS qty, \
                 random() < 0.3 AS promo, random() AS c FROM generate_series(1, o.k) j) l \
             JOIN gen_products p ON p.idx = l.pidx",
            [(products.len() as i64).into(), platform::db::uuid_array(campaigns)],
        ))
        .await?;
        txn.execute_unprepared(
            "INSERT INTO orders.orders (id, number, customer_id, status, list_subtotal, discount_total, shipping_total, \
                 grand_total, taxable_total, tax_free_total, recipient, phone, postal_code, road_address, address_detail, \
                 quote, payment_gateway, reserved_until, paid_at, created_at, updated_at, channel, buyer_kind) \
             SELECT id, 'GEN-' || id, customer_id, 'completed', 0, 0, 0, 0, 0, 0, '합성', '010-0000-0000', '21554', \
                 '인천광역시 남동구', '', '{}'::jsonb, 'test', paid_at, paid_at, paid_at, paid_at, channel, buyer_kind \
             FROM gen_orders; \
             INSERT INTO orders.vendor_orders (id, order_id, vendor_id, status, items_total, shipping_total, \
                 shipped_at, delivered_at, confirmed_at, created_at, updated_at) \
             SELECT DISTINCT ON (l.order_id) l.vo_id, l.order_id, l.vendor_id, 'confirmed', 0, 0, \
                 o.paid_at, o.paid_at, o.paid_at, o.paid_at, o.paid_at \
             FROM gen_lines l JOIN gen_orders o ON o.id = l.order_id ORDER BY l.order_id, l.j; \
             INSERT INTO orders.order_lines (id, order_id, vendor_order_id, product_id, variant_id, vendor_id, title, \
                 variant_name, sku, quantity, list_unit_price, unit_price, promotion_discount, coupon_discount, \
                 final_amount, taxable, withdrawal_restricted) \
             SELECT line_id, order_id, vo_id, product_id, line_id, vendor_id, title, '', '', qty, price, \
                 price - CASE WHEN campaign_id IS NULL THEN 0 ELSE price / 10 END, \
                 CASE WHEN campaign_id IS NULL THEN 0 ELSE price / 10 * qty END, 0, \
                 price * qty - CASE WHEN campaign_id IS NULL THEN 0 ELSE price / 10 * qty END, true, false \
             FROM gen_lines; \
             INSERT INTO orders.line_attribution (order_id, variant_id, vendor_id, category_id, top_category_id, \
                 campaign_id, campaign_via, district, district_comparable, certified, vendor_discount) \
             SELECT order_id, line_id, vendor_id, category_id, top_category_id, campaign_id, \
                 CASE WHEN campaign_id IS NULL THEN NULL ELSE 'price' END, district, district_comparable, certified, \
                 CASE WHEN campaign_id IS NULL THEN 0 ELSE price / 10 * qty END \
             FROM gen_lines;",
        )
        .await?;
        txn.commit().await?;
        done += n;
    }
    Ok(orders)
}

/// Whether a synthetic history was written already (the demo writes one once).
pub async fn has_history(db: &impl ConnectionTrait) -> OrdersResult<bool> {
    let row = db
        .query_one_raw(pg(
            "SELECT EXISTS (SELECT 1 FROM orders.orders WHERE number LIKE 'GEN-%') AS yes",
            [],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get("", "yes"))
        .transpose()?
        .unwrap_or(false))
}
