//! A settlement history three months deep, made through the same Rust APIs the HTTP
//! handlers use: the demo customer buys fifteen orders from the demo vendor and two
//! others, pays with the test gateway, the vendors ship and deliver, the customer confirms
//! (one after asking to return a unit). Each order is then moved back to its day over the
//! last 88 days (`orders::demo_history`, seeding only) before the ledger books it as of
//! its confirmation, so its entries fall in their months; the past months close into
//! statements, the demo vendor's older ones are paid by bank-transfer file, and then the
//! return is accepted: a refund booked after settlement, carried into the next statement.
//! Runs once: skipped when the demo vendor has any ledger entry or statement.

use super::{DEMO_LOGINS, DEMO_VENDOR_ID};
use chrono::Datelike;
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
    vendor: Uuid,
    customer: Uuid,
    variant_id: Uuid,
    qty: platform::quantity::Quantity,
    key: &str,
) -> Result<(Uuid, Uuid), ApiError> {
    let owner = orders::carts::Owner::Customer(customer);
    orders::carts::write(&state.db, &owner, variant_id, Some(qty)).await?;
    let address: orders::checkout::Address = serde_json::from_value(serde_json::json!({
        "recipient": "김인천", "phone": "010-1234-5678", "postal_code": "21554",
        "road_address": "인천광역시 남동구 정각로 29", "detail": "101호"}))
    .map_err(internal)?;
    let request = |expected_total| orders::checkout::CheckoutRequest {
        address: address.clone(),
        expected_total,
        coupon_codes: Vec::new(),
        channel: None,
    };
    // The first call answers with the quote the cart has now; the second pays that.
    let total = match orders::checkout::checkout(
        &state.db,
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
    let (_, placed) = orders::checkout::checkout(
        &state.db,
        &state.db,
        ctx,
        customer,
        None,
        key,
        request(total),
    )
    .await?;
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
        vendor,
        vo,
        VendorOrderStatus::Shipped,
        Some("CJ대한통운".into()),
        Some(format!("5{}", &key[key.len().saturating_sub(9)..])),
    )
    .await?;
    orders::lifecycle::vendor_transition(
        &txn,
        vendor,
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
    let mut variants = ::catalog::listing::variants_with_units(&state.db, 5).await?;
    variants.sort_by_key(|v| (v.vendor_id != DEMO_VENDOR_ID, v.vendor_id, v.id));
    // The demo vendor first, then two others: each with the variants it sells.
    let mut vendors: Vec<(Uuid, Vec<Uuid>)> = Vec::new();
    for v in &variants {
        if let Some((_, vs)) = vendors.iter_mut().find(|(id, _)| *id == v.vendor_id) {
            vs.push(v.id);
        } else if vendors.len() < 3 {
            vendors.push((v.vendor_id, vec![v.id]));
        }
    }
    if vendors.first().is_none_or(|(id, _)| *id != DEMO_VENDOR_ID) {
        return Ok(());
    }
    let ctx = OrdersContext::with_gateway(Arc::new(TestGateway));
    let db = &state.db;
    let now = chrono::Utc::now();
    // Fifteen orders, one every six days from 88 days ago; each confirmed three days after
    // it was placed. Most are the demo vendor's; the 13th (in the last month) is returned.
    const ORDERS: usize = 15;
    const RETURNED: usize = 12;
    let mut return_of: Option<(Uuid, Uuid)> = None;
    for i in 0..ORDERS {
        let (vendor, vs) = &vendors[match i % 4 {
            1 => 1,
            3 => 2,
            _ => 0,
        } % vendors.len()];
        let variant_id = vs[(i / 4) % vs.len()];
        let key = format!("demo-settlement-{}-{i}", customer.id.simple());
        let (order_id, vo) = deliver(
            state,
            &ctx,
            *vendor,
            customer.id,
            variant_id,
            platform::quantity::Quantity::clamped(1 + (i % 2) as i64),
            &key,
        )
        .await?;
        let placed = now - chrono::Duration::days(88 - 6 * i as i64);
        let confirmed = (placed + chrono::Duration::days(3)).min(now);
        let txn = db.begin().await?;
        if i == RETURNED {
            // The customer asks to return one unit (defective), then confirms.
            let id = orders::returns::request(
                &txn,
                customer.id,
                order_id,
                serde_json::from_value(serde_json::json!({"vendor_order_id": vo,
                    "reason": "defective", "lines": [{"variant_id": variant_id, "quantity": 1}]}))
                .map_err(internal)?,
                now,
            )
            .await?;
            return_of = Some((id, vo));
        }
        orders::lifecycle::confirm(&txn, vo, Some(customer.id), "customer").await?;
        orders::demo_history::backdate(&txn, order_id, placed, confirmed).await?;
        txn.commit().await?;
        ::settlements::ledger::book_vendor_order_as_of(db, vo, confirmed)
            .await
            .map_err(ApiError::from)?;
    }
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
    let admin = user::Entity::find()
        .filter(user::Column::Email.eq(DEMO_LOGINS[0].email))
        .one(db)
        .await?
        .map_or(Uuid::nil(), |a| a.id);
    // The last three months close, oldest first, each on its last day.
    let this_month = promotions::seoul::day(now)
        .with_day(1)
        .ok_or_else(|| internal("no first of the month"))?;
    let mut stated = Vec::new();
    for back in (0..3).rev() {
        let period_end = this_month
            .checked_sub_months(chrono::Months::new(back))
            .and_then(|d| d.pred_opt())
            .ok_or_else(|| internal("no month end"))?;
        let made = ::settlements::statements::close_period(db, period_end, Some(admin))
            .await
            .map_err(ApiError::from)?;
        stated.extend(made.into_iter().filter(|s| s.vendor_id == DEMO_VENDOR_ID));
    }
    // All but the newest statement are paid; the newest waits for its payout.
    let paid = stated.len().saturating_sub(1).max(1).min(stated.len());
    let provider = ::settlements::payouts::BankTransferCsv;
    for st in &stated[..paid] {
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
    if let Some((return_id, returned_vo)) = return_of {
        let txn = db.begin().await?;
        orders::returns::accept(&txn, DEMO_VENDOR_ID, return_id).await?;
        txn.commit().await?;
        ::settlements::ledger::book_vendor_order(db, returned_vo)
            .await
            .map_err(ApiError::from)?;
    }
    Ok(())
}
