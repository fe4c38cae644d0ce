//! Quotations in the `orders` schema: asking, answering, declining, withdrawing, and the
//! reads — the organisation's (every part) and a vendor's (its part only).

use super::*;
use crate::checkout;
use crate::error::{OrdersError, OrdersResult};
use crate::quoting::{LineIssue, LineProblem};
use catalog::purchasable::{self, Purchasable};
use platform::db::pg;
use platform::error::FieldError;
use platform::ids::new_id;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, TransactionTrait};

/// Who asks: the organisation and its member.
#[derive(Debug, Clone, Copy)]
pub struct Asker {
    pub organisation_id: Uuid,
    pub kind: OrganisationKind,
    pub member: Uuid,
}

fn text_at_most(errors: &mut Vec<FieldError>, field: &str, s: &str, max: usize) {
    if s.chars().count() > max {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
}

/// The day in Korea at `now` (delivery dates are Korean dates).
fn seoul_today(now: DateTime<Utc>) -> NaiveDate {
    (now + chrono::Duration::hours(9)).date_naive()
}

/// Ask for a quotation; returns its id.
#[tracing::instrument(skip_all, fields(organisation = %asker.organisation_id))]
pub async fn request(
    db: &DatabaseConnection,
    asker: Asker,
    mut req: QuotationRequest,
    now: DateTime<Utc>,
) -> OrdersResult<Uuid> {
    let mut errors = Vec::new();
    if req.lines.is_empty() || req.lines.len() > MAX_LINES {
        errors.push(FieldError::new(
            "lines",
            "invalid_length",
            format!("1 to {MAX_LINES} lines"),
        ));
    }
    for (i, l) in req.lines.iter().enumerate() {
        if l.quantity == 0 || l.quantity > MAX_QUANTITY {
            errors.push(FieldError::new(
                format!("lines[{i}].quantity"),
                "out_of_range",
                format!("must be 1 to {MAX_QUANTITY}"),
            ));
        }
        if req.lines[..i].iter().any(|o| o.variant_id == l.variant_id) {
            errors.push(FieldError::new(
                format!("lines[{i}].variant_id"),
                "duplicate",
                "each variant once",
            ));
        }
    }
    if req.delivery_date < seoul_today(now) {
        errors.push(FieldError::new(
            "delivery_date",
            "in_the_past",
            "must be today or later",
        ));
    }
    text_at_most(&mut errors, "notes", &req.notes, 2000);
    match checkout::validate(&req.address) {
        Ok(postal) => req.address.postal_code = postal.into(),
        Err(OrdersError::Invalid(more)) => errors.extend(more),
        Err(e) => return Err(e),
    }
    if !errors.is_empty() {
        return Err(OrdersError::Invalid(errors));
    }
    let ids: Vec<Uuid> = req.lines.iter().map(|l| l.variant_id).collect();
    let found = purchasable::load(db, &ids).await?;
    let mut items: Vec<(&Purchasable, u32)> = Vec::new();
    let mut issues = Vec::new();
    for l in &req.lines {
        match found
            .iter()
            .find(|p| p.variant_id == l.variant_id && p.sellable)
        {
            Some(p) => items.push((p, l.quantity)),
            None => issues.push(LineIssue {
                variant_id: l.variant_id,
                problem: LineProblem::Unavailable,
                available: 0,
            }),
        }
    }
    if !issues.is_empty() {
        return Err(OrdersError::Unavailable(
            serde_json::to_value(&issues).unwrap_or_default(),
        ));
    }
    let id = new_id();
    let txn = db.begin().await?;
    let number = format!("Q{}", checkout::next_number(&txn).await?);
    txn.execute_raw(pg(
        "INSERT INTO orders.quotations (id, number, organisation_id, organisation_kind, requested_by, status, \
             delivery_date, notes, address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [
            id.into(),
            number.into(),
            asker.organisation_id.into(),
            asker.kind.into(),
            asker.member.into(),
            QuotationStatus::Requested.into(),
            req.delivery_date.into(),
            req.notes.trim().into(),
            serde_json::to_value(&req.address).unwrap_or_default().into(),
        ],
    ))
    .await?;
    // One part per vendor, in the order of each vendor's first line.
    let mut parts: Vec<(Uuid, Uuid)> = Vec::new();
    for (p, _) in &items {
        if !parts.iter().any(|(_, v)| *v == p.vendor_id) {
            parts.push((new_id(), p.vendor_id));
        }
    }
    for (part_id, vendor_id) in &parts {
        txn.execute_raw(pg(
            "INSERT INTO orders.quotation_parts (id, quotation_id, vendor_id, status) VALUES ($1, $2, $3, $4)",
            [
                (*part_id).into(),
                id.into(),
                (*vendor_id).into(),
                PartStatus::Requested.into(),
            ],
        ))
        .await?;
    }
    for (position, (p, qty)) in items.iter().enumerate() {
        let part_id = parts
            .iter()
            .find(|(_, v)| *v == p.vendor_id)
            .map(|(id, _)| *id)
            .ok_or(OrdersError::NotFound("quotation part"))?;
        txn.execute_raw(pg(
            "INSERT INTO orders.quotation_lines (id, quotation_id, part_id, position, variant_id, product_id, \
                 title, variant_name, sku, quantity, list_unit_price, taxable) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            [
                new_id().into(),
                id.into(),
                part_id.into(),
                (position as i32).into(),
                p.variant_id.into(),
                p.product_id.into(),
                p.title.clone().into(),
                p.variant_name.clone().into(),
                p.sku.clone().into(),
                (*qty as i32).into(),
                p.price.into(),
                p.taxable.into(),
            ],
        ))
        .await?;
    }
    txn.commit().await?;
    Ok(id)
}

