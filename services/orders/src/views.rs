//! Order pages for customers and vendors, assembled by Postgres as JSON in one query.

use crate::error::{OrdersError, OrdersResult};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

const ORDER_JSON: &str = "jsonb_build_object(
    'id', o.id, 'number', o.number, 'status', o.status,
    'totals', jsonb_build_object('list_subtotal', o.list_subtotal, 'discount_total', o.discount_total,
        'shipping_total', o.shipping_total, 'grand_total', o.grand_total, 'taxable_total', o.taxable_total,
        'tax_free_total', o.tax_free_total, 'refunded_total', o.refunded_total),
    'address', jsonb_build_object('recipient', o.recipient, 'phone', o.phone, 'postal_code', o.postal_code,
        'road_address', o.road_address, 'detail', o.address_detail),
    'payment', jsonb_build_object('gateway', o.payment_gateway, 'payment_ref', o.payment_ref,
        'virtual_account', (SELECT p.virtual_account FROM orders.payments p WHERE p.order_id = o.id)),
    'reserved_until', o.reserved_until, 'paid_at', o.paid_at, 'created_at', o.created_at,
    'vendor_orders', (SELECT coalesce(jsonb_agg(jsonb_build_object(
        'id', v.id, 'vendor_id', v.vendor_id, 'status', v.status, 'items_total', v.items_total,
        'shipping_total', v.shipping_total, 'courier', v.courier, 'tracking_number', v.tracking_number,
        'shipped_at', v.shipped_at, 'delivered_at', v.delivered_at, 'confirmed_at', v.confirmed_at,
        'lines', (SELECT coalesce(jsonb_agg(jsonb_build_object(
            'variant_id', l.variant_id, 'product_id', l.product_id, 'title', l.title, 'variant_name', l.variant_name,
            'sku', l.sku, 'quantity', l.quantity, 'unit_price', l.unit_price, 'list_unit_price', l.list_unit_price,
            'promotion_discount', l.promotion_discount, 'coupon_discount', l.coupon_discount,
            'final_amount', l.final_amount, 'taxable', l.taxable) ORDER BY l.id), '[]') FROM orders.order_lines l
            WHERE l.vendor_order_id = v.id)) ORDER BY v.id), '[]') FROM orders.vendor_orders v WHERE v.order_id = o.id),
    'history', (SELECT coalesce(jsonb_agg(jsonb_build_object('from', h.from_status, 'to', h.to_status,
        'vendor_order_id', h.vendor_order_id, 'actor', h.actor, 'note', h.note, 'at', h.created_at) ORDER BY h.id), '[]')
        FROM orders.order_history h WHERE h.order_id = o.id))";

pub async fn customer_order(
    db: &impl ConnectionTrait,
    customer: Uuid,
    id: Uuid,
) -> OrdersResult<serde_json::Value> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("SELECT {ORDER_JSON} AS body FROM orders.orders o WHERE o.id = $1 AND o.customer_id = $2"),
            [id.into(), customer.into()],
        ))
        .await?
        .ok_or(OrdersError::NotFound("order"))?;
    Ok(row.try_get("", "body")?)
}

/// A customer's orders, newest first, with an id cursor.
pub async fn customer_orders(
    db: &impl ConnectionTrait,
    customer: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> OrdersResult<Vec<(Uuid, serde_json::Value)>> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT o.id, {ORDER_JSON} AS body FROM orders.orders o WHERE o.customer_id = $1 \
                 AND ($2::uuid IS NULL OR o.id < $2) ORDER BY o.id DESC LIMIT $3"
            ),
            [customer.into(), after.into(), (limit as i64).into()],
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "body")?)))
        .collect()
}

/// A vendor's own vendor orders (never another vendor's), newest first.
pub async fn vendor_orders(
    db: &impl ConnectionTrait,
    vendor: Uuid,
    status: Option<String>,
    after: Option<Uuid>,
    limit: u64,
) -> OrdersResult<Vec<(Uuid, serde_json::Value)>> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT v.id, jsonb_build_object('id', v.id, 'order_number', o.number, 'status', v.status,
                 'items_total', v.items_total, 'shipping_total', v.shipping_total, 'courier', v.courier,
                 'tracking_number', v.tracking_number, 'recipient', o.recipient, 'phone', o.phone,
                 'postal_code', o.postal_code, 'road_address', o.road_address, 'detail', o.address_detail,
                 'created_at', v.created_at,
                 'lines', (SELECT coalesce(jsonb_agg(jsonb_build_object('sku', l.sku, 'title', l.title,
                     'variant_name', l.variant_name, 'quantity', l.quantity, 'final_amount', l.final_amount) ORDER BY l.id), '[]')
                     FROM orders.order_lines l WHERE l.vendor_order_id = v.id)) AS body
             FROM orders.vendor_orders v JOIN orders.orders o ON o.id = v.order_id
             WHERE v.vendor_id = $1 AND v.status <> 'awaiting_payment' AND ($2::text IS NULL OR v.status = $2)
               AND ($3::uuid IS NULL OR v.id < $3)
             ORDER BY v.id DESC LIMIT $4",
            [vendor.into(), status.into(), after.into(), (limit as i64).into()],
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "body")?)))
        .collect()
}
