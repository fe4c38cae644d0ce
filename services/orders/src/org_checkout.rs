//! A member checks out its own cart for an organisation (issue 15): the same login, an
//! explicit organisation context (`POST /v1/organisations/{org_id}/checkout`). The cart is
//! priced and placed by checkout's own transaction — stock, promotions, the order, its
//! vendor orders — and the order is the organisation's: its kind is the order's buyer kind
//! (reports, the disclosure), only its members see it, and it is paid by card through the
//! gateway or on invoice within the credit line, taken in that same transaction.
//!
//! Idempotent like `/v1/checkout`: the same `Idempotency-Key` and body return the first
//! answer; the key's scope is the member in this organisation.

use crate::buyer::{self, OrganisationBuyer, OrganisationOrderPlaced, PaymentMethod};
use crate::checkout::{self, Begun, CheckoutRequest, Claimed, Placing};
use crate::context::OrdersContext;
use crate::error::{OrdersError, OrdersResult};
use crate::quotations::accept::{self, CardPayment};
use chrono::Utc;
use platform::db::pg;
use platform::organisations::service::Organisation;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationCheckoutRequest {
    /// The cart's checkout as at `/v1/checkout` (address, expected total, coupons).
    pub checkout: CheckoutRequest,
    pub payment: PaymentMethod,
    /// The organisation's own purchase-order number (발주번호), up to 50 characters.
    #[serde(default)]
    pub purchase_order_number: Option<String>,
    /// Ask each vendor for a tax invoice (세금계산서) to the organisation.
    #[serde(default)]
    pub tax_invoice: bool,
}

/// Check out `member`'s cart for `org`. Returns whether the order was created by this
/// call (false for a replay) and the answer.
#[tracing::instrument(skip_all, fields(organisation = %org.id))]
pub async fn checkout(
    db: &DatabaseConnection,
    ctx: &OrdersContext,
    member: Uuid,
    org: &Organisation,
    key: &str,
    mut req: OrganisationCheckoutRequest,
) -> OrdersResult<(bool, OrganisationOrderPlaced)> {
    let postal = checkout::checked(key, &mut req.checkout)?;
    let po = buyer::purchase_order_number(req.purchase_order_number.clone())?;
    let scope = format!("org-checkout:{}:{member}", org.id);
    let hash = checkout::request_hash(member, &req);
    let now = Utc::now();
    let txn = db.begin().await?;
    let order_id = platform::ids::new_id();
    let (cart, number) = match checkout::claim(&txn, member, &scope, key, &hash, order_id).await? {
        Claimed::Cart(cart, number) => (cart, number),
        Claimed::Replay(Begun::Replay { order_id, response }) => {
            txn.rollback().await?;
            return replay(db, ctx, member, order_id, response).await;
        }
        Claimed::Replay(Begun::Created { .. }) => {
            return Err(OrdersError::Stored(
                "a claimed key without its order".into(),
            ));
        }
    };
    let priced = checkout::price_cart(&txn, ctx, member, &cart, &req.checkout, postal, now).await?;
    let buyer = OrganisationBuyer {
        organisation_id: org.id,
        kind: org.kind,
        purchase_order_number: po,
        quotation_id: None,
    };
    let placing = Placing {
        number: &number,
        customer: member,
        order_id,
        cart: Some(cart.id),
        address: &req.checkout.address,
        organisation: Some(&buyer),
        channel: req.checkout.channel.unwrap_or_default(),
        payment: None,
    };
    checkout::place(&txn, ctx, placing, &priced, now).await?;
    let total = priced.quote.totals.grand_total.get();
    let invoice_due_on = buyer::settle_terms(
        &txn,
        org,
        order_id,
        total,
        req.payment,
        req.tax_invoice,
        now,
    )
    .await?;
    let mut placed = OrganisationOrderPlaced {
        order_id,
        order_number: number.clone(),
        grand_total: total,
        payment_method: req.payment,
        payment: None,
        invoice_due_on,
    };
    if req.payment == PaymentMethod::Invoice {
        // Nothing to open at a gateway: the answer is final with the order.
        store_answer(&txn, &scope, key, &placed).await?;
    }
    txn.commit().await?;
    if req.payment == PaymentMethod::Card {
        placed.payment = Some(
            accept::open_card_payment(
                db,
                ctx,
                CardPayment {
                    member,
                    email: None,
                    order_id,
                    number: &number,
                    total,
                    order_name: checkout::order_name(&priced),
                },
            )
            .await?,
        );
        store_answer(db, &scope, key, &placed).await?;
    }
    Ok((true, placed))
}

async fn store_answer(
    db: &impl ConnectionTrait,
    scope: &str,
    key: &str,
    placed: &OrganisationOrderPlaced,
) -> OrdersResult<()> {
    db.execute_raw(pg(
        "UPDATE orders.idempotency_keys SET response = $3 WHERE scope = $1 AND key = $2 AND response IS NULL",
        [
            scope.into(),
            key.into(),
            serde_json::to_value(placed).unwrap_or_default().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// The same key again: the stored answer, or — when the first call stopped before its
/// card payment was opened — the order with its payment opened again (the gateway's key
/// is the order's, so it is never a second charge).
async fn replay(
    db: &DatabaseConnection,
    ctx: &OrdersContext,
    member: Uuid,
    order_id: Uuid,
    response: Option<serde_json::Value>,
) -> OrdersResult<(bool, OrganisationOrderPlaced)> {
    if let Some(r) = response {
        let placed = serde_json::from_value(r)
            .map_err(|e| OrdersError::Stored(format!("organisation checkout answer: {e}")))?;
        return Ok((false, placed));
    }
    #[derive(FromQueryResult)]
    struct Placed {
        number: String,
        grand_total: i64,
    }
    let p = Placed::find_by_statement(pg(
        "SELECT number, grand_total FROM orders.orders WHERE id = $1",
        [order_id.into()],
    ))
    .one(db)
    .await?
    .ok_or(OrdersError::NotFound("order"))?;
    let order_name = crate::payments::redirect::order_name(db, order_id).await?;
    let opened = accept::open_card_payment(
        db,
        ctx,
        CardPayment {
            member,
            email: None,
            order_id,
            number: &p.number,
            total: p.grand_total,
            order_name,
        },
    )
    .await?;
    Ok((
        false,
        OrganisationOrderPlaced {
            order_id,
            order_number: p.number,
            grand_total: p.grand_total,
            payment_method: PaymentMethod::Card,
            payment: Some(opened),
            invoice_due_on: None,
        },
    ))
}
