//! Checkout: one Postgres transaction quotes the cart again, holds the stock, creates the
//! order and its vendor orders and records the idempotency key; then the payment is
//! opened with the gateway under an idempotency key derived from the order.
//!
//! The same `Idempotency-Key` with the same body returns the first answer (a concurrent
//! duplicate waits on the key's row until the first commits); with another body it is
//! refused.

use crate::attribution::{self, Attribution, OrderAttribution};
use crate::buyer::OrganisationBuyer;
use crate::carts;
use crate::context::OrdersContext;
use crate::error::{OrdersError, OrdersResult};
use crate::history;
use crate::payments::{OpenPayment, OpenedPayment};
use crate::quoting::{self, Want};
use crate::states::{OrderStatus, PaymentState, VendorOrderStatus};
use base64::Engine;
use catalog::stock::StockLine;
use chrono::{DateTime, Utc};
use platform::attribution::{BuyerKind, SalesChannel};
use platform::autocommit::Begins;
use platform::db::pg;
use platform::error::FieldError;
use platform::ids::new_id;
use platform::postal::PostalCode;
use platform::quantity::Quantity;
use promotions::pricing::Destination;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, TransactionSession, Value};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub recipient: String,
    pub phone: String,
    /// 5 digits.
    pub postal_code: String,
    pub road_address: String,
    #[serde(default)]
    pub detail: String,
    /// 건물관리번호, when the address search gave one.
    pub building_no: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    pub address: Address,
    /// The grand total the customer saw; a different current total is a 409 with the new
    /// quote.
    #[serde(deserialize_with = "platform::bounds::within::<_, _, 0, 1_000_000_000_000>")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub expected_total: i64,
    /// Coupon codes to spend (at most 10): by the default stacking policy one order coupon
    /// and one shipping coupon apply; the quote says why any other did not.
    #[serde(default)]
    pub coupon_codes: Vec<String>,
    /// Where the order is placed: `web` (the default), `app`, or an open-market
    /// storefront of the city's shop; an unknown channel is a 422.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<SalesChannel>,
}

/// Check the address; its postal code, parsed, is returned.
pub(crate) fn validate(a: &Address) -> OrdersResult<PostalCode> {
    let mut errors = Vec::new();
    let len = |s: &str| s.trim().chars().count();
    if len(&a.recipient) == 0 || len(&a.recipient) > 50 {
        errors.push(FieldError::new(
            "address.recipient",
            "invalid_length",
            "must be 1 to 50 characters",
        ));
    }
    let digits: String = a.phone.chars().filter(char::is_ascii_digit).collect();
    if !(9..=11).contains(&digits.len())
        || a.phone
            .chars()
            .any(|c| !(c.is_ascii_digit() || c == '-' || c == ' '))
    {
        errors.push(FieldError::new(
            "address.phone",
            "invalid_phone",
            "a Korean phone number, e.g. 010-1234-5678",
        ));
    }
    let postal = PostalCode::parse(&a.postal_code)
        .map_err(|m| {
            errors.push(FieldError::new(
                "address.postal_code",
                "invalid_postal_code",
                m,
            ))
        })
        .ok();
    if len(&a.road_address) == 0 || len(&a.road_address) > 200 {
        errors.push(FieldError::new(
            "address.road_address",
            "invalid_length",
            "must be 1 to 200 characters",
        ));
    }
    match postal {
        Some(postal) if errors.is_empty() => Ok(postal),
        _ => Err(OrdersError::Invalid(errors)),
    }
}

pub(crate) fn request_hash(customer: Uuid, req: &impl Serialize) -> String {
    let body = serde_json::to_vec(req).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(customer.as_bytes());
    h.update(&body);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.finalize())
}

/// An order's (or, prefixed, a quotation's) number: the Seoul day of `at`, as payouts and
/// reports count days (an order at 01:00 in Seoul is not numbered the day before), and
/// eight hex digits, a fixed permutation of `seq`, a value of the counter
/// `orders.numbers`. The counter never repeats, so neither do the digits (for 2^32
/// numbers), and consecutive orders do not read as consecutive numbers. The permutation
/// is not a secret: whoever has this code can undo it and read the counter, so the
/// numbers hide the shop's volume only from a casual eye. (Random digits collided: about
/// a 3% chance a day at 16,000 orders, and the second checkout failed on the numbers'
/// unique index.)
pub(crate) fn order_number(seq: i64, at: DateTime<Utc>) -> String {
    format!(
        "{}-{:08X}",
        promotions::seoul::day(at).format("%Y%m%d"),
        scramble(seq as u32)
    )
}

