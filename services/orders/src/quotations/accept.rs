//! Accepting a quotation: an approver, within its validity, places the order at the
//! quoted prices through checkout's own transaction ([`checkout::place`]: stock, the
//! order, its vendor orders), for the organisation, with its purchase-order number. Paid
//! by card through the shop's gateway, or by invoice against the organisation's credit
//! line in the same transaction.

use super::store::{self, LineRow};
use super::*;
use crate::buyer::OrganisationBuyer;
use crate::checkout::{self, Placing};
use crate::context::OrdersContext;
use crate::error::{OrdersError, OrdersResult};
use crate::payments::{OpenPayment, OpenedPayment};
use crate::quoting::{LineIssue, LineProblem, Priced};
use platform::db::pg;
use platform::money::Won;
use platform::organisations::service::Organisation;
use platform::quantity::Quantity;
use promotions::pricing::{LineQuote, Quote, QuoteTotals, VendorShippingQuote};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

pub use crate::buyer::{OrganisationOrderPlaced as AcceptedQuotation, PaymentMethod};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptQuotation {
    /// The organisation's own purchase-order number (발주번호), up to 50 characters.
    pub purchase_order_number: Option<String>,
    pub payment: PaymentMethod,
    /// Ask each vendor for a tax invoice (세금계산서) to the organisation.
    #[serde(default)]
    pub tax_invoice: bool,
}

/// Who accepts: an approver of `organisation`.
pub struct Acceptor<'a> {
    pub organisation: &'a Organisation,
    pub member: Uuid,
    pub email: Option<String>,
}

/// The order's lines at the quoted prices, shaped as checkout's priced cart: the list
/// price is the quoted price (no promotion, no coupon), each answered vendor's shipping is
/// its quoted fee. Nothing here comes from the client.
fn priced_from_answers(
    answered: &[(store::PartRow, Vec<LineRow>)],
    found: Vec<catalog::purchasable::Purchasable>,
    now: DateTime<Utc>,
) -> OrdersResult<Priced> {
    let mut lines = Vec::new();
    let mut items = Vec::new();
    let mut shipping = Vec::new();
    let mut issues = Vec::new();
    let mut totals = QuoteTotals::default();
    for (part, part_lines) in answered {
        let mut items_amount = 0i64;
        for LineRow { line: l, .. } in part_lines {
            let (Some(unit), Some(amount)) = (l.quoted_unit_price, l.amount) else {
                return Err(OrdersError::QuotationNotAnswered);
            };
            let Some(p) = found
                .iter()
                .find(|p| p.variant_id == l.variant_id && p.sellable)
            else {
                issues.push(LineIssue {
                    variant_id: l.variant_id,
                    problem: LineProblem::Unavailable,
                    available: 0,
                });
                continue;
            };
            let quantity = Quantity::clamped(i64::from(l.quantity));
            items.push((p.clone(), quantity));
            items_amount += amount;
            if l.taxable {
                totals.taxable_amount = Won(totals.taxable_amount.get() + amount);
            } else {
                totals.tax_free_amount = Won(totals.tax_free_amount.get() + amount);
            }
            lines.push(LineQuote {
                variant_id: l.variant_id,
                product_id: l.product_id,
                vendor_id: part.vendor_id,
                quantity,
                taxable: l.taxable,
                list_unit_price: Won(unit),
                unit_price: Won(unit),
                list_amount: Won(amount),
                promotion_discount: Won(0),
                discounted_amount: Won(amount),
                coupon_discount: Won(0),
                final_amount: Won(amount),
                applied: None,
                not_applied: Vec::new(),
                coupon_shares: Vec::new(),
            });
        }
        let fee = part.shipping_fee.unwrap_or(0);
        shipping.push(VendorShippingQuote {
            vendor_id: part.vendor_id,
            items_amount: Won(items_amount),
            base_fee: Won(fee),
            free_threshold: None,
            free_by_threshold: false,
            waived_by_coupon: None,
            base_fee_charged: Won(fee),
            surcharge: Won(0),
            total: Won(fee),
        });
        totals.items_total = Won(totals.items_total.get() + items_amount);
        totals.shipping_base_fee = Won(totals.shipping_base_fee.get() + fee);
    }
    if !issues.is_empty() {
        return Err(OrdersError::Unavailable(
            serde_json::to_value(&issues).unwrap_or_default(),
        ));
    }
    totals.list_subtotal = totals.items_total;
    totals.shipping_total = totals.shipping_base_fee;
    totals.grand_total = Won(totals.items_total.get() + totals.shipping_total.get());
    // Shipping is taxable, as checkout's engine counts it.
    totals.taxable_amount = Won(totals.taxable_amount.get() + totals.shipping_total.get());
    Ok(Priced {
        found: Vec::new(),
        items,
        issues: Vec::new(),
        quote: Quote {
            at: now,
            lines,
            coupons: Vec::new(),
            shipping,
            remote_area: None,
            totals,
        },
    })
}

