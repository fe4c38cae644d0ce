//! The redirect-then-confirm flow that Toss and the test gateway share.
//!
//! 1. Checkout answers a [`RedirectCheckout`]: the browser opens the payment window.
//! 2. The window redirects to the success URL with `paymentKey`, `orderId` and `amount`;
//!    the front end posts them to `POST /v1/payments/{gateway}/confirm`.
//! 3. The server checks them against the order (nothing is sent when they differ) and
//!    confirms with the gateway, holding the payment row's lock: twenty concurrent
//!    confirms of one payment make one call and get one answer.
//! 4. `DONE` pays the order through [`apply::apply_in`], the path a Stripe success takes;
//!    a virtual account waits for its deposit with the stock held until its due date; a
//!    lost answer leaves the payment in doubt for [`super::toss::flow::settle_in_doubt`].
//!
//! A payment that completes for an order whose hold has lapsed is cancelled at the
//! gateway at once, and the shopper gets `payment_after_expiry`.

use super::apply::{self, apply_in};
use super::toss::wire::{self, Payment, Status};
use super::toss::{TossError, TossGateway, valid_order_id, valid_payment_key};
use super::{GatewayEvent, GatewayEventKind, PaymentStatus};
use crate::context::OrdersContext;
use crate::error::{OrdersError, OrdersResult};
use crate::history;
use crate::lifecycle;
use crate::states::{OrderStatus, PaymentState};
use chrono::{DateTime, FixedOffset, Utc};
use platform::db::pg;
use platform::error::ErrorCode;
use platform::money::Won;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, TransactionTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the success URL received, posted by the front end.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfirmRequest {
    pub payment_key: String,
    /// The order number.
    pub order_id: String,
    /// Whole won.
    #[serde(deserialize_with = "platform::bounds::within::<_, _, 0, 1_000_000_000_000>")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub amount: i64,
}

/// What the fail URL received, posted by the front end.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FailRequest {
    pub code: String,
    #[serde(default)]
    pub message: String,
    /// The order number.
    pub order_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmStatus {
    /// The order is paid.
    Paid,
    /// A virtual account was issued: the order waits for the deposit.
    WaitingForDeposit,
    /// The gateway's answer was lost; the shop finds out and settles the order. Show
    /// "checking your payment" and read the order again.
    InDoubt,
}