/// [`scramble`]'s two multipliers: odd, so each has an inverse modulo 2^32.
const SCRAMBLE_BY: [u32; 2] = [0x9E37_79B1, 0x85EB_CA6B];

/// A bijection of `u32`: each step (an odd multiplier, an xor with a right shift of
/// itself) can be undone, so distinct inputs stay distinct.
fn scramble(mut x: u32) -> u32 {
    x = x.wrapping_mul(SCRAMBLE_BY[0]);
    x ^= x >> 16;
    x = x.wrapping_mul(SCRAMBLE_BY[1]);
    x ^= x >> 13;
    x
}

/// A fresh number from the counter: one round trip, for the places that write an order
/// or a quotation outside checkout (checkout's claim draws its number in its statement).
pub(crate) async fn next_number(db: &impl ConnectionTrait) -> OrdersResult<String> {
    #[derive(FromQueryResult)]
    struct Next {
        seq: i64,
    }
    let next = Next::find_by_statement(pg("SELECT nextval('orders.numbers') AS seq", []))
        .one(db)
        .await?
        .ok_or(OrdersError::NotFound("order number"))?;
    Ok(order_number(next.seq, Utc::now()))
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckoutResponse {
    pub order_id: Uuid,
    pub order_number: String,
    pub status: OrderStatus,
    pub grand_total: i64,
    /// What the client needs to pay.
    pub payment: OpenedPayment,
}

pub(crate) enum Begun {
    /// A new order, created in this call.
    Created {
        order_id: Uuid,
        number: String,
        total: i64,
        /// What the payment window calls it, from the lines just written.
        order_name: String,
        /// The answer, when the payment was opened and stored with the order.
        answered: Option<Box<CheckoutResponse>>,
    },
    /// The key was used before: its order, and the stored answer if it was completed.
    Replay {
        order_id: Uuid,
        response: Option<serde_json::Value>,
    },
}

/// What every checkout checks before it touches the database: the Idempotency-Key's length
/// and the address. The postal code is stored in its normal form and returned parsed.
pub(crate) fn checked(key: &str, req: &mut CheckoutRequest) -> OrdersResult<PostalCode> {
    if key.is_empty() || key.len() > 200 {
        return Err(OrdersError::field(
            "Idempotency-Key",
            "invalid_key",
            "send an Idempotency-Key header of 1 to 200 characters",
        ));
    }
    let postal = validate(&req.address)?;
    req.address.postal_code = postal.into();
    Ok(postal)
}

/// Check out the customer's cart. The order is written in a transaction on `pool`
/// (served, the hot paths' pool, which the cart's statements share:
/// `platform::autocommit`). A gateway that opens locally (Toss, the test gateway) has its
/// payment written by the order's own statement; one that opens over the network (Stripe)
/// is called after the commit, and its payment record is one more statement on `pool`.
/// `db` reads a replayed order.
pub async fn checkout(
    db: &DatabaseConnection,
    pool: &impl Begins,
    ctx: &OrdersContext,
    customer: Uuid,
    customer_email: Option<String>,
    key: &str,
    mut req: CheckoutRequest,
) -> OrdersResult<(bool, CheckoutResponse)> {
    let postal = checked(key, &mut req)?;
    let scope = format!("checkout:{customer}");
    let hash = request_hash(customer, &req);
    let claim = Claiming {
        customer,
        customer_email: customer_email.clone(),
        scope: &scope,
        key,
        hash: &hash,
    };
    let begun = create_order(pool, ctx, claim, &req, postal).await?;
    let (order_id, number, status, total, order_name, created) = match begun {
        Begun::Replay {
            response: Some(r), ..
        } => {
            let resp: CheckoutResponse = serde_json::from_value(r)
                .map_err(|e| OrdersError::Stored(format!("checkout answer: {e}")))?;
            return Ok((false, resp));
        }
        Begun::Created {
            answered: Some(resp),
            ..
        } => return Ok((true, *resp)),
        Begun::Replay {
            order_id,
            response: None,
        } => {
            #[derive(FromQueryResult)]
            struct Placed {
                number: String,
                status: OrderStatus,
                grand_total: i64,
            }
            let placed = Placed::find_by_statement(pg(
                "SELECT number, status, grand_total FROM orders.orders WHERE id = $1",
                [order_id.into()],
            ))
            .one(db)
            .await?
            .ok_or(OrdersError::NotFound("order"))?;
            let order_name = crate::payments::redirect::order_name(db, order_id).await?;
            (
                order_id,
                placed.number,
                placed.status,
                placed.grand_total,
                order_name,
                false,
            )
        }
        Begun::Created {
            order_id,
            number,
            total,
            order_name,
            answered: None,
        } => (
            order_id,
            number,
            OrderStatus::PendingPayment,
            total,
            order_name,
            true,
        ),
    };
    // The order is committed; open (or re-open) its payment.
    let resp = answer(
        ctx,
        Opening {
            order_id,
            number,
            status,
            total,
            order_name,
            customer,
            customer_email,
        },
    )
    .await?;
    let opened = &resp.payment;
    // Payment row, the order's payment reference and the stored answer: one statement,
    // so one round trip and one commit (each part is idempotent for a retry).
    pool.execute_raw(pg(
        "WITH payment AS ( \
             INSERT INTO orders.payments (id, order_id, gateway, payment_ref, amount, status) \
             VALUES ($1, $2, $3, $4, $5, $9) ON CONFLICT (order_id) DO NOTHING), \
         ord AS (UPDATE orders.orders SET payment_ref = $4 WHERE id = $2 AND payment_ref IS NULL) \
         UPDATE orders.idempotency_keys SET response = $8 WHERE scope = $6 AND key = $7 AND response IS NULL",
        [
            new_id().into(),
            order_id.into(),
            opened.gateway.clone().into(),
            opened.payment_ref.clone().into(),
            total.into(),
            scope.into(),
            key.into(),
            serde_json::to_value(&resp).unwrap_or_default().into(),
            PaymentState::Open.into(),
        ],
    ))
    .await?;
    Ok((created, resp))
}

/// An order whose payment is opened.
struct Opening {
    order_id: Uuid,
    number: String,
    status: OrderStatus,
    total: i64,
    order_name: String,
    customer: Uuid,
    customer_email: Option<String>,
}

/// Open the order's payment with the gateway and make checkout's answer of it. The gateway
/// sees the same idempotency key for the same order, so retries cannot create a second
/// charge.
async fn answer(ctx: &OrdersContext, o: Opening) -> OrdersResult<CheckoutResponse> {
    let payment = ctx
        .gateway
        .open(OpenPayment::for_order(
            o.order_id,
            &o.number,
            platform::money::Won(o.total),
            o.order_name,
            o.customer,
            o.customer_email,
        ))
        .await?;
    Ok(CheckoutResponse {
        order_id: o.order_id,
        order_number: o.number,
        status: o.status,
        grand_total: o.total,
        payment,
    })
}

/// Who checks out under which idempotency key.
struct Claiming<'a> {
    customer: Uuid,
    customer_email: Option<String>,
    scope: &'a str,
    key: &'a str,
    hash: &'a str,
}