/// Accept the quotation `id` of the acceptor's organisation.
#[tracing::instrument(skip_all, fields(organisation = %who.organisation.id, quotation = %id))]
pub async fn accept(
    db: &DatabaseConnection,
    ctx: &OrdersContext,
    who: Acceptor<'_>,
    id: Uuid,
    req: AcceptQuotation,
    now: DateTime<Utc>,
) -> OrdersResult<AcceptedQuotation> {
    let po = crate::buyer::purchase_order_number(req.purchase_order_number)?;
    let org = who.organisation;
    let txn = db.begin().await?;
    // Locked first: two approvers accepting at once place one order.
    let status = store::lock(&txn, id, Some(org.id)).await?;
    match status {
        QuotationStatus::Answered => {}
        QuotationStatus::Requested | QuotationStatus::PartiallyAnswered => {
            return Err(OrdersError::QuotationNotAnswered);
        }
        QuotationStatus::Expired => return Err(OrdersError::QuotationExpired),
        other => {
            return Err(OrdersError::IllegalTransition {
                action: "accept the quotation",
                state: other.to_string(),
            });
        }
    }
    let answered: Vec<_> = store::parts(&txn, id, None)
        .await?
        .into_iter()
        .filter(|(p, _)| p.status == PartStatus::Answered)
        .collect();
    let valid_until = answered.iter().filter_map(|(p, _)| p.valid_until).min();
    if valid_until.is_none_or(|v| v < now) {
        // Recorded, so that every reader sees it expired from now on.
        store::set_status(&txn, id, status, QuotationStatus::Expired).await?;
        txn.commit().await?;
        return Err(OrdersError::QuotationExpired);
    }
    let variants: Vec<Uuid> = answered
        .iter()
        .flat_map(|(_, lines)| lines.iter().map(|l| l.line.variant_id))
        .collect();
    let found = catalog::purchasable::load(&txn, &variants).await?;
    let priced = priced_from_answers(&answered, found, now)?;
    let total = priced.quote.totals.grand_total.get();
    let order_id = platform::ids::new_id();
    let buyer = OrganisationBuyer {
        organisation_id: org.id,
        kind: org.kind,
        purchase_order_number: po,
        quotation_id: Some(id),
    };
    let address: Address = store::address(&txn, id).await?;
    let number = checkout::next_number(&txn).await?;
    let placing = Placing {
        number: &number,
        customer: who.member,
        order_id,
        cart: None,
        address: &address,
        organisation: Some(&buyer),
        channel: platform::attribution::SalesChannel::Web,
        payment: None,
    };
    catalog::stock::reserve(&txn, &checkout::stock_lines(&priced)).await?;
    checkout::place(&txn, ctx, placing, &priced, now).await?;
    let invoice_due_on = crate::buyer::settle_terms(
        &txn,
        org,
        order_id,
        total,
        req.payment,
        req.tax_invoice,
        now,
    )
    .await?;
    txn.execute_raw(pg(
        "UPDATE orders.quotations SET status = $2, accepted_by = $3, accepted_at = now(), order_id = $4, \
             updated_at = now() WHERE id = $1",
        [
            id.into(),
            QuotationStatus::Accepted.into(),
            who.member.into(),
            order_id.into(),
        ],
    ))
    .await?;
    txn.commit().await?;
    let payment = match req.payment {
        PaymentMethod::Card => Some(
            open_card_payment(
                db,
                ctx,
                CardPayment {
                    member: who.member,
                    email: who.email,
                    order_id,
                    number: &number,
                    total,
                    order_name: checkout::order_name(&priced),
                },
            )
            .await?,
        ),
        PaymentMethod::Invoice => None,
    };
    Ok(AcceptedQuotation {
        order_id,
        order_number: number,
        grand_total: total,
        payment_method: req.payment,
        payment,
        invoice_due_on,
    })
}

/// An organisation's committed order whose card payment is to be opened.
pub(crate) struct CardPayment<'a> {
    pub member: Uuid,
    pub email: Option<String>,
    pub order_id: Uuid,
    pub number: &'a str,
    pub total: i64,
    /// What the payment window calls the order.
    pub order_name: String,
}

/// Open the committed order's payment with the shop's gateway, as checkout does after its
/// transaction (the same idempotency key per order, so a retry cannot charge twice).
pub(crate) async fn open_card_payment(
    db: &DatabaseConnection,
    ctx: &OrdersContext,
    p: CardPayment<'_>,
) -> OrdersResult<OpenedPayment> {
    let opened = ctx
        .gateway
        .open(OpenPayment::for_order(
            p.order_id,
            p.number,
            Won(p.total),
            p.order_name,
            p.member,
            p.email,
        ))
        .await?;
    crate::payments::record_opened(db, p.order_id, &opened, p.total).await?;
    Ok(opened)
}