/// The account a shopper deposits into (가상계좌).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VirtualAccountView {
    pub account_number: String,
    /// Toss's bank code (e.g. "20" 우리은행).
    pub bank_code: String,
    pub customer_name: Option<String>,
    /// Deposit by this time; the order's stock is held until then.
    pub due_date: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConfirmResponse {
    pub order_id: Uuid,
    pub order_number: String,
    pub status: ConfirmStatus,
    pub amount: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_account: Option<VirtualAccountView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FailResponse {
    pub order_id: Uuid,
    pub order_number: String,
    /// The order's status afterwards (`canceled` when its hold was released).
    pub status: OrderStatus,
}

/// The order and its payment, read under the payment row's lock.
#[derive(Debug, Clone, FromQueryResult)]
pub(crate) struct Locked {
    pub id: Uuid,
    pub number: String,
    pub customer_id: Uuid,
    pub status: OrderStatus,
    pub grand_total: i64,
    pub reserved_until: DateTime<Utc>,
    pub payment_status: PaymentState,
    pub payment_key: Option<String>,
    pub virtual_account: Option<serde_json::Value>,
    pub deposit_secret: Option<String>,
    /// A confirm's answer was lost: the payment may have gone through.
    pub in_doubt: bool,
}

pub(crate) async fn lock_by_number(
    db: &impl ConnectionTrait,
    gateway: &str,
    number: &str,
) -> OrdersResult<Option<Locked>> {
    Ok(Locked::find_by_statement(pg(
        "SELECT o.id, o.number, o.customer_id, o.status, o.grand_total, o.reserved_until, \
                p.status AS payment_status, p.payment_key, p.virtual_account, p.deposit_secret, \
                p.in_doubt_since IS NOT NULL AS in_doubt \
         FROM orders.orders o JOIN orders.payments p ON p.order_id = o.id \
         WHERE o.number = $1 AND p.gateway = $2 FOR UPDATE OF p",
        [number.into(), gateway.into()],
    ))
    .one(db)
    .await?)
}

/// What the gateway said about a payment, in the flow's terms.
#[derive(Debug)]
pub(crate) enum Said {
    Done {
        payment_key: String,
        amount: i64,
    },
    Waiting {
        payment_key: String,
        account: VirtualAccountView,
        secret: Option<String>,
    },
    /// Cancelled, aborted or expired at the gateway.
    Gone {
        payment_key: String,
        status: Status,
    },
    PartiallyRefunded {
        payment_key: String,
        refunded: i64,
        last_transaction: String,
    },
    Refused(OrdersError),
    InDoubt {
        payment_key: String,
        why: String,
    },
}

fn problem(code: ErrorCode, message: impl Into<String>) -> OrdersError {
    OrdersError::Payment(code, message.into())
}

/// Toss's error codes a shopper can meet, each to a stable code of ours.
pub fn map_toss_error(body: &wire::ErrorBody) -> OrdersError {
    let msg = format!("{}: {}", body.code, body.message);
    match body.code.as_str() {
        "ALREADY_PROCESSED_PAYMENT" | "DUPLICATED_ORDER_ID" => {
            problem(ErrorCode::PaymentAlreadyProcessed, msg)
        }
        "BELOW_MINIMUM_AMOUNT" => problem(ErrorCode::PaymentBelowMinimum, msg),
        "PROVIDER_ERROR"
        | "FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING"
        | "FAILED_INTERNAL_SYSTEM_PROCESSING"
        | "UNKNOWN_PAYMENT_ERROR"
        | "FAILED_CARD_COMPANY_RESPONSE" => problem(ErrorCode::PaymentProviderError, msg),
        "NOT_FOUND_PAYMENT" | "NOT_FOUND_PAYMENT_SESSION" => {
            problem(ErrorCode::PaymentNotFound, msg)
        }
        // The shop's keys are wrong: not the shopper's doing, and never a 500.
        "INVALID_API_KEY" | "UNAUTHORIZED_KEY" | "INVALID_AUTHORIZE_AUTH" => {
            tracing::error!(code = %body.code, "toss refused the shop's API key");
            OrdersError::Gateway(super::GatewayError::Unavailable(msg))
        }
        "REJECT_CARD_PAYMENT"
        | "REJECT_CARD_COMPANY"
        | "REJECT_ACCOUNT_PAYMENT"
        | "INVALID_CARD_NUMBER"
        | "INVALID_CARD_EXPIRATION"
        | "INVALID_STOPPED_CARD"
        | "INVALID_REJECT_CARD"
        | "INVALID_PASSWORD"
        | "EXCEED_MAX_DAILY_PAYMENT_COUNT"
        | "EXCEED_MAX_PAYMENT_AMOUNT"
        | "EXCEED_MAX_AMOUNT"
        | "EXCEED_MAX_CARD_INSTALLMENT_PLAN"
        | "NOT_AVAILABLE_PAYMENT"
        | "NOT_ALLOWED_POINT_USE"
        | "PAY_PROCESS_CANCELED"
        | "PAY_PROCESS_ABORTED" => problem(ErrorCode::PaymentDeclined, msg),
        _ => problem(ErrorCode::PaymentRefused, msg),
    }
}

/// Read a Payment Toss gave (by confirm or by fetch) for the order `number` of `total` won.
pub(crate) fn said_of(p: Payment, number: &str, total: i64) -> Said {
    if p.order_id != number || p.total_amount != total {
        tracing::error!(
            payment_key = %p.payment_key, toss_order = %p.order_id, order = %number,
            toss_amount = p.total_amount, amount = total,
            "a toss payment does not match its order"
        );
        return Said::Refused(problem(
            ErrorCode::PaymentMismatch,
            "the payment does not match the order",
        ));
    }
    let payment_key = p.payment_key.clone();
    match p.status {
        Status::Done => Said::Done {
            payment_key,
            amount: p.total_amount,
        },
        Status::WaitingForDeposit => match p.virtual_account {
            Some(va) => Said::Waiting {
                payment_key,
                account: VirtualAccountView {
                    account_number: va.account_number,
                    bank_code: va.bank_code,
                    customer_name: va.customer_name,
                    due_date: va.due_date,
                },
                secret: p.secret,
            },
            None => Said::InDoubt {
                payment_key,
                why: "waiting for a deposit without an account".into(),
            },
        },
        Status::Canceled | Status::Aborted | Status::Expired => Said::Gone {
            payment_key,
            status: p.status,
        },
        Status::PartialCanceled => Said::PartiallyRefunded {
            payment_key,
            refunded: p.total_amount - p.balance_amount,
            last_transaction: p.last_transaction_key.unwrap_or_default(),
        },
        Status::Ready | Status::InProgress | Status::Unknown => Said::InDoubt {
            payment_key,
            why: format!("toss says {}", p.status.as_str()),
        },
    }
}

/// The Idempotency-Key of a confirm: the order and the payment, so a retry of the same
/// payment is replayed by Toss and a second payment window for the same order is not.
pub fn confirm_key(order_number: &str, payment_key: &str) -> String {
    format!("confirm-{order_number}-{payment_key}")
}

async fn toss_confirm(toss: &TossGateway, req: &ConfirmRequest, total: i64) -> Said {
    let body = wire::ConfirmRequest {
        payment_key: req.payment_key.clone(),
        order_id: req.order_id.clone(),
        amount: req.amount,
    };
    let in_doubt = |why: String| Said::InDoubt {
        payment_key: req.payment_key.clone(),
        why,
    };
    match toss
        .confirm_payment(&body, &confirm_key(&req.order_id, &req.payment_key))
        .await
    {
        Ok(p) => said_of(p, &req.order_id, total),
        // Confirmed before (a retry whose first answer was lost): what does Toss hold?
        Err(TossError::Toss { body, .. }) if body.code == "ALREADY_PROCESSED_PAYMENT" => {
            match toss.payment(&req.payment_key).await {
                Ok(p) => said_of(p, &req.order_id, total),
                Err(TossError::Toss { .. }) => Said::Refused(map_toss_error(&body)),
                Err(e) => in_doubt(e.to_string()),
            }
        }
        Err(TossError::Toss { body, .. }) => Said::Refused(map_toss_error(&body)),
        Err(e) => in_doubt(e.to_string()),
    }
}

async fn test_confirm(ctx: &OrdersContext, row: &Locked, req: &ConfirmRequest) -> Said {
    let outcome = ctx
        .gateway
        .confirm(super::ConfirmPayment {
            payment_ref: req.payment_key.clone(),
            order_id: row.id,
            amount: Won(req.amount),
            idempotency_key: confirm_key(&row.number, &req.payment_key),
        })
        .await;
    match outcome {
        Ok(o) if o.status == PaymentStatus::Succeeded => Said::Done {
            payment_key: o.payment_ref,
            amount: o.amount.get(),
        },
        Ok(o) => Said::InDoubt {
            payment_key: req.payment_key.clone(),
            why: format!("{:?}", o.status),
        },
        Err(super::GatewayError::Unavailable(why)) => Said::InDoubt {
            payment_key: req.payment_key.clone(),
            why,
        },
        Err(e) => Said::Refused(problem(ErrorCode::PaymentRefused, e.to_string())),
    }
}

/// What settling did, for the answer and for the work left after the commit.
#[derive(Debug, Clone)]
pub(crate) enum Settled {
    Paid,
    Waiting(VirtualAccountView),
    InDoubt,
    /// Completed after the order closed: cancel it at the gateway, then tell the shopper.
    LateCancel {
        payment_key: String,
    },
    /// A late payment that `mark_paid` could not keep (the Stripe-shaped path).
    LateRefund(apply::LateRefund),
    Unchanged,
}

async fn bind_key(txn: &impl ConnectionTrait, order_id: Uuid, key: &str) -> OrdersResult<()> {
    txn.execute_raw(pg(
        "WITH p AS (UPDATE orders.payments SET payment_key = $2, payment_ref = $2, in_doubt_since = NULL, in_doubt_checked_at = NULL, \
                    updated_at = now() WHERE order_id = $1) \
         UPDATE orders.orders SET payment_ref = $2, updated_at = now() WHERE id = $1",
        [order_id.into(), key.into()],
    ))
    .await?;
    Ok(())
}

/// Apply what the gateway said, inside the caller's transaction (which holds the payment
/// row's lock from [`lock_by_number`]).
pub(crate) async fn settle_in(
    txn: &impl ConnectionTrait,
    gateway: &str,
    row: &Locked,
    said: Said,
) -> OrdersResult<Settled> {
    match said {
        Said::Done {
            payment_key,
            amount,
        } => {
            if row.payment_status == PaymentState::Succeeded {
                return Ok(Settled::Paid);
            }
            bind_key(txn, row.id, &payment_key).await?;
            let order = lifecycle::lock_order(txn, row.id).await?;
            if order.status.is_closed() {
                apply::set_payment_status(txn, &payment_key, PaymentState::Canceling).await?;
                history::record(
                    txn,
                    row.id,
                    None,
                    Some(order.status.as_str()),
                    order.status.as_str(),
                    "system",
                    "paid after the hold lapsed: payment cancelled at the gateway",
                )
                .await?;
                return Ok(Settled::LateCancel { payment_key });
            }
            let event = GatewayEvent {
                event_id: format!("{payment_key}:DONE"),
                kind: GatewayEventKind::PaymentSucceeded {
                    payment_ref: payment_key,
                    order_id: Some(row.id),
                    amount: Won(amount),
                },
            };
            let (_, late) = apply_in(txn, gateway, event).await?;
            Ok(match late {
                Some(l) => Settled::LateRefund(l),
                None => Settled::Paid,
            })
        }
        Said::Waiting {
            payment_key,
            account,
            secret,
        } => {
            if row.payment_status == PaymentState::WaitingForDeposit {
                return Ok(Settled::Waiting(account));
            }
            bind_key(txn, row.id, &payment_key).await?;
            // The stock stays held until the deposit is due.
            txn.execute_raw(pg(
                "WITH p AS (UPDATE orders.payments SET status = $5, virtual_account = $2, \
                            deposit_secret = $3, updated_at = now() WHERE order_id = $1 AND status = 'open') \
                 UPDATE orders.orders SET reserved_until = GREATEST(reserved_until, $4), updated_at = now() \
                 WHERE id = $1 AND status = 'pending_payment'",
                [
                    row.id.into(),
                    serde_json::to_value(&account).unwrap_or_default().into(),
                    secret.into(),
                    account.due_date.with_timezone(&Utc).into(),
                    PaymentState::WaitingForDeposit.into(),
                ],
            ))
            .await?;
            history::record(
                txn,
                row.id,
                None,
                Some(OrderStatus::PendingPayment.as_str()),
                OrderStatus::PendingPayment.as_str(),
                gateway,
                "virtual account issued; waiting for the deposit",
            )
            .await?;
            Ok(Settled::Waiting(account))
        }
        Said::Gone {
            payment_key,
            status,
        } => {
            let kind = if status == Status::Canceled {
                GatewayEventKind::PaymentCanceled {
                    payment_ref: row.payment_key.clone().unwrap_or(payment_key.clone()),
                    order_id: Some(row.id),
                }
            } else {
                GatewayEventKind::PaymentFailed {
                    payment_ref: row.payment_key.clone().unwrap_or(payment_key.clone()),
                    order_id: Some(row.id),
                }
            };
            txn.execute_raw(pg(
                "UPDATE orders.payments SET in_doubt_since = NULL, updated_at = now(), \
                     status = CASE WHEN status IN ('open', 'waiting_for_deposit') THEN $2 ELSE status END \
                 WHERE order_id = $1",
                [
                    row.id.into(),
                    if status == Status::Canceled {
                        PaymentState::Canceled
                    } else {
                        PaymentState::Failed
                    }
                    .into(),
                ],
            ))
            .await?;
            let event = GatewayEvent {
                event_id: format!("{payment_key}:{}", status.as_str()),
                kind,
            };
            apply_in(txn, gateway, event).await?;
            Ok(Settled::Unchanged)
        }
        Said::PartiallyRefunded {
            payment_key,
            refunded,
            last_transaction,
        } => {
            let event = GatewayEvent {
                event_id: format!("{payment_key}:PARTIAL_CANCELED:{last_transaction}"),
                kind: GatewayEventKind::Refunded {
                    payment_ref: payment_key,
                    amount_refunded: Won(refunded),
                },
            };
            apply_in(txn, gateway, event).await?;
            Ok(Settled::Unchanged)
        }
        Said::InDoubt { payment_key, why } => {
            tracing::warn!(order = %row.number, %why, "payment in doubt; it will be fetched back");
            txn.execute_raw(pg(
                "UPDATE orders.payments SET payment_key = $2, in_doubt_since = COALESCE(in_doubt_since, now()), \
                     updated_at = now() WHERE order_id = $1",
                [row.id.into(), payment_key.into()],
            ))
            .await?;
            Ok(Settled::InDoubt)
        }
        Said::Refused(e) => Err(e),
    }
}

/// After the commit: cancel a payment that completed too late, refund one that
/// `mark_paid` could not keep.
pub(crate) async fn after_commit(
    db: &DatabaseConnection,
    ctx: &OrdersContext,
    order_id: Uuid,
    settled: &Settled,
) -> OrdersResult<()> {
    match settled {
        Settled::LateCancel { payment_key } => {
            let res = match &ctx.toss {
                Some(toss) => toss
                    .cancel_payment(
                        payment_key,
                        &wire::CancelRequest {
                            cancel_reason: "주문 유효시간 만료로 자동 취소".into(),
                            cancel_amount: None,
                            tax_free_amount: None,
                            refund_receive_account: None,
                        },
                        &format!("late-cancel-{order_id}"),
                    )
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                None => ctx
                    .gateway
                    .cancel(payment_key, &format!("late-cancel-{order_id}"))
                    .await
                    .map_err(|e| e.to_string()),
            };
            match res {
                Ok(()) => {
                    apply::set_payment_status(db, payment_key, PaymentState::Canceled).await?
                }
                Err(e) => {
                    tracing::error!(%order_id, error = %e, "cancelling a late payment failed; it stays 'canceling'")
                }
            }
        }
        Settled::LateRefund(l) => apply::refund_late(db, ctx.gateway.as_ref(), l.clone()).await?,
        _ => {}
    }
    Ok(())
}

fn answer(row: &Locked, settled: &Settled) -> OrdersResult<ConfirmResponse> {
    let (status, virtual_account) = match settled {
        Settled::Paid => (ConfirmStatus::Paid, None),
        Settled::Waiting(va) => (ConfirmStatus::WaitingForDeposit, Some(va.clone())),
        Settled::InDoubt => (ConfirmStatus::InDoubt, None),
        Settled::LateCancel { .. } | Settled::LateRefund(_) => {
            return Err(after_expiry());
        }
        Settled::Unchanged => {
            return Err(problem(
                ErrorCode::PaymentDeclined,
                "the payment was cancelled or did not complete",
            ));
        }
    };
    Ok(ConfirmResponse {
        order_id: row.id,
        order_number: row.number.clone(),
        status,
        amount: row.grand_total,
        virtual_account,
    })
}

fn after_expiry() -> OrdersError {
    problem(
        ErrorCode::PaymentAfterExpiry,
        "the order's hold lapsed before the payment completed; the payment was cancelled and nothing is charged",
    )
}

/// The `orderId` a payment window hands back, as `confirm` and `fail` both refuse it before
/// looking the order up.
fn check_order_id(order_id: &str) -> OrdersResult<()> {
    if valid_order_id(order_id) {
        Ok(())
    } else {
        Err(OrdersError::field(
            "orderId",
            "invalid_order_id",
            "6 to 64 characters of A-Z, a-z, 0-9, - and _",
        ))
    }
}

/// `POST /v1/payments/{gateway}/confirm`.
pub async fn confirm(
    db: &DatabaseConnection,
    ctx: &OrdersContext,
    customer: Uuid,
    req: ConfirmRequest,
) -> OrdersResult<ConfirmResponse> {
    check_order_id(&req.order_id)?;
    if !valid_payment_key(&req.payment_key) {
        return Err(OrdersError::field(
            "paymentKey",
            "invalid_payment_key",
            "the paymentKey the success URL received",
        ));
    }
    let gateway = ctx.gateway.name();
    let txn = db.begin().await?;
    let row = lock_by_number(&txn, gateway, &req.order_id)
        .await?
        .filter(|r| r.customer_id == customer)
        .ok_or(OrdersError::NotFound("order"))?;
    let same_key = row.payment_key.as_deref() == Some(req.payment_key.as_str());
    // Settled before (a concurrent or repeated confirm): the same answer.
    use PaymentState as P;
    match row.payment_status {
        P::Succeeded | P::WaitingForDeposit if same_key => {
            let settled = if row.payment_status == P::Succeeded {
                Settled::Paid
            } else {
                match row
                    .virtual_account
                    .clone()
                    .map(serde_json::from_value::<VirtualAccountView>)
                {
                    Some(Ok(va)) => Settled::Waiting(va),
                    _ => Settled::InDoubt,
                }
            };
            return answer(&row, &settled);
        }
        P::Succeeded | P::WaitingForDeposit => {
            return Err(problem(
                ErrorCode::PaymentAlreadyProcessed,
                "this order was already paid with another payment",
            ));
        }
        P::Canceling | P::Canceled | P::Refunding | P::Refunded => return Err(after_expiry()),
        P::Open | P::Failed => {}
    }
    if req.amount != row.grand_total {
        return Err(problem(
            ErrorCode::PaymentMismatch,
            format!(
                "the amount ₩{} is not the order's ₩{}; nothing was charged",
                req.amount, row.grand_total
            ),
        ));
    }
    if row.status != OrderStatus::PendingPayment || row.reserved_until <= Utc::now() {
        return Err(problem(
            ErrorCode::PaymentAfterExpiry,
            format!(
                "the order is {} and its hold has lapsed; nothing was charged",
                row.status
            ),
        ));
    }
    let said = match &ctx.toss {
        Some(toss) => toss_confirm(toss, &req, row.grand_total).await,
        None => test_confirm(ctx, &row, &req).await,
    };
    let settled = settle_in(&txn, gateway, &row, said).await?;
    txn.commit().await?;
    after_commit(db, ctx, row.id, &settled).await?;
    answer(&row, &settled)
}

/// `POST /v1/payments/{gateway}/fail`: the payment window failed or the shopper closed
/// it; the order's hold is released at once (unless a payment is already under way).
pub async fn fail(
    db: &DatabaseConnection,
    ctx: &OrdersContext,
    customer: Uuid,
    req: FailRequest,
) -> OrdersResult<FailResponse> {
    check_order_id(&req.order_id)?;
    let txn = db.begin().await?;
    let row = lock_by_number(&txn, ctx.gateway.name(), &req.order_id)
        .await?
        .filter(|r| r.customer_id == customer)
        .ok_or(OrdersError::NotFound("order"))?;
    // A payment confirmed, waiting for its deposit or in doubt keeps its hold.
    let in_flight = row.payment_status != PaymentState::Open || row.in_doubt;
    let code: String = req.code.chars().take(60).collect();
    let status = if in_flight {
        row.status
    } else {
        lifecycle::mark_unpaid(
            &txn,
            row.id,
            "customer",
            &format!("payment window failed: {code}"),
        )
        .await?;
        txn.execute_raw(pg(
            "UPDATE orders.payments SET status = $2, updated_at = now() WHERE order_id = $1 AND status = $3",
            [
                row.id.into(),
                PaymentState::Failed.into(),
                PaymentState::Open.into(),
            ],
        ))
        .await?;
        lifecycle::lock_order(&txn, row.id).await?.status
    };
    txn.commit().await?;
    Ok(FailResponse {
        order_id: row.id,
        order_number: row.number,
        status,
    })
}

/// The order name a payment window shows: the first line's title and how many more
/// ("강화순무김치 외 2건"), at most 100 characters.
pub async fn order_name(db: &impl ConnectionTrait, order_id: Uuid) -> OrdersResult<String> {
    let row = db
        .query_one_raw(pg(
            "SELECT (SELECT title FROM orders.order_lines WHERE order_id = $1 ORDER BY id LIMIT 1) AS first, \
                    (SELECT count(*) FROM orders.order_lines WHERE order_id = $1) AS n",
            [order_id.into()],
        ))
        .await?
        .ok_or(OrdersError::NotFound("order"))?;
    let first: Option<String> = row.try_get("", "first")?;
    let n: i64 = row.try_get("", "n")?;
    Ok(name_of(first.as_deref().unwrap_or("주문"), n))
}

pub fn name_of(first: &str, lines: i64) -> String {
    let suffix = if lines > 1 {
        format!(" 외 {}건", lines - 1)
    } else {
        String::new()
    };
    let room = 100usize.saturating_sub(suffix.chars().count());
    let mut name: String = first.trim().chars().take(room).collect();
    name.push_str(&suffix);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_names_read_like_a_korean_shop() {
        assert_eq!(name_of("강화순무김치", 3), "강화순무김치 외 2건");
        assert_eq!(name_of("옹진 꽃게 2kg", 1), "옹진 꽃게 2kg");
        assert_eq!(name_of(&"가".repeat(150), 12).chars().count(), 100);
    }

    #[test]
    fn shopper_facing_toss_codes_have_codes_of_ours() {
        let code = |c: &str| match map_toss_error(&wire::ErrorBody {
            code: c.into(),
            message: "m".into(),
        }) {
            OrdersError::Payment(code, _) => code.code(),
            other => panic!("{other:?}"),
        };
        assert_eq!(code("REJECT_CARD_PAYMENT"), "payment_declined");
        assert_eq!(code("EXCEED_MAX_DAILY_PAYMENT_COUNT"), "payment_declined");
        assert_eq!(code("BELOW_MINIMUM_AMOUNT"), "payment_below_minimum");
        assert_eq!(
            code("ALREADY_PROCESSED_PAYMENT"),
            "payment_already_processed"
        );
        assert_eq!(code("PROVIDER_ERROR"), "payment_provider_error");
        assert_eq!(code("NOT_FOUND_PAYMENT"), "payment_not_found");
        assert_eq!(code("SOMETHING_NEW"), "payment_refused");
    }
}