/// The order's steps, each in the one transaction `create_order` opens: claim the key and
/// lock the cart, hold its stock and price it again, open the payment when the gateway
/// does so locally, spend the promotions, write the order.
async fn create_order(
    pool: &impl Begins,
    ctx: &OrdersContext,
    claiming: Claiming<'_>,
    req: &CheckoutRequest,
    postal: PostalCode,
) -> OrdersResult<Begun> {
    let Claiming {
        customer,
        customer_email,
        scope,
        key,
        hash,
    } = claiming;
    let txn = pool.begin_txn().await?;
    let order_id = new_id();
    let (cart, number) = match claim(&txn, customer, scope, key, hash, order_id).await? {
        Claimed::Cart(cart, number) => (cart, number),
        Claimed::Replay(begun) => return Ok(begun),
    };
    let now = Utc::now();
    let priced = price_cart(&txn, ctx, customer, &cart, req, postal, now).await?;
    let total = priced.quote.totals.grand_total.get();
    let name = order_name(&priced);
    // Opening calls no one here, so a refusal (a zero total at Toss) rolls the order back
    // instead of leaving one nobody can pay.
    let answered = if ctx.gateway.opens_locally() {
        let opening = Opening {
            order_id,
            number: number.clone(),
            status: OrderStatus::PendingPayment,
            total,
            order_name: name.clone(),
            customer,
            customer_email,
        };
        Some(Box::new(answer(ctx, opening).await?))
    } else {
        None
    };
    let placing = Placing {
        customer,
        order_id,
        number: &number,
        cart: Some(cart.id),
        address: &req.address,
        organisation: None,
        channel: req.channel.unwrap_or_default(),
        payment: answered
            .as_ref()
            .map(|answer| WithOrder { answer, scope, key }),
    };
    place(&txn, ctx, placing, &priced, now).await?;
    txn.commit().await?;
    Ok(Begun::Created {
        order_id,
        number,
        total,
        order_name: name,
        answered,
    })
}

