//! A settlement history for the demo vendor, made through the same Rust APIs the HTTP
//! handlers use: the demo customer buys four orders, pays with the test gateway, the
//! vendor ships and delivers, the customer confirms (one after asking to return a unit);
//! the ledger books them, the period closes, the statement is paid out by bank-transfer
//! file, and then the return is accepted: a refund booked after settlement, carried into
//! the next statement. Runs once: skipped when the demo vendor has any ledger entry.
//!
//! Everything happens now: orders cannot be back-dated through the orders API, so the
//! history is a day deep, not three months.

use super::{DEMO_LOGINS, DEMO_VENDOR_ID};
use ::catalog::store::variant;
use orders::context::OrdersContext;
use orders::error::OrdersError;
use orders::payments::test_gateway::TestGateway;
use orders::states::VendorOrderStatus;
use platform::accounts::entity::user;
use platform::auth::Role;
use platform::{ApiError, AppState};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use std::sync::Arc;
use uuid::Uuid;

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(anyhow::anyhow!("demo settlements: {e}"))
}

/// Buy `qty` of `variant_id` as `customer` and see it delivered; the order and vendor order.
async fn deliver(
    state: &AppState,
    ctx: &OrdersContext,
    customer: Uuid,
    variant_id: Uuid,
    qty: u32,
    key: &str,
) -> Result<(Uuid, Uuid), ApiError> {
    let mut cart =
        orders::carts::open(&state.db, &orders::carts::Owner::Customer(customer)).await?;
    orders::carts::set_line(&state.db, &mut cart, variant_id, qty).await?;
    let address: orders::checkout::Address = serde_json::from_value(serde_json::json!({
        "recipient": "김인천", "phone": "010-1234-5678", "postal_code": "21554",
        "road_address": "인천광역시 남동구 정각로 29", "detail": "101호"}))
    .map_err(internal)?;
    let request = |expected_total| orders::checkout::CheckoutRequest {
        address: address.clone(),
        expected_total,
        coupon_codes: Vec::new(),
    };
    // The first call answers with the quote the cart has now; the second pays that.
    let total = match orders::checkout::checkout(
        &state.db,
        ctx,
        customer,
        None,
        &format!("{key}-probe"),
        request(-1),
    )
    .await
    {
        Err(OrdersError::QuoteChanged(q)) => q["totals"]["grand_total"].as_i64().unwrap_or(0),
        Err(e) => return Err(e.into()),
        Ok(_) => return Err(internal("a probe checkout went through")),
    };
    let (_, placed) =
        orders::checkout::checkout(&state.db, ctx, customer, None, key, request(total)).await?;
    let txn = state.db.begin().await?;
    orders::lifecycle::mark_paid(&txn, placed.order_id, placed.grand_total, "demo").await?;
    txn.commit().await?;
    let order = orders::views::customer_order(&state.db, customer, placed.order_id).await?;
    let vo: Uuid = order
        .vendor_orders
        .first()
        .map(|v| v.id)
        .ok_or_else(|| internal("no vendor order"))?;
    let txn = state.db.begin().await?;
    orders::lifecycle::vendor_transition(
        &txn,
        DEMO_VENDOR_ID,
        vo,
        VendorOrderStatus::Shipped,
        Some("CJ대한통운".into()),
        Some(format!("5{}", &key[key.len().saturating_sub(9)..])),
    )
    .await?;
    orders::lifecycle::vendor_transition(
        &txn,
        DEMO_VENDOR_ID,
        vo,
        VendorOrderStatus::Delivered,
        None,
        None,
    )
    .await?;
    txn.commit().await?;
    Ok((placed.order_id, vo))
}

