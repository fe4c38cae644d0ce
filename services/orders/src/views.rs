//! Order pages for customers and vendors: typed rows read in two statements per page
//! (the orders with their history, the vendor orders with their lines), assembled here.

use crate::error::{OrdersError, OrdersResult};
use crate::states::{OrderStatus, ReturnStatus, VendorOrderStatus};
use chrono::{DateTime, Utc};
use platform::db::pg;
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An order as its customer sees it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderView {
    pub id: Uuid,
    pub number: String,
    pub status: OrderStatus,
    pub totals: OrderTotals,
    pub address: OrderAddress,
    pub payment: OrderPayment,
    /// Until when the unpaid order holds its stock.
    pub reserved_until: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// One per vendor, each shipped on its own.
    pub vendor_orders: Vec<VendorOrderView>,
    /// Every status change, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// Whole won.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema, FromQueryResult)]
pub struct OrderTotals {
    pub list_subtotal: i64,
    /// Promotions, order coupons and waived shipping together.
    pub discount_total: i64,
    pub shipping_total: i64,
    pub grand_total: i64,
    pub taxable_total: i64,
    pub tax_free_total: i64,
    pub refunded_total: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, FromQueryResult)]
pub struct OrderAddress {
    pub recipient: String,
    pub phone: String,
    pub postal_code: String,
    pub road_address: String,
    #[sea_orm(from_alias = "address_detail")]
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderPayment {
    pub gateway: String,
    /// The gateway's id of the payment, once opened.
    pub payment_ref: Option<String>,
    /// A virtual account (가상계좌) issued for the order: deposit into it by its due date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_account: Option<crate::payments::redirect::VirtualAccountView>,
}

/// One vendor's part of an order.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, FromQueryResult)]
pub struct VendorOrderView {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub status: VendorOrderStatus,
    pub items_total: i64,
    pub shipping_total: i64,
    pub courier: Option<String>,
    pub tracking_number: Option<String>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub confirmed_at: Option<DateTime<Utc>>,
    #[sea_orm(skip)]
    pub lines: Vec<OrderLineView>,
}

/// What was bought, at the prices of the checkout.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, FromQueryResult)]
pub struct OrderLineView {
    pub variant_id: Uuid,
    pub product_id: Uuid,
    pub title: String,
    pub variant_name: String,
    pub sku: String,
    pub quantity: i32,
    pub unit_price: i64,
    pub list_unit_price: i64,
    pub promotion_discount: i64,
    pub coupon_discount: i64,
    pub final_amount: i64,
    pub taxable: bool,
}

/// One status change of the order or of one of its vendor orders. `from` and `to` are
/// order or vendor-order statuses, or a return's steps (`return_requested`,
/// `return_accepted`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, FromQueryResult)]
pub struct HistoryEntry {
    pub from: Option<String>,
    pub to: String,
    pub vendor_order_id: Option<Uuid>,
    /// `customer`, `vendor`, `system` or the payment gateway's name.
    pub actor: String,
    pub note: String,
    pub at: DateTime<Utc>,
}

/// A vendor order as its vendor sees it, with where to ship it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, FromQueryResult)]
pub struct VendorOrderSummary {
    pub id: Uuid,
    pub order_number: String,
    pub status: VendorOrderStatus,
    pub items_total: i64,
    pub shipping_total: i64,
    pub courier: Option<String>,
    pub tracking_number: Option<String>,
    pub recipient: String,
    pub phone: String,
    pub postal_code: String,
    pub road_address: String,
    #[sea_orm(from_alias = "address_detail")]
    pub detail: String,
    pub created_at: DateTime<Utc>,
    #[sea_orm(skip)]
    pub lines: Vec<VendorLineView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, FromQueryResult)]
pub struct VendorLineView {
    pub sku: String,
    pub title: String,
    pub variant_name: String,
    pub quantity: i32,
    pub final_amount: i64,
}

/// A return request, as opened.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReturnOpened {
    pub return_id: Uuid,
    pub status: ReturnStatus,
}

/// A return the vendor accepted, and what was refunded for it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReturnAccepted {
    pub return_id: Uuid,
    pub status: ReturnStatus,
    /// Whole won paid back, after the return shipping a change of mind costs.
    pub refund: i64,
}

// ---- rows ----