/// What the payment window calls the order. Built from the lines in hand, in the order
/// `write_order` wrote them (first vendor's first line), rather than read back: checkout
/// is the hot path.
pub(crate) fn order_name(priced: &quoting::Priced) -> String {
    let first = priced.quote.shipping.first().and_then(|ship| {
        priced
            .quote
            .lines
            .iter()
            .zip(&priced.items)
            .find(|(l, _)| l.vendor_id == ship.vendor_id)
            .map(|(_, (p, _))| p.title.as_str())
    });
    crate::payments::redirect::name_of(
        first.unwrap_or("주문"),
        i64::try_from(priced.quote.lines.len()).unwrap_or(i64::MAX),
    )
}

/// Who an order is placed for and where it goes.
pub(crate) struct Placing<'a> {
    pub customer: Uuid,
    pub order_id: Uuid,
    /// Its number, from [`order_number`].
    pub number: &'a str,
    /// The cart the lines came from, emptied with the order (none for a quotation).
    pub cart: Option<Uuid>,
    pub address: &'a Address,
    /// The organisation a member buys for (an accepted quotation), recorded on the order.
    pub organisation: Option<&'a OrganisationBuyer>,
    /// The storefront the order came through.
    pub channel: SalesChannel,
    /// A payment opened before the order commits, written with it.
    pub payment: Option<WithOrder<'a>>,
}

/// A checkout's payment opened inside its transaction (by a gateway that opens locally),
/// and its answer stored under the idempotency key the checkout claimed.
pub(crate) struct WithOrder<'a> {
    pub answer: &'a CheckoutResponse,
    pub scope: &'a str,
    pub key: &'a str,
}

/// The checkout transaction's writes for lines already priced and their stock held (by
/// [`price_cart`], or for a quotation's answers by its caller): spend the promotions,
/// write the order, its vendor orders and lines, and who it is for.
pub(crate) async fn place(
    txn: &impl ConnectionTrait,
    ctx: &OrdersContext,
    placing: Placing<'_>,
    priced: &quoting::Priced,
    now: DateTime<Utc>,
) -> OrdersResult<()> {
    let Placing {
        customer,
        order_id,
        number,
        cart,
        address,
        organisation,
        channel,
        payment,
    } = placing;
    spend_promotions(txn, customer, order_id, priced, now).await?;
    // Who bought is the organisation's kind when a member buys for one, else a consumer.
    let buyer_kind = organisation.map_or(BuyerKind::Consumer, |org| org.kind.into());
    let who = OrderAttribution {
        channel,
        buyer_kind,
    };
    let attribution = attribution::of(txn, who, priced, now).await?;
    let order = NewOrder {
        customer,
        order_id,
        number,
        cart,
        address,
        attribution,
        payment,
    };
    write_order(txn, ctx, order, priced).await?;
    if let Some(org) = organisation {
        org.record(txn, order_id).await?;
    }
    Ok(())
}

/// What claiming the key found.
pub(crate) enum Claimed {
    /// The key is this request's; the customer's cart is locked, and these are its lines
    /// as they stand under the lock; and the order's number ([`order_number`]).
    Cart(carts::Cart, String),
    /// The key was used before.
    Replay(Begun),
}

