//! What a vendor is owed and what the shop owes: the vendor's balance and the admin's
//! liabilities report.

use crate::error::SettlementsResult;
use crate::policies;
use chrono::{Days, NaiveDate};
use platform::db::pg;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Balance {
    pub vendor_id: Uuid,
    /// Paid orders not yet confirmed (구매확정): owed once they are, less commission and fees.
    pub pending: i64,
    /// Booked after 구매확정, in no statement yet.
    pub confirmed_not_stated: i64,
    /// Statements not paid yet (due, or a payout under way).
    pub due: i64,
    /// Paid out.
    pub paid: i64,
    /// The ledger: every payable entry, payouts included (what the shop owes now).
    pub ledger_balance: i64,
}

async fn scalar(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> SettlementsResult<i64> {
    let r = db.query_one_raw(pg(sql, values)).await?;
    Ok(r.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0))
}

pub async fn balance(db: &impl ConnectionTrait, vendor_id: Uuid) -> SettlementsResult<Balance> {
    Ok(Balance {
        vendor_id,
        pending: orders::settlement_facts::unconfirmed_total(db, vendor_id).await?,
        confirmed_not_stated: scalar(
            db,
            "SELECT COALESCE(sum(e.amount), 0)::bigint AS n FROM settlements.entries e WHERE e.vendor_id = $1 \
             AND e.kind NOT IN ('payout', 'platform_discount') \
             AND NOT EXISTS (SELECT 1 FROM settlements.statement_entries s WHERE s.entry_id = e.id)",
            vec![vendor_id.into()],
        )
        .await?,
        due: scalar(
            db,
            "SELECT COALESCE(sum(net_payable), 0)::bigint AS n FROM settlements.statements \
             WHERE vendor_id = $1 AND status IN ('due', 'paying')",
            vec![vendor_id.into()],
        )
        .await?,
        paid: scalar(
            db,
            "SELECT COALESCE(sum(amount), 0)::bigint AS n FROM settlements.payouts WHERE vendor_id = $1 AND status = 'paid'",
            vec![vendor_id.into()],
        )
        .await?,
        ledger_balance: crate::ledger::balance(db, vendor_id).await?,
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgeBucket {
    /// Days since booking, inclusive: `0-7`, `8-14`, `15-20`, `21+`.
    pub age: String,
    pub amount: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Liabilities {
    pub as_of: NaiveDate,
    /// Owed to vendors now: every payable entry not yet paid out.
    pub owed: i64,
    pub by_age: Vec<AgeBucket>,
    pub due_next_7_days: i64,
    pub due_next_30_days: i64,
    /// Owed past its legal deadline.
    pub overdue: i64,
    /// Owed with a due date after its legal deadline (a cycle too slow for the law).
    pub due_after_deadline: i64,
    pub legal_deadline_days: i32,
    /// `owed × hold_apart_bp`, rounded up to the won.
    pub hold_apart: i64,
    pub hold_apart_bp: i32,
}

/// Entries still owed: payable, not paid out (in no statement, or in one not paid).
const UNPAID: &str = "FROM settlements.entries e LEFT JOIN settlements.statement_entries se ON se.entry_id = e.id \
    LEFT JOIN settlements.statements s ON s.id = se.statement_id \
    WHERE e.kind NOT IN ('payout', 'platform_discount') AND (s.id IS NULL OR s.status <> 'paid')";

pub async fn liabilities(
    db: &impl ConnectionTrait,
    today: NaiveDate,
) -> SettlementsResult<Liabilities> {
    let settings = policies::settings(db).await?;
    let owed = scalar(
        db,
        &format!("SELECT COALESCE(sum(e.amount), 0)::bigint AS n {UNPAID}"),
        vec![],
    )
    .await?;
    let rows = db
        .query_all_raw(pg(
            format!(
                "SELECT CASE WHEN age <= 7 THEN '0-7' WHEN age <= 14 THEN '8-14' WHEN age <= 20 THEN '15-20' ELSE '21+' END AS bucket, \
                 sum(amount)::bigint AS n FROM (SELECT e.amount, ($1::date - (e.booked_at AT TIME ZONE 'Asia/Seoul')::date) AS age {UNPAID}) t \
                 GROUP BY 1"
            ),
            [today.into()],
        ))
        .await?;
    let mut by_age: Vec<AgeBucket> = ["0-7", "8-14", "15-20", "21+"]
        .iter()
        .map(|a| AgeBucket {
            age: (*a).into(),
            amount: 0,
        })
        .collect();
    for r in rows {
        let bucket: String = r.try_get("", "bucket")?;
        if let Some(b) = by_age.iter_mut().find(|b| b.age == bucket) {
            b.amount = r.try_get("", "n")?;
        }
    }
    let due_within = |days: u64| {
        let until = today + Days::new(days);
        (
            format!(
                "SELECT COALESCE(sum(e.amount), 0)::bigint AS n {UNPAID} AND e.due_on > $1 AND e.due_on <= $2"
            ),
            vec![today.into(), until.into()],
        )
    };
    let (sql7, v7) = due_within(7);
    let (sql30, v30) = due_within(30);
    let overdue = scalar(
        db,
        &format!("SELECT COALESCE(sum(e.amount), 0)::bigint AS n {UNPAID} AND e.deadline_on < $1"),
        vec![today.into()],
    )
    .await?;
    let due_after_deadline = scalar(
        db,
        &format!(
            "SELECT COALESCE(sum(e.amount), 0)::bigint AS n {UNPAID} AND e.due_on > e.deadline_on"
        ),
        vec![],
    )
    .await?;
    let hold_apart =
        ((i128::from(owed.max(0)) * i128::from(settings.hold_apart_bp) + 9_999) / 10_000) as i64;
    Ok(Liabilities {
        as_of: today,
        owed,
        by_age,
        due_next_7_days: scalar(db, &sql7, v7).await?,
        due_next_30_days: scalar(db, &sql30, v30).await?,
        overdue,
        due_after_deadline,
        legal_deadline_days: settings.legal_deadline_days,
        hold_apart,
        hold_apart_bp: settings.hold_apart_bp,
    })
}
