//! Closing a period: one statement per vendor with a balance due, made of the entries due
//! by the period's end that no statement holds yet. An entry is in at most one statement
//! (its id is the key of `statement_entries`); a vendor's close runs under a lock on the
//! vendor, so a refund booked while a period closes is either in the statement (booked
//! before the close read the entries) or carried to the next (booked after), never both
//! and never neither. Closing again makes nothing new. A vendor whose entries sum to zero
//! or less gets no statement: what it owes back is carried and offset (상계) next time.
//! Held vendors and vendor orders with an open return are left out until released.

use crate::domain::kinds::EntryKind;
use crate::error::{SettlementsError, SettlementsResult};
use crate::{holds, policies};
use chrono::{DateTime, NaiveDate, Utc};
use platform::db::pg;
use platform::ids::new_id;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, TransactionTrait};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, FromQueryResult, utoipa::ToSchema)]
pub struct StatementSummary {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub period_end: NaiveDate,
    pub closed_at: DateTime<Utc>,
    /// Entries carried from earlier periods (due by the previous close but not stated then).
    pub opening_carry: i64,
    pub sales: i64,
    pub refunds: i64,
    pub shipping: i64,
    pub vendor_discounts: i64,
    /// Informational: not part of the net payable.
    pub platform_discounts: i64,
    pub commission: i64,
    pub commission_vat: i64,
    pub fees: i64,
    pub adjustments: i64,
    pub net_payable: i64,
    pub due_on: NaiveDate,
    /// `due`, `paying` (a payout is under way) or `paid`.
    pub status: String,
}

const SUMMARY_COLUMNS: &str = "id, vendor_id, period_end, closed_at, opening_carry, sales, refunds, shipping, \
    vendor_discounts, platform_discounts, commission, commission_vat, fees, adjustments, net_payable, due_on, status";