/// An order row joined with one of its history entries (every order has at least one).
#[derive(Debug, FromQueryResult)]
struct OrderHistoryRow {
    id: Uuid,
    number: String,
    status: OrderStatus,
    #[sea_orm(nested)]
    totals: OrderTotals,
    #[sea_orm(nested)]
    address: OrderAddress,
    payment_gateway: String,
    payment_ref: Option<String>,
    virtual_account: Option<serde_json::Value>,
    reserved_until: DateTime<Utc>,
    paid_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    #[sea_orm(nested(prefix = "h_"))]
    history: Option<HistoryEntry>,
}

impl OrderHistoryRow {
    fn order(&self) -> OrderView {
        OrderView {
            id: self.id,
            number: self.number.clone(),
            status: self.status,
            totals: self.totals,
            address: self.address.clone(),
            payment: OrderPayment {
                gateway: self.payment_gateway.clone(),
                payment_ref: self.payment_ref.clone(),
                virtual_account: self
                    .virtual_account
                    .clone()
                    .and_then(|v| serde_json::from_value(v).ok()),
            },
            reserved_until: self.reserved_until,
            paid_at: self.paid_at,
            created_at: self.created_at,
            vendor_orders: Vec::new(),
            history: Vec::new(),
        }
    }
}

/// A vendor order row joined with one of its lines.
#[derive(Debug, FromQueryResult)]
struct VendorOrderLineRow {
    order_id: Uuid,
    #[sea_orm(nested)]
    vendor_order: VendorOrderView,
    #[sea_orm(nested)]
    line: Option<OrderLineView>,
}

const ORDER_COLUMNS: &str = "o.id, o.number, o.status, o.list_subtotal, o.discount_total, o.shipping_total, \
    o.grand_total, o.taxable_total, o.tax_free_total, o.refunded_total, o.recipient, o.phone, o.postal_code, \
    o.road_address, o.address_detail, o.payment_gateway, o.payment_ref, \
    (SELECT p.virtual_account FROM orders.payments p WHERE p.order_id = o.id) AS virtual_account, \
    o.reserved_until, o.paid_at, o.created_at, \
    h.from_status AS h_from, h.to_status AS h_to, h.vendor_order_id AS h_vendor_order_id, h.actor AS h_actor, \
    h.note AS h_note, h.created_at AS h_at";

/// The orders `orders` selects (a subquery aliased `o`, in page order), each whole.
async fn assemble(
    db: &impl ConnectionTrait,
    orders: &str,
    values: Vec<sea_orm::Value>,
) -> OrdersResult<Vec<OrderView>> {
    let rows = OrderHistoryRow::find_by_statement(pg(
        format!(
            "SELECT {ORDER_COLUMNS} FROM ({orders}) o \
             LEFT JOIN orders.order_history h ON h.order_id = o.id ORDER BY o.id DESC, h.id"
        ),
        values,
    ))
    .all(db)
    .await?;
    let mut views: Vec<OrderView> = Vec::new();
    for row in rows {
        if views.last().is_none_or(|v| v.id != row.id) {
            views.push(row.order());
        }
        if let (Some(view), Some(entry)) = (views.last_mut(), row.history) {
            view.history.push(entry);
        }
    }
    if views.is_empty() {
        return Ok(views);
    }
    let ids: Vec<Uuid> = views.iter().map(|v| v.id).collect();
    let parts = VendorOrderLineRow::find_by_statement(pg(
        "SELECT v.order_id, v.id, v.vendor_id, v.status, v.items_total, v.shipping_total, v.courier, \
             v.tracking_number, v.shipped_at, v.delivered_at, v.confirmed_at, \
             l.variant_id, l.product_id, l.title, l.variant_name, l.sku, l.quantity, l.unit_price, \
             l.list_unit_price, l.promotion_discount, l.coupon_discount, l.final_amount, l.taxable \
         FROM orders.vendor_orders v LEFT JOIN orders.order_lines l ON l.vendor_order_id = v.id \
         WHERE v.order_id = ANY($1) ORDER BY v.order_id, v.id, l.id",
        [ids.into()],
    ))
    .all(db)
    .await?;
    for part in parts {
        let Some(view) = views.iter_mut().find(|v| v.id == part.order_id) else {
            continue;
        };
        if view
            .vendor_orders
            .last()
            .is_none_or(|v| v.id != part.vendor_order.id)
        {
            view.vendor_orders.push(part.vendor_order);
        }
        if let (Some(vo), Some(line)) = (view.vendor_orders.last_mut(), part.line) {
            vo.lines.push(line);
        }
    }
    Ok(views)
}

/// Whose orders a read may see: a customer's own, or those bought for an organisation.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    Customer(Uuid),
    Organisation(Uuid),
}