/// Claim the key, lock the customer's cart and read its lines, in one statement.
///
/// A concurrent request with the same key blocks on the key until this one commits or
/// rolls back, then finds it taken. The key names its order from the start: both become
/// visible at the same commit, or neither does.
///
/// The lines are the cart row's own (`orders.carts.lines`), and a locking read returns
/// the row as last committed, after any wait: a line write committed meanwhile is what
/// is priced, and a second checkout of the same cart under another key waits on the
/// cart's lock, then finds it emptied by the first and stops, instead of ordering (and
/// charging for) the same lines twice.
pub(crate) async fn claim(
    txn: &impl ConnectionTrait,
    customer: Uuid,
    scope: &str,
    key: &str,
    hash: &str,
    order_id: Uuid,
) -> OrdersResult<Claimed> {
    #[derive(FromQueryResult)]
    struct Claim {
        claimed: bool,
        cart_id: Option<Uuid>,
        number_seq: i64,
        variant_id: Option<Uuid>,
        quantity: Option<Quantity>,
        seen_unit_price: Option<i64>,
    }
    // `num` is the one row every answer starts from: a customer without a cart still
    // learns whether the key was claimed.
    let rows = Claim::find_by_statement(pg(
        concat!(
            "WITH claim AS (INSERT INTO orders.idempotency_keys (scope, key, request_hash, order_id) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (scope, key) DO NOTHING RETURNING key), \
             locked AS (SELECT id, lines FROM orders.carts WHERE customer_id = $5 FOR UPDATE), \
             num AS (SELECT nextval('orders.numbers') AS number_seq) \
             SELECT EXISTS (SELECT 1 FROM claim) AS claimed, c.id AS cart_id, num.number_seq, \
                    l.variant_id, l.quantity, l.seen_unit_price \
             FROM num \
             LEFT JOIN locked c ON true \
             LEFT JOIN LATERAL ",
            carts::unnest_lines!(),
            " ON true ORDER BY l.n"
        ),
        [
            scope.into(),
            key.into(),
            hash.into(),
            order_id.into(),
            customer.into(),
        ],
    ))
    .all(txn)
    .await?;
    let first = rows
        .first()
        .ok_or(OrdersError::NotFound("idempotency record"))?;
    if first.claimed {
        let Some(id) = first.cart_id else {
            return Err(OrdersError::EmptyCart);
        };
        let number = order_number(first.number_seq, Utc::now());
        let lines = rows
            .into_iter()
            .filter_map(|r| carts::Line::from_columns(r.variant_id, r.quantity, r.seen_unit_price))
            .collect();
        return Ok(Claimed::Cart(carts::Cart { id, lines }, number));
    }
    #[derive(FromQueryResult)]
    struct Used {
        request_hash: String,
        order_id: Option<Uuid>,
        response: Option<serde_json::Value>,
    }
    let used = Used::find_by_statement(pg(
        "SELECT request_hash, order_id, response FROM orders.idempotency_keys WHERE scope = $1 AND key = $2",
        [scope.into(), key.into()],
    ))
    .one(txn)
    .await?
    .ok_or(OrdersError::NotFound("idempotency record"))?;
    if used.request_hash != hash {
        return Err(OrdersError::IdempotencyKeyReused);
    }
    Ok(Claimed::Replay(Begun::Replay {
        order_id: used.order_id.ok_or(OrdersError::NotFound("order"))?,
        response: used.response,
    }))
}