#[derive(Debug, FromQueryResult)]
struct HeadRow {
    id: Uuid,
    number: String,
    organisation_id: Uuid,
    organisation_kind: OrganisationKind,
    requested_by: Uuid,
    status: QuotationStatus,
    delivery_date: NaiveDate,
    notes: String,
    address: serde_json::Value,
    order_id: Option<Uuid>,
    accepted_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

#[derive(Debug, FromQueryResult)]
pub(crate) struct PartRow {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub status: PartStatus,
    pub shipping_fee: Option<i64>,
    pub valid_until: Option<DateTime<Utc>>,
    pub vendor_notes: String,
    pub answered_at: Option<DateTime<Utc>>,
    pub revision: i32,
}

#[derive(Debug, FromQueryResult)]
pub(crate) struct LineRow {
    pub part_id: Uuid,
    /// The line as quoted, its `amount` worked out by [`parts`].
    #[sea_orm(nested)]
    pub line: QuotationLineView,
}

const HEAD: &str = "SELECT id, number, organisation_id, organisation_kind, requested_by, status, delivery_date, \
    notes, address, order_id, accepted_at, created_at FROM orders.quotations";

async fn head(
    db: &impl ConnectionTrait,
    id: Uuid,
    organisation: Option<Uuid>,
) -> OrdersResult<HeadRow> {
    HeadRow::find_by_statement(pg(
        format!("{HEAD} WHERE id = $1 AND ($2::uuid IS NULL OR organisation_id = $2)"),
        [id.into(), organisation.into()],
    ))
    .one(db)
    .await?
    .ok_or(OrdersError::NotFound("quotation"))
}

/// A quotation's parts (all, or one vendor's) and their lines, in request order.
pub(crate) async fn parts(
    db: &impl ConnectionTrait,
    quotation: Uuid,
    vendor: Option<Uuid>,
) -> OrdersResult<Vec<(PartRow, Vec<LineRow>)>> {
    let parts = PartRow::find_by_statement(pg(
        "SELECT id, vendor_id, status, shipping_fee, valid_until, vendor_notes, answered_at, revision \
         FROM orders.quotation_parts WHERE quotation_id = $1 AND ($2::uuid IS NULL OR vendor_id = $2) ORDER BY id",
        [quotation.into(), vendor.into()],
    ))
    .all(db)
    .await?;
    let mut lines = LineRow::find_by_statement(pg(
        "SELECT part_id, variant_id, product_id, title, variant_name, sku, quantity, list_unit_price, \
             quoted_unit_price, taxable FROM orders.quotation_lines WHERE quotation_id = $1 ORDER BY position",
        [quotation.into()],
    ))
    .all(db)
    .await?;
    for l in &mut lines {
        l.line.amount = l
            .line
            .quoted_unit_price
            .and_then(|u| u.checked_mul(i64::from(l.line.quantity)));
    }
    Ok(parts
        .into_iter()
        .map(|p| {
            let (mine, rest): (Vec<LineRow>, Vec<LineRow>) =
                lines.drain(..).partition(|l| l.part_id == p.id);
            lines = rest;
            (p, mine)
        })
        .collect())
}

async fn part_view(
    db: &impl ConnectionTrait,
    part: PartRow,
    lines: Vec<LineRow>,
) -> OrdersResult<QuotationPartView> {
    let answered = part.status == PartStatus::Answered;
    let items_total = answered.then(|| lines.iter().filter_map(|l| l.line.amount).sum::<i64>());
    let seller = catalog::listing::vendor_terms(db, part.vendor_id)
        .await?
        .map(|t| t.seller);
    Ok(QuotationPartView {
        vendor_id: part.vendor_id,
        seller,
        status: part.status,
        shipping_fee: part.shipping_fee,
        valid_until: part.valid_until,
        vendor_notes: part.vendor_notes,
        answered_at: part.answered_at,
        revision: part.revision,
        total: items_total.map(|t| t + part.shipping_fee.unwrap_or(0)),
        items_total,
        lines: lines.into_iter().map(|l| l.line).collect(),
    })
}

fn address_of(v: serde_json::Value) -> OrdersResult<Address> {
    serde_json::from_value(v).map_err(|e| OrdersError::Stored(format!("quotation address: {e}")))
}

/// The organisation's quotation, every part (404 for another organisation's).
pub async fn organisation_view(
    db: &impl ConnectionTrait,
    organisation: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> OrdersResult<QuotationView> {
    let h = head(db, id, Some(organisation)).await?;
    let mut views = Vec::new();
    for (p, lines) in parts(db, id, None).await? {
        views.push(part_view(db, p, lines).await?);
    }
    let answered = views.iter().filter(|p| p.status == PartStatus::Answered);
    let valid_until = answered.clone().filter_map(|p| p.valid_until).min();
    let items_total: i64 = answered.clone().filter_map(|p| p.items_total).sum();
    let shipping_total: i64 = answered.filter_map(|p| p.shipping_fee).sum();
    Ok(QuotationView {
        id: h.id,
        number: h.number,
        organisation_id: h.organisation_id,
        organisation_kind: h.organisation_kind,
        status: h.status,
        delivery_date: h.delivery_date,
        notes: h.notes,
        address: address_of(h.address)?,
        requested_by: h.requested_by,
        valid_until,
        parts: views,
        totals: QuotationTotals {
            items_total,
            shipping_total,
            grand_total: items_total + shipping_total,
        },
        order_id: h.order_id,
        accepted_at: h.accepted_at,
        created_at: h.created_at,
    }
    .effective(now))
}

/// The organisation's quotations, newest first.
pub async fn organisation_list(
    db: &impl ConnectionTrait,
    organisation: Uuid,
    after: Option<Uuid>,
    limit: u64,
    now: DateTime<Utc>,
) -> OrdersResult<Vec<QuotationView>> {
    let ids = ids(
        db,
        "SELECT id FROM orders.quotations WHERE organisation_id = $1 AND ($2::uuid IS NULL OR id < $2) \
         ORDER BY id DESC LIMIT $3",
        organisation,
        after,
        limit,
    )
    .await?;
    let mut out = Vec::new();
    for id in ids {
        out.push(organisation_view(db, organisation, id, now).await?);
    }
    Ok(out)
}

async fn ids(
    db: &impl ConnectionTrait,
    sql: &str,
    owner: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> OrdersResult<Vec<Uuid>> {
    #[derive(FromQueryResult)]
    struct Id {
        id: Uuid,
    }
    Ok(
        Id::find_by_statement(pg(sql, [owner.into(), after.into(), (limit as i64).into()]))
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect(),
    )
}

/// A vendor's part of a quotation, with the request (404 when the vendor has no part).
pub async fn vendor_view(
    db: &impl ConnectionTrait,
    vendor: Uuid,
    id: Uuid,
) -> OrdersResult<VendorQuotationView> {
    let (part, lines) = parts(db, id, Some(vendor))
        .await?
        .pop()
        .ok_or(OrdersError::NotFound("quotation"))?;
    let h = head(db, id, None).await?;
    let organisation_name = platform::organisations::service::find(db, h.organisation_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    Ok(VendorQuotationView {
        quotation_id: h.id,
        number: h.number,
        organisation_name,
        organisation_kind: h.organisation_kind,
        status: h.status,
        delivery_date: h.delivery_date,
        notes: h.notes,
        address: address_of(h.address)?,
        created_at: h.created_at,
        part: part_view(db, part, lines).await?,
    })
}

/// The quotations a vendor has a part in, newest first; `open` keeps those still waiting
/// for its answer.
pub async fn vendor_list(
    db: &impl ConnectionTrait,
    vendor: Uuid,
    open: bool,
    after: Option<Uuid>,
    limit: u64,
) -> OrdersResult<Vec<VendorQuotationView>> {
    let sql = if open {
        "SELECT quotation_id AS id FROM orders.quotation_parts WHERE vendor_id = $1 AND status = 'requested' \
         AND ($2::uuid IS NULL OR quotation_id < $2) ORDER BY quotation_id DESC LIMIT $3"
    } else {
        "SELECT quotation_id AS id FROM orders.quotation_parts WHERE vendor_id = $1 \
         AND ($2::uuid IS NULL OR quotation_id < $2) ORDER BY quotation_id DESC LIMIT $3"
    };
    let mut out = Vec::new();
    for id in ids(db, sql, vendor, after, limit).await? {
        out.push(vendor_view(db, vendor, id).await?);
    }
    Ok(out)
}

/// Lock the quotation for a change; `None` when it is not there (for this organisation).
pub(crate) async fn lock(
    db: &impl ConnectionTrait,
    id: Uuid,
    organisation: Option<Uuid>,
) -> OrdersResult<QuotationStatus> {
    #[derive(FromQueryResult)]
    struct Row {
        status: QuotationStatus,
    }
    Row::find_by_statement(pg(
        "SELECT status FROM orders.quotations WHERE id = $1 AND ($2::uuid IS NULL OR organisation_id = $2) FOR UPDATE",
        [id.into(), organisation.into()],
    ))
    .one(db)
    .await?
    .map(|r| r.status)
    .ok_or(OrdersError::NotFound("quotation"))
}

pub(crate) async fn set_status(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: QuotationStatus,
    to: QuotationStatus,
) -> OrdersResult<()> {
    if !from.can_move_to(to) {
        return Err(OrdersError::IllegalTransition {
            action: "change the quotation",
            state: from.to_string(),
        });
    }
    db.execute_raw(pg(
        "UPDATE orders.quotations SET status = $2, updated_at = now() WHERE id = $1",
        [id.into(), to.into()],
    ))
    .await?;
    Ok(())
}

/// The status the parts now add up to.
async fn settle_status(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: QuotationStatus,
) -> OrdersResult<()> {
    #[derive(FromQueryResult)]
    struct Counts {
        requested: i64,
        answered: i64,
    }
    let c = Counts::find_by_statement(pg(
        "SELECT count(*) FILTER (WHERE status = 'requested') AS requested, \
                count(*) FILTER (WHERE status = 'answered') AS answered \
         FROM orders.quotation_parts WHERE quotation_id = $1",
        [id.into()],
    ))
    .one(db)
    .await?
    .ok_or(OrdersError::NotFound("quotation"))?;
    let to = match (c.requested, c.answered) {
        (0, 0) => QuotationStatus::Declined,
        (0, _) => QuotationStatus::Answered,
        (_, 0) => return Ok(()),
        _ => QuotationStatus::PartiallyAnswered,
    };
    if to == from {
        // A revised answer: the parts add up to what they did.
        return Ok(());
    }
    set_status(db, id, from, to).await
}

/// What a vendor is about to do with its part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartMove {
    /// Answer it, or revise its answer: allowed until the organisation accepts (or
    /// withdraws); revising an expired quotation's answer gives it a new validity.
    Answer,
    /// Decline it: only while it waits for a first answer.
    Decline,
}

/// Lock the vendor's part of a quotation still open to `what`.
async fn open_part(
    db: &impl ConnectionTrait,
    vendor: Uuid,
    id: Uuid,
    what: PartMove,
) -> OrdersResult<(QuotationStatus, PartRow, Vec<LineRow>)> {
    // The part first: a vendor without one learns nothing of the quotation (nor locks it).
    if parts(db, id, Some(vendor)).await?.is_empty() {
        return Err(OrdersError::NotFound("quotation"));
    }
    // Then the quotation locked, and the part read again under the lock: an approver
    // accepting, or the same vendor answering, at the same time comes wholly before or after.
    let status = lock(db, id, None).await?;
    let (part, lines) = parts(db, id, Some(vendor))
        .await?
        .pop()
        .ok_or(OrdersError::NotFound("quotation"))?;
    let open = match what {
        PartMove::Answer => {
            matches!(
                status,
                QuotationStatus::Requested
                    | QuotationStatus::PartiallyAnswered
                    | QuotationStatus::Answered
                    | QuotationStatus::Expired
            ) && part.status != PartStatus::Declined
        }
        PartMove::Decline => {
            matches!(
                status,
                QuotationStatus::Requested | QuotationStatus::PartiallyAnswered
            ) && part.status == PartStatus::Requested
        }
    };
    if !open {
        return Err(OrdersError::IllegalTransition {
            action: match what {
                PartMove::Answer => "answer the quotation",
                PartMove::Decline => "decline the quotation",
            },
            state: format!("the quotation is {status}, its part {}", part.status),
        });
    }
    Ok((status, part, lines))
}

/// A vendor answers its part, or revises its answer (prices, shipping, validity, notes)
/// until the organisation accepts the quotation; every line is priced again.
#[tracing::instrument(skip_all, fields(%vendor, quotation = %id))]
pub async fn answer(
    db: &DatabaseConnection,
    vendor: Uuid,
    id: Uuid,
    a: QuotationAnswer,
    now: DateTime<Utc>,
) -> OrdersResult<()> {
    let txn = db.begin().await?;
    let (status, part, lines) = open_part(&txn, vendor, id, PartMove::Answer).await?;
    let mut errors = Vec::new();
    for l in &lines {
        if !a.lines.iter().any(|q| q.variant_id == l.line.variant_id) {
            errors.push(FieldError::new(
                "lines",
                "missing_line",
                format!("give a price for variant {}", l.line.variant_id),
            ));
        }
    }
    for (i, q) in a.lines.iter().enumerate() {
        if !lines.iter().any(|l| l.line.variant_id == q.variant_id)
            || a.lines[..i].iter().any(|o| o.variant_id == q.variant_id)
        {
            errors.push(FieldError::new(
                format!("lines[{i}].variant_id"),
                "not_in_part",
                "not a line of your part, or priced twice",
            ));
        }
        if !(0..=MAX_PRICE).contains(&q.unit_price) {
            errors.push(FieldError::new(
                format!("lines[{i}].unit_price"),
                "out_of_range",
                format!("must be 0 to {MAX_PRICE}"),
            ));
        }
    }
    if !(0..=MAX_PRICE).contains(&a.shipping_fee) {
        errors.push(FieldError::new(
            "shipping_fee",
            "out_of_range",
            format!("must be 0 to {MAX_PRICE}"),
        ));
    }
    if a.valid_until <= now || a.valid_until > now + chrono::Duration::days(MAX_VALIDITY_DAYS) {
        errors.push(FieldError::new(
            "valid_until",
            "out_of_range",
            format!("must be in the future, at most {MAX_VALIDITY_DAYS} days ahead"),
        ));
    }
    text_at_most(&mut errors, "notes", &a.notes, 2000);
    if !errors.is_empty() {
        return Err(OrdersError::Invalid(errors));
    }
    let variants: Vec<Uuid> = a.lines.iter().map(|q| q.variant_id).collect();
    let prices: Vec<i64> = a.lines.iter().map(|q| q.unit_price).collect();
    txn.execute_raw(pg(
        "WITH priced AS (UPDATE orders.quotation_lines l SET quoted_unit_price = v.price \
             FROM unnest($2::uuid[], $3::bigint[]) AS v(variant_id, price) \
             WHERE l.part_id = $1 AND l.variant_id = v.variant_id) \
         UPDATE orders.quotation_parts SET status = $4, shipping_fee = $5, valid_until = $6, vendor_notes = $7, \
             answered_at = now(), revision = revision + CASE WHEN status = 'answered' THEN 1 ELSE 0 END \
         WHERE id = $1",
        [
            part.id.into(),
            variants.into(),
            prices.into(),
            PartStatus::Answered.into(),
            a.shipping_fee.into(),
            a.valid_until.into(),
            a.notes.trim().into(),
        ],
    ))
    .await?;
    settle_status(&txn, id, status).await?;
    txn.commit().await?;
    Ok(())
}

/// A vendor declines its part.
pub async fn decline(
    db: &DatabaseConnection,
    vendor: Uuid,
    id: Uuid,
    d: DeclinePart,
) -> OrdersResult<()> {
    let mut errors = Vec::new();
    text_at_most(&mut errors, "notes", &d.notes, 2000);
    if !errors.is_empty() {
        return Err(OrdersError::Invalid(errors));
    }
    let txn = db.begin().await?;
    let (status, part, _) = open_part(&txn, vendor, id, PartMove::Decline).await?;
    txn.execute_raw(pg(
        "UPDATE orders.quotation_parts SET status = $2, vendor_notes = $3, answered_at = now() WHERE id = $1",
        [
            part.id.into(),
            PartStatus::Declined.into(),
            d.notes.trim().into(),
        ],
    ))
    .await?;
    settle_status(&txn, id, status).await?;
    txn.commit().await?;
    Ok(())
}

/// The organisation withdraws a quotation it no longer wants.
pub async fn withdraw(db: &DatabaseConnection, organisation: Uuid, id: Uuid) -> OrdersResult<()> {
    let txn = db.begin().await?;
    let status = lock(&txn, id, Some(organisation)).await?;
    set_status(&txn, id, status, QuotationStatus::Withdrawn).await?;
    txn.commit().await?;
    Ok(())
}

/// Record as expired every answered quotation whose validity (its answered parts'
/// earliest) has passed; returns how many. Readers already see them expired
/// ([`QuotationView::effective`]) and accepting refuses them; this makes the stored status,
/// the vendors' lists and the organisation's filters agree. Rows a request holds are
/// skipped and expired on the next pass.
pub async fn expire_due(db: &impl ConnectionTrait, now: DateTime<Utc>) -> OrdersResult<u64> {
    let res = db
        .execute_raw(pg(
            "UPDATE orders.quotations q SET status = $2, updated_at = now() \
             WHERE q.id IN (SELECT id FROM orders.quotations WHERE status = $3 FOR UPDATE SKIP LOCKED) \
                 AND (SELECT min(valid_until) FROM orders.quotation_parts p \
                      WHERE p.quotation_id = q.id AND p.status = 'answered') < $1",
            [
                now.into(),
                QuotationStatus::Expired.into(),
                QuotationStatus::Answered.into(),
            ],
        ))
        .await?;
    Ok(res.rows_affected())
}

/// Where the quotation's goods go.
pub(crate) async fn address(db: &impl ConnectionTrait, id: Uuid) -> OrdersResult<Address> {
    address_of(head(db, id, None).await?.address)
}