impl Owner {
    fn column(self) -> (&'static str, Uuid) {
        match self {
            Owner::Customer(id) => ("customer_id", id),
            Owner::Organisation(id) => ("organisation_id", id),
        }
    }
}

/// One of the owner's orders, whole (404 for anyone else's).
pub async fn owned_order(
    db: &impl ConnectionTrait,
    owner: Owner,
    id: Uuid,
) -> OrdersResult<OrderView> {
    let (column, owner) = owner.column();
    assemble(
        db,
        &format!("SELECT * FROM orders.orders WHERE id = $1 AND {column} = $2"),
        vec![id.into(), owner.into()],
    )
    .await?
    .pop()
    .ok_or(OrdersError::NotFound("order"))
}

/// The owner's orders, newest first, with an id cursor.
pub async fn owned_orders(
    db: &impl ConnectionTrait,
    owner: Owner,
    after: Option<Uuid>,
    limit: u64,
) -> OrdersResult<Vec<OrderView>> {
    let (column, owner) = owner.column();
    assemble(
        db,
        &format!(
            "SELECT * FROM orders.orders WHERE {column} = $1 \
             AND ($2::uuid IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
        ),
        vec![owner.into(), after.into(), (limit as i64).into()],
    )
    .await
}

/// One of the customer's orders, whole.
pub async fn customer_order(
    db: &impl ConnectionTrait,
    customer: Uuid,
    id: Uuid,
) -> OrdersResult<OrderView> {
    owned_order(db, Owner::Customer(customer), id).await
}

/// A customer's orders, newest first, with an id cursor.
pub async fn customer_orders(
    db: &impl ConnectionTrait,
    customer: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> OrdersResult<Vec<OrderView>> {
    owned_orders(db, Owner::Customer(customer), after, limit).await
}

/// What paying an order needs to know of it.
#[derive(Debug, FromQueryResult)]
pub struct PayableOrder {
    pub payment_ref: Option<String>,
    pub grand_total: i64,
}

/// The customer's order's payment reference and total (404 for anyone else's order).
pub async fn payable_order(
    db: &impl ConnectionTrait,
    customer: Uuid,
    id: Uuid,
) -> OrdersResult<PayableOrder> {
    PayableOrder::find_by_statement(pg(
        "SELECT payment_ref, grand_total FROM orders.orders WHERE id = $1 AND customer_id = $2",
        [id.into(), customer.into()],
    ))
    .one(db)
    .await?
    .ok_or(OrdersError::NotFound("order"))
}

/// A vendor order joined with its order and one of its lines.
#[derive(Debug, FromQueryResult)]
struct VendorSummaryRow {
    #[sea_orm(nested)]
    summary: VendorOrderSummary,
    #[sea_orm(nested)]
    line: Option<VendorLineView>,
}

/// A vendor's own vendor orders (never another vendor's), newest first.
pub async fn vendor_orders(
    db: &impl ConnectionTrait,
    vendor: Uuid,
    status: Option<String>,
    after: Option<Uuid>,
    limit: u64,
) -> OrdersResult<Vec<VendorOrderSummary>> {
    let rows = VendorSummaryRow::find_by_statement(pg(
        "SELECT v.id, o.number AS order_number, v.status, v.items_total, v.shipping_total, v.courier, \
             v.tracking_number, o.recipient, o.phone, o.postal_code, o.road_address, o.address_detail, \
             v.created_at, l.sku, l.title, l.variant_name, l.quantity, l.final_amount \
         FROM (SELECT * FROM orders.vendor_orders WHERE vendor_id = $1 AND status <> $5 \
               AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR id < $3) \
               ORDER BY id DESC LIMIT $4) v \
         JOIN orders.orders o ON o.id = v.order_id \
         LEFT JOIN orders.order_lines l ON l.vendor_order_id = v.id \
         ORDER BY v.id DESC, l.id",
        [
            vendor.into(),
            status.into(),
            after.into(),
            (limit as i64).into(),
            VendorOrderStatus::AwaitingPayment.into(),
        ],
    ))
    .all(db)
    .await?;
    let mut views: Vec<VendorOrderSummary> = Vec::new();
    for r in rows {
        if views.last().is_none_or(|v| v.id != r.summary.id) {
            views.push(r.summary);
        }
        if let (Some(view), Some(line)) = (views.last_mut(), r.line) {
            view.lines.push(line);
        }
    }
    Ok(views)
}