/// Hold the stock of the cart's lines and quote them again for the address; refuse (and
/// the caller rolls the hold back) when a line cannot be bought or the total is not the
/// one the customer saw.
pub(crate) async fn price_cart(
    txn: &impl ConnectionTrait,
    ctx: &OrdersContext,
    customer: Uuid,
    cart: &carts::Cart,
    req: &CheckoutRequest,
    postal: PostalCode,
    now: DateTime<Utc>,
) -> OrdersResult<quoting::Priced> {
    if cart.lines.is_empty() {
        return Err(OrdersError::EmptyCart);
    }
    let wants: Vec<Want> = cart.lines.iter().map(carts::Line::want).collect();
    let a = &req.address;
    let dest = Destination {
        postal_code: postal,
        road_address: Some(a.road_address.clone()),
        building_no: a.building_no.clone(),
    };
    let buyer = quoting::Buyer {
        customer: Some(customer),
        coupon_codes: &req.coupon_codes,
    };
    // The promotions charged are read in the transaction whenever the process's copy
    // says a product of the cart has a campaign price or a time deal. Only the copy's
    // "none" is trusted: it lags another process's change by at most a second, and then
    // the order is charged what the cart page showed.
    let kept = ctx.kept();
    // Held before it is priced: one statement instead of a read and a hold. Whatever
    // below refuses the order rolls the hold back with the transaction.
    let catalog::stock::Reading { found, held } =
        catalog::stock::reserve_reading(txn, &wants).await?;
    let priced = quoting::price_known(txn, kept, found, &wants, &dest, now, buyer).await?;
    if let Some(short) = priced
        .issues
        .iter()
        .find(|i| i.problem == quoting::LineProblem::InsufficientStock)
        && priced.issues.len() == 1
    {
        // Sold out: the same answer the stock reservation gives.
        return Err(catalog::error::CatalogError::InsufficientStock {
            variant_id: short.variant_id,
            available: short.available,
        }
        .into());
    }
    if !priced.issues.is_empty() {
        return Err(OrdersError::Unavailable(
            serde_json::to_value(&priced.issues).unwrap_or_default(),
        ));
    }
    if priced.quote.totals.grand_total.get() != req.expected_total {
        return Err(OrdersError::QuoteChanged(
            serde_json::to_value(&priced.quote).unwrap_or_default(),
        ));
    }
    // A line the catalog showed with its units may still not be held: they ran out while
    // the hold waited for a concurrent checkout's lock, or one variant is on two lines.
    if let Some((p, _)) = priced
        .items
        .iter()
        .find(|(p, _)| !held.contains(&p.variant_id))
    {
        return Err(catalog::error::CatalogError::InsufficientStock {
            variant_id: p.variant_id,
            available: p.available,
        }
        .into());
    }
    Ok(priced)
}

/// The units the priced lines sell, for the stock.
pub(crate) fn stock_lines(priced: &quoting::Priced) -> Vec<StockLine> {
    priced
        .items
        .iter()
        .map(|(p, qty)| StockLine {
            variant_id: p.variant_id,
            quantity: *qty,
        })
        .collect()
}

/// Spend the coupons and time-deal units through the crate that owns them, in the same
/// transaction: a limit hit by a concurrent checkout rolls everything back. (The stock
/// was held already: by [`price_cart`], or by the caller.)
async fn spend_promotions(
    txn: &impl ConnectionTrait,
    customer: Uuid,
    order_id: Uuid,
    priced: &quoting::Priced,
    now: DateTime<Utc>,
) -> OrdersResult<()> {
    let q = &priced.quote;
    for c in q.coupons.iter().filter(|c| c.applied) {
        promotions::redeem_coupon(txn, c.coupon_id, customer, order_id, c.discount, now).await?;
    }
    for line in &q.lines {
        if let Some(a) = &line.applied
            && a.promotion.is_time_deal()
        {
            promotions::take_deal(txn, a.promotion.id(), customer, line.quantity).await?;
        }
    }
    Ok(())
}

/// The order `write_order` writes, beside its priced lines.
struct NewOrder<'a> {
    customer: Uuid,
    order_id: Uuid,
    number: &'a str,
    cart: Option<Uuid>,
    address: &'a Address,
    attribution: Attribution,
    payment: Option<WithOrder<'a>>,
}