pub async fn seed(state: &AppState) -> Result<(), ApiError> {
    if ::settlements::ledger::balance(&state.db, DEMO_VENDOR_ID)
        .await
        .map_err(ApiError::from)?
        != 0
        || !::settlements::statements::list(&state.db, Some(DEMO_VENDOR_ID), None, 1)
            .await
            .map_err(ApiError::from)?
            .is_empty()
    {
        return Ok(());
    }
    let Some(login) = DEMO_LOGINS.iter().find(|l| l.role == Role::Customer) else {
        return Ok(());
    };
    let Some(customer) = user::Entity::find()
        .filter(user::Column::Email.eq(login.email))
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    let mut variants: Vec<variant::Model> = variant::Entity::find()
        .filter(variant::Column::VendorId.eq(DEMO_VENDOR_ID))
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|v| v.available() >= 5)
        .collect();
    variants.sort_by_key(|v| v.id);
    if variants.is_empty() {
        return Ok(());
    }
    let ctx = OrdersContext::with_gateway(Arc::new(TestGateway));
    let mut delivered = Vec::new();
    for i in 0..4usize {
        let v = &variants[i % variants.len()];
        let key = format!("demo-settlement-{}-{i}", customer.id.simple());
        delivered.push(deliver(state, &ctx, customer.id, v.id, 1 + (i % 2) as u32, &key).await?);
    }
    // The last order: the customer asks to return one unit (defective), then confirms.
    let (returned_order, returned_vo) = delivered[3];
    let returned_variant = variants[3 % variants.len()].id;
    let txn = state.db.begin().await?;
    let return_id = orders::returns::request(
        &txn,
        customer.id,
        returned_order,
        serde_json::from_value(
            serde_json::json!({"vendor_order_id": returned_vo, "reason": "defective",
            "lines": [{"variant_id": returned_variant, "quantity": 1}]}),
        )
        .map_err(internal)?,
        chrono::Utc::now(),
    )
    .await?;
    txn.commit().await?;
    for (_, vo) in &delivered {
        let txn = state.db.begin().await?;
        orders::lifecycle::confirm(&txn, *vo, Some(customer.id), "customer").await?;
        txn.commit().await?;
        ::settlements::ledger::book_vendor_order(&state.db, *vo)
            .await
            .map_err(ApiError::from)?;
    }
    // The first statement, paid.
    let db = &state.db;
    let txn = db.begin().await?;
    ::settlements::payouts::register_account(
        &txn,
        DEMO_VENDOR_ID,
        &::settlements::payouts::NewBankAccount {
            bank_code: "011".into(),
            account_number: "301-0123-4567-81".into(),
            holder: "강화순무농장".into(),
        },
    )
    .await
    .map_err(ApiError::from)?;
    txn.commit().await?;
    let period_end = promotions::seoul::day(chrono::Utc::now()) + chrono::Days::new(30);
    let admin = user::Entity::find()
        .filter(user::Column::Email.eq(DEMO_LOGINS[0].email))
        .one(db)
        .await?
        .map_or(Uuid::nil(), |a| a.id);
    let made = ::settlements::statements::close_period(db, period_end, Some(admin))
        .await
        .map_err(ApiError::from)?;
    let provider = ::settlements::payouts::BankTransferCsv;
    for st in made.iter().filter(|s| s.vendor_id == DEMO_VENDOR_ID) {
        let txn = db.begin().await?;
        let payout = ::settlements::payouts::schedule(&txn, st.id, admin, "bank_transfer_csv")
            .await
            .map_err(ApiError::from)?;
        ::settlements::payouts::send_scheduled(&txn, &provider)
            .await
            .map_err(ApiError::from)?;
        ::settlements::payouts::mark_paid(&txn, payout.id)
            .await
            .map_err(ApiError::from)?;
        txn.commit().await?;
    }
    // After settlement the vendor accepts the return: a refund booked now, offset next time.
    let txn = db.begin().await?;
    orders::returns::accept(&txn, DEMO_VENDOR_ID, return_id).await?;
    txn.commit().await?;
    ::settlements::ledger::book_vendor_order(db, returned_vo)
        .await
        .map_err(ApiError::from)?;
    Ok(())
}
