//! The ledger: booking a vendor order's entries (the consumer of orders' events calls
//! [`book_vendor_order`]), admin adjustments, and reading what is booked.
//!
//! Entries are only ever inserted. Each carries a unique key (source, kind, line): a
//! booking's source names the vendor order and the state of its facts it was computed
//! from, so two consumers booking the same state insert the same keys and the second
//! inserts nothing; and bookings of one vendor order are serialised by a transaction-level
//! advisory lock, so the second computes its differences against the first's entries.

use crate::domain::booking::{self, Booked, Posting, Rates};
use crate::domain::calendar::{due_date, legal_deadline};
use crate::domain::commission::{self, LineContext, RateBp};
use crate::domain::kinds::EntryKind;
use crate::error::{SettlementsError, SettlementsResult};
use crate::policies;
use chrono::{DateTime, Utc};
use orders::settlement_facts::VendorOrderFacts;
use platform::db::pg;
use platform::ids::new_id;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

/// An entry as it is inserted.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub vendor_id: Uuid,
    pub kind: EntryKind,
    pub amount: i64,
    pub order_id: Option<Uuid>,
    pub order_number: Option<String>,
    pub vendor_order_id: Option<Uuid>,
    pub line_id: Option<Uuid>,
    pub source: String,
    pub rate_bp: Option<i32>,
    pub reason: Option<String>,
    pub actor: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub due_on: Option<chrono::NaiveDate>,
    pub deadline_on: Option<chrono::NaiveDate>,
}

/// Insert entries; a key already booked is skipped. Returns how many were inserted.
pub async fn insert(db: &impl ConnectionTrait, entries: &[NewEntry]) -> SettlementsResult<u64> {
    let mut n = 0;
    for e in entries {
        let res = db
            .execute_raw(pg(
                "INSERT INTO settlements.entries (id, vendor_id, kind, amount, order_id, order_number, vendor_order_id, \
                 line_id, source, line_key, rate_bp, reason, actor, occurred_at, due_on, deadline_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
                 ON CONFLICT (source, kind, line_key) DO NOTHING",
                [
                    new_id().into(),
                    e.vendor_id.into(),
                    e.kind.as_str().into(),
                    e.amount.into(),
                    e.order_id.into(),
                    e.order_number.clone().into(),
                    e.vendor_order_id.into(),
                    e.line_id.into(),
                    e.source.clone().into(),
                    e.line_id.map(|l| l.to_string()).unwrap_or_default().into(),
                    e.rate_bp.into(),
                    e.reason.clone().into(),
                    e.actor.into(),
                    e.occurred_at.into(),
                    e.due_on.into(),
                    e.deadline_on.into(),
                ],
            ))
            .await?;
        n += res.rows_affected();
    }
    Ok(n)
}

/// What the ledger holds for a vendor order.
pub async fn booked(db: &impl ConnectionTrait, vendor_order_id: Uuid) -> SettlementsResult<Booked> {
    let rows = db
        .query_all_raw(pg(
            "SELECT kind, line_id, amount, rate_bp FROM settlements.entries WHERE vendor_order_id = $1 ORDER BY id",
            [vendor_order_id.into()],
        ))
        .await?;
    let mut postings = Vec::with_capacity(rows.len());
    for r in rows {
        let kind: String = r.try_get("", "kind")?;
        let Some(kind) = EntryKind::parse(&kind) else {
            continue;
        };
        postings.push(Posting {
            kind,
            line_id: r.try_get("", "line_id")?,
            amount: r.try_get("", "amount")?,
            rate: r
                .try_get::<Option<i32>>("", "rate_bp")?
                .and_then(RateBp::new),
        });
    }
    let mut b = Booked::default();
    booking::apply(&mut b, &postings);
    Ok(b)
}

/// The state of the facts a booking is computed from: bookings of the same state share
/// their keys.
fn facts_version(f: &VendorOrderFacts) -> String {
    let returned: i64 = f.lines.iter().map(|l| i64::from(l.returned_quantity)).sum();
    let refunded: i64 = f.lines.iter().map(|l| l.refunded_amount).sum();
    format!(
        "vo:{}:r{returned}:{refunded}:{}",
        f.vendor_order_id, f.return_shipping_kept
    )
}

/// Book what a vendor order owes its vendor now, in one transaction. Idempotent: returns
/// how many entries were booked (0 for a replay, or before 구매확정).
#[tracing::instrument(skip_all, fields(vendor_order_id = %vendor_order_id))]
pub async fn book_vendor_order(
    db: &DatabaseConnection,
    vendor_order_id: Uuid,
) -> SettlementsResult<u64> {
    book_vendor_order_as_of(db, vendor_order_id, Utc::now()).await
}