/// The order, its vendor orders, its lines, what they are attributed to, its first
/// history entry, emptying the cart and, when it was opened already, its payment and the
/// stored answer: one statement, one round trip, whatever the cart's size (the foreign
/// keys are checked at its end).
async fn write_order(
    txn: &impl ConnectionTrait,
    ctx: &OrdersContext,
    order: NewOrder<'_>,
    priced: &quoting::Priced,
) -> OrdersResult<()> {
    let NewOrder {
        customer,
        order_id,
        number,
        cart,
        address: a,
        attribution,
        payment,
    } = order;
    let q = &priced.quote;
    let t = &q.totals;
    let reserved_until = Utc::now()
        + chrono::Duration::from_std(ctx.reservation_ttl).unwrap_or(chrono::Duration::minutes(15));
    let mut values: Vec<Value> = vec![
        order_id.into(),
        number.into(),
        customer.into(),
        OrderStatus::PendingPayment.into(),
        t.list_subtotal.get().into(),
        (t.promotion_discount.get() + t.coupon_discount.get() + t.shipping_discount.get()).into(),
        t.shipping_total.get().into(),
        t.grand_total.get().into(),
        t.taxable_amount.get().into(),
        t.tax_free_amount.get().into(),
        a.recipient.trim().into(),
        a.phone.trim().into(),
        a.postal_code.clone().into(),
        a.road_address.trim().into(),
        a.detail.trim().into(),
        a.building_no.clone().into(),
        q.coupons
            .iter()
            .filter(|c| c.applied)
            .map(|c| c.code.clone())
            .collect::<Vec<String>>()
            .into(),
        serde_json::to_value(q).unwrap_or_default().into(),
        ctx.gateway.name().into(),
        reserved_until.into(),
        attribution.who.channel.into(),
        attribution.who.buyer_kind.into(),
        payment
            .as_ref()
            .map(|p| p.answer.payment.payment_ref.clone())
            .into(),
    ];
    let mut vendor_rows: Vec<Value> = Vec::new();
    let mut line_rows: Vec<Value> = Vec::new();
    for ship in &q.shipping {
        let vo_id = new_id();
        vendor_rows.extend([
            vo_id.into(),
            order_id.into(),
            ship.vendor_id.into(),
            VendorOrderStatus::AwaitingPayment.into(),
            ship.items_amount.get().into(),
            ship.total.get().into(),
        ]);
        for (line, (p, _)) in q
            .lines
            .iter()
            .zip(&priced.items)
            .filter(|(l, _)| l.vendor_id == ship.vendor_id)
        {
            line_rows.extend([
                new_id().into(),
                order_id.into(),
                vo_id.into(),
                line.product_id.into(),
                line.variant_id.into(),
                line.vendor_id.into(),
                p.title.clone().into(),
                p.variant_name.clone().into(),
                p.sku.clone().into(),
                line.quantity.into(),
                line.list_unit_price.get().into(),
                line.unit_price.get().into(),
                line.promotion_discount.get().into(),
                line.coupon_discount.get().into(),
                line.final_amount.get().into(),
                line.taxable.into(),
                p.withdrawal_restricted.into(),
            ]);
        }
    }
    if line_rows.is_empty() {
        return Err(OrdersError::EmptyCart);
    }
    let (n_order, n_vendor, n_lines) = (values.len(), vendor_rows.len(), line_rows.len());
    // The cart's id is the one parameter between the vendor orders and the lines.
    let cart_param = n_order + n_vendor + 1;
    let (history_ctes, history_values) = history::Change {
        order_id,
        vendor_order_id: None,
        from: None,
        to: OrderStatus::PendingPayment.as_str(),
        actor: "customer",
        note: "checkout",
    }
    .ctes(cart_param + n_lines);
    let (attribution_cte, attribution_values) =
        attribution.cte(1, cart_param + n_lines + history_values.len());
    let (payment_ctes, payment_values) = match &payment {
        Some(p) => paid_with_order(
            p,
            cart_param + n_lines + history_values.len() + attribution_values.len(),
        ),
        None => (String::new(), Vec::new()),
    };
    let sql = format!(
        "WITH ord AS ( \
             INSERT INTO orders.orders (id, number, customer_id, status, list_subtotal, discount_total, shipping_total, \
                 grand_total, taxable_total, tax_free_total, recipient, phone, postal_code, road_address, address_detail, \
                 building_no, coupon_codes, quote, payment_gateway, reserved_until, channel, buyer_kind, payment_ref) \
                 VALUES {}), \
         vo AS (INSERT INTO orders.vendor_orders (id, order_id, vendor_id, status, items_total, shipping_total) VALUES {}), \
         emptied AS (UPDATE orders.carts SET lines = '{{}}' WHERE id = ${cart_param}), \
         {history_ctes}, {attribution_cte}{payment_ctes} \
         INSERT INTO orders.order_lines (id, order_id, vendor_order_id, product_id, variant_id, vendor_id, title, \
             variant_name, sku, quantity, list_unit_price, unit_price, promotion_discount, coupon_discount, \
             final_amount, taxable, withdrawal_restricted) VALUES {}",
        placeholders(0, n_order, 23),
        placeholders(n_order, n_vendor, 6),
        placeholders(cart_param, n_lines, 17),
    );
    values.extend(vendor_rows);
    values.push(cart.into());
    values.extend(line_rows);
    values.extend(history_values);
    values.extend(attribution_values);
    values.extend(payment_values);
    txn.execute_raw(pg(sql, values)).await?;
    Ok(())
}