/// One entry of a statement, traceable to its order.
#[derive(Debug, Clone, Serialize, FromQueryResult, utoipa::ToSchema)]
pub struct StatementLine {
    pub entry_id: Uuid,
    pub kind: String,
    pub amount: i64,
    pub order_number: Option<String>,
    pub order_id: Option<Uuid>,
    pub vendor_order_id: Option<Uuid>,
    pub line_id: Option<Uuid>,
    pub rate_bp: Option<i32>,
    pub reason: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub due_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatementDetail {
    #[serde(flatten)]
    pub summary: StatementSummary,
    pub lines: Vec<StatementLine>,
}

#[derive(Debug, FromQueryResult)]
struct Candidate {
    id: Uuid,
    kind: String,
    amount: i64,
    vendor_order_id: Option<Uuid>,
    due_on: Option<NaiveDate>,
}

/// Close the period ending `period_end` (a Seoul day) for every vendor with unstated
/// entries due by then. Returns the statements made.
#[tracing::instrument(skip_all, fields(%period_end))]
pub async fn close_period(
    db: &DatabaseConnection,
    period_end: NaiveDate,
    actor: Option<Uuid>,
) -> SettlementsResult<Vec<StatementSummary>> {
    let mut made = Vec::new();
    for vendor_id in vendors_to_close(db, period_end).await? {
        if let Some(s) = close_vendor(db, vendor_id, period_end, actor).await? {
            made.push(s);
        }
    }
    Ok(made)
}

/// The vendors with unstated entries due by `period_end`: the work of closing that period,
/// one [`close_vendor`] each (the console closes them one by one to show progress).
pub async fn vendors_to_close(
    db: &impl ConnectionTrait,
    period_end: NaiveDate,
) -> SettlementsResult<Vec<Uuid>> {
    let rows = db
        .query_all_raw(pg("SELECT DISTINCT e.vendor_id FROM settlements.entries e \
             WHERE e.kind <> 'payout' AND e.due_on <= $1 \
             AND NOT EXISTS (SELECT 1 FROM settlements.statement_entries s WHERE s.entry_id = e.id) \
             ORDER BY e.vendor_id",
            [period_end.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get("", "vendor_id")?))
        .collect()
}

/// Close one vendor's period in one transaction; `None` when nothing is due to it.
pub async fn close_vendor(
    db: &DatabaseConnection,
    vendor_id: Uuid,
    period_end: NaiveDate,
    actor: Option<Uuid>,
) -> SettlementsResult<Option<StatementSummary>> {
    let txn = db.begin().await?;
    txn.execute_raw(pg(
        "SELECT pg_advisory_xact_lock(hashtextextended('settlements:vendor:' || $1::text, 0))",
        [vendor_id.into()],
    ))
    .await?;
    if holds::is_held(&txn, vendor_id).await? {
        txn.commit().await?;
        return Ok(None);
    }
    let candidates = Candidate::find_by_statement(pg(
        "SELECT e.id, e.kind, e.amount, e.vendor_order_id, e.due_on FROM settlements.entries e \
         WHERE e.vendor_id = $1 AND e.kind <> 'payout' AND e.due_on <= $2 \
         AND NOT EXISTS (SELECT 1 FROM settlements.statement_entries s WHERE s.entry_id = e.id) ORDER BY e.id",
        [vendor_id.into(), period_end.into()],
    ))
    .all(&txn)
    .await?;
    let vos: Vec<Uuid> = candidates
        .iter()
        .filter_map(|c| c.vendor_order_id)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let open_returns = orders::settlement_facts::with_open_returns(&txn, &vos).await?;
    let included: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| {
            c.vendor_order_id
                .is_none_or(|vo| !open_returns.contains(&vo))
        })
        .collect();
    let mut by_kind: BTreeMap<EntryKind, i64> = BTreeMap::new();
    for c in &included {
        if let Some(k) = EntryKind::parse(&c.kind) {
            *by_kind.entry(k).or_insert(0) += c.amount;
        }
    }
    let net: i64 = by_kind
        .iter()
        .filter(|(k, _)| k.payable())
        .map(|(_, a)| a)
        .sum();
    if net <= 0 {
        txn.commit().await?;
        return Ok(None);
    }
    let previous_end: Option<NaiveDate> = txn
        .query_one_raw(pg(
            "SELECT max(period_end) AS d FROM settlements.statements WHERE vendor_id = $1",
            [vendor_id.into()],
        ))
        .await?
        .map(|r| r.try_get("", "d"))
        .transpose()?
        .flatten();
    let carry: i64 = included
        .iter()
        .filter(|c| EntryKind::parse(&c.kind).is_some_and(EntryKind::payable))
        .filter(|c| previous_end.is_some_and(|p| c.due_on.is_some_and(|d| d <= p)))
        .map(|c| c.amount)
        .sum();
    let holidays = policies::holidays(&txn).await?;
    let due_on = holidays.roll_forward(period_end);
    let of = |k: EntryKind| by_kind.get(&k).copied().unwrap_or(0);
    let id = new_id();
    let summary = StatementSummary::find_by_statement(pg(
        format!(
            "INSERT INTO settlements.statements (id, vendor_id, period_end, closed_by, opening_carry, sales, refunds, \
             shipping, vendor_discounts, platform_discounts, commission, commission_vat, fees, adjustments, net_payable, due_on) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING {SUMMARY_COLUMNS}"
        ),
        [
            id.into(),
            vendor_id.into(),
            period_end.into(),
            actor.into(),
            carry.into(),
            of(EntryKind::Sale).into(),
            of(EntryKind::Refund).into(),
            of(EntryKind::ShippingIncome).into(),
            of(EntryKind::VendorDiscount).into(),
            of(EntryKind::PlatformDiscount).into(),
            of(EntryKind::Commission).into(),
            of(EntryKind::CommissionVat).into(),
            of(EntryKind::PaymentFee).into(),
            of(EntryKind::Adjustment).into(),
            net.into(),
            due_on.into(),
        ],
    ))
    .one(&txn)
    .await?
    .ok_or(SettlementsError::Db(sea_orm::DbErr::RecordNotInserted))?;
    let ids: Vec<Uuid> = included.iter().map(|c| c.id).collect();
    txn.execute_raw(pg(
        "INSERT INTO settlements.statement_entries (entry_id, statement_id) SELECT unnest((SELECT $1)::uuid[]), $2",
        [platform::db::uuid_array(&ids), id.into()],
    ))
    .await?;
    txn.commit().await?;
    Ok(Some(summary))
}

/// A vendor's statements, newest first (`before`: the cursor, a statement id).
pub async fn list(
    db: &impl ConnectionTrait,
    vendor_id: Option<Uuid>,
    before: Option<Uuid>,
    limit: u64,
) -> SettlementsResult<Vec<StatementSummary>> {
    crate::pages::newest_first(
        db,
        "settlements.statements",
        SUMMARY_COLUMNS,
        vendor_id,
        before,
        limit,
    )
    .await
}

/// A statement with its lines; `vendor_id` scopes it to its vendor (404 for anyone else's).
pub async fn detail(
    db: &impl ConnectionTrait,
    id: Uuid,
    vendor_id: Option<Uuid>,
) -> SettlementsResult<StatementDetail> {
    let summary = StatementSummary::find_by_statement(pg(
        format!("SELECT {SUMMARY_COLUMNS} FROM settlements.statements WHERE id = $1 AND ($2::uuid IS NULL OR vendor_id = $2)"),
        [id.into(), vendor_id.into()],
    ))
    .one(db)
    .await?
    .ok_or(SettlementsError::NotFound("statement"))?;
    let lines = StatementLine::find_by_statement(pg(
        "SELECT e.id AS entry_id, e.kind, e.amount, e.order_number, e.order_id, e.vendor_order_id, e.line_id, e.rate_bp, \
         e.reason, e.occurred_at, e.due_on FROM settlements.statement_entries s JOIN settlements.entries e ON e.id = s.entry_id \
         WHERE s.statement_id = $1 ORDER BY e.order_number NULLS LAST, e.vendor_order_id, e.id",
        [id.into()],
    ))
    .all(db)
    .await?;
    Ok(StatementDetail { summary, lines })
}