/// [`book_vendor_order`] as if booked at `now`: the demo seed books orders it moved back
/// in time as of their confirmation, so their due dates fall in past months.
pub async fn book_vendor_order_as_of(
    db: &DatabaseConnection,
    vendor_order_id: Uuid,
    now: DateTime<Utc>,
) -> SettlementsResult<u64> {
    let txn = db.begin().await?;
    txn.execute_raw(pg(
        "SELECT pg_advisory_xact_lock(hashtextextended('settlements:vo:' || $1::text, 0))",
        [vendor_order_id.into()],
    ))
    .await?;
    let Some(facts) = orders::settlement_facts::vendor_order(&txn, vendor_order_id).await? else {
        // Retrying cannot make it exist: say so and let the event go.
        tracing::warn!("no such vendor order; nothing to book");
        txn.commit().await?;
        return Ok(0);
    };
    let Some(confirmed_at) = facts.confirmed_at else {
        txn.commit().await?;
        return Ok(0);
    };
    let booked = booked(&txn, vendor_order_id).await?;
    let settings = policies::settings(&txn).await?;
    let rules = policies::commission_rules(&txn).await?;
    let products: Vec<Uuid> = facts.lines.iter().map(|l| l.product_id).collect();
    let categories: HashMap<Uuid, Vec<Uuid>> =
        catalog::listing::active_product_facts(&txn, &products)
            .await?
            .into_iter()
            .map(|p| (p.id, p.categories))
            .collect();
    let fee = policies::fee_rate(&txn, &facts.payment_method).await?;
    let commission_of = |line: &orders::settlement_facts::LineFacts| {
        commission::resolve(
            &rules,
            LineContext {
                vendor_id: facts.vendor_id,
                categories: categories
                    .get(&line.product_id)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]),
                campaign_id: line.campaign_id,
                at: facts.ordered_at,
            },
        )
        .unwrap_or(RateBp::ZERO)
    };
    let rates = Rates {
        commission: &commission_of,
        fee,
    };
    let postings = booking::plan(&facts, &rates, &booked);
    if postings.is_empty() {
        txn.commit().await?;
        return Ok(0);
    }
    let policy = policies::vendor_policy(&txn, &settings, facts.vendor_id).await?;
    let holidays = policies::holidays(&txn).await?;
    let confirmed_day = promotions::seoul::day(confirmed_at);
    let due = due_date(policy.cycle_policy(), confirmed_day, &holidays);
    let deadline = legal_deadline(
        confirmed_day,
        u32::try_from(settings.legal_deadline_days).unwrap_or(20),
    );
    let source = facts_version(&facts);
    let entries: Vec<NewEntry> = postings
        .iter()
        .map(|p| NewEntry {
            vendor_id: facts.vendor_id,
            kind: p.kind,
            amount: p.amount,
            order_id: Some(facts.order_id),
            order_number: Some(facts.order_number.clone()),
            vendor_order_id: Some(facts.vendor_order_id),
            line_id: p.line_id,
            source: source.clone(),
            rate_bp: p.rate.map(RateBp::get),
            reason: None,
            actor: None,
            // A first booking happened at confirmation; a later one (a refund) now.
            occurred_at: if booked.amounts.is_empty() {
                confirmed_at
            } else {
                now
            },
            due_on: Some(due.max(promotions::seoul::day(now))),
            deadline_on: Some(deadline.max(promotions::seoul::day(now))),
        })
        .collect();
    let n = insert(&txn, &entries).await?;
    txn.commit().await?;
    Ok(n)
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAdjustment {
    pub vendor_id: Uuid,
    /// Signed won: positive owes the vendor more.
    #[serde(
        deserialize_with = "platform::bounds::within::<_, _, -10_000_000_000, 10_000_000_000>"
    )]
    #[schema(minimum = -10_000_000_000_i64, maximum = 10_000_000_000_i64)]
    pub amount: i64,
    pub reason: String,
}

/// Book an admin's adjustment. `key` (the request's Idempotency-Key, or a fresh id) makes a
/// retried request book once.
pub async fn adjust(
    db: &impl ConnectionTrait,
    adj: &NewAdjustment,
    actor: Uuid,
    key: &str,
) -> SettlementsResult<bool> {
    if adj.amount == 0 {
        return Err(SettlementsError::field("amount", "out_of_range", "not 0"));
    }
    if adj.reason.trim().is_empty() || adj.reason.len() > 500 {
        return Err(SettlementsError::field(
            "reason",
            "required",
            "say why, in 500 characters or fewer",
        ));
    }
    policies::ensure_vendor(db, adj.vendor_id).await?;
    let today = promotions::seoul::day(Utc::now());
    let n = insert(
        db,
        &[NewEntry {
            vendor_id: adj.vendor_id,
            kind: EntryKind::Adjustment,
            amount: adj.amount,
            order_id: None,
            order_number: None,
            vendor_order_id: None,
            line_id: None,
            source: format!("adjustment:{actor}:{key}"),
            rate_bp: None,
            reason: Some(adj.reason.trim().to_owned()),
            actor: Some(actor),
            occurred_at: Utc::now(),
            due_on: Some(today),
            deadline_on: None,
        }],
    )
    .await?;
    Ok(n == 1)
}

/// A vendor's balance: the sum of its payable entries.
pub async fn balance(db: &impl ConnectionTrait, vendor_id: Uuid) -> SettlementsResult<i64> {
    let r = db
        .query_one_raw(pg(
            "SELECT COALESCE(sum(amount), 0)::bigint AS n FROM settlements.entries \
             WHERE vendor_id = $1 AND kind <> 'platform_discount'",
            [vendor_id.into()],
        ))
        .await?;
    Ok(r.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0))
}