/// The payment opened with the order and the checkout's stored answer, as CTEs of the
/// order's statement (after its first `k` parameters), with their parameters.
fn paid_with_order(p: &WithOrder<'_>, k: usize) -> (String, Vec<Value>) {
    let opened = &p.answer.payment;
    let sql = format!(
        ", payment AS (INSERT INTO orders.payments (id, order_id, gateway, payment_ref, amount, status) \
             VALUES (${}, ${}, ${}, ${}, ${}, ${})), \
         answered AS (UPDATE orders.idempotency_keys SET response = ${} WHERE scope = ${} AND key = ${})",
        k + 1,
        k + 2,
        k + 3,
        k + 4,
        k + 5,
        k + 6,
        k + 7,
        k + 8,
        k + 9,
    );
    let values = vec![
        new_id().into(),
        p.answer.order_id.into(),
        opened.gateway.clone().into(),
        opened.payment_ref.clone().into(),
        p.answer.grand_total.into(),
        PaymentState::Open.into(),
        serde_json::to_value(p.answer).unwrap_or_default().into(),
        p.scope.into(),
        p.key.into(),
    ];
    (sql, values)
}

/// `($k+1, $k+2, $k+3), ($k+4, …)` for `values` parameters after the first `k`, in rows
/// of `width`.
fn placeholders(k: usize, values: usize, width: usize) -> String {
    (0..values / width)
        .map(|row| {
            let cols: Vec<String> = (1..=width)
                .map(|c| format!("${}", k + row * width + c))
                .collect();
            format!("({})", cols.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scramble undone step by step, the way its doc says it can be.
    fn unscramble(mut y: u32) -> u32 {
        let inverse = |m: u32| {
            (0..5).fold(m, |inv, _| {
                inv.wrapping_mul(2u32.wrapping_sub(m.wrapping_mul(inv)))
            })
        };
        y ^= (y >> 13) ^ (y >> 26);
        y = y.wrapping_mul(inverse(SCRAMBLE_BY[1]));
        y ^= y >> 16;
        y.wrapping_mul(inverse(SCRAMBLE_BY[0]))
    }

    /// Distinct counter values give distinct digits: every value sampled across the whole
    /// range comes back from its digits (a step that lost a bit could not be undone).
    #[test]
    fn numbers_from_distinct_counter_values_never_collide() {
        for i in 0..1u32 << 20 {
            let x = i.wrapping_mul(4099).wrapping_add(i >> 7);
            assert_eq!(unscramble(scramble(x)), x, "{x}");
        }
        assert_eq!(unscramble(scramble(u32::MAX)), u32::MAX);
        // Consecutive orders do not read as consecutive numbers.
        assert!(scramble(2).abs_diff(scramble(1)) > 1 << 16);
    }

    #[test]
    fn a_number_is_the_seoul_day_and_eight_hex_digits() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().expect("instant");
        // 16:00 UTC is 01:00 the next day in Seoul.
        let n = order_number(1, at("2026-12-07T16:00:00Z"));
        let (day, digits) = n.split_once('-').expect("dash");
        assert_eq!(day, "20261208");
        assert_eq!(digits.len(), 8);
        assert!(
            digits
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
        );
        assert!(order_number(1, at("2026-12-07T14:59:59Z")).starts_with("20261207-"));
        let noon = at("2026-12-07T03:00:00Z");
        assert_ne!(order_number(1, noon), order_number(2, noon));
    }
}
