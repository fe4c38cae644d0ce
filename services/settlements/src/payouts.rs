//! Paying statements: bank accounts vendors register, payouts (scheduled → sent → paid or
//! failed) and the provider that moves the money.
//!
//! Scheduling a payout books a `payout` entry of −amount and marks the statement
//! `paying`; a failed payout books +amount (the money is owed again) and the statement is
//! `due` once more, to be paid by a new payout. A statement has at most one live payout.

use crate::domain::kinds::EntryKind;
use crate::error::{SettlementsError, SettlementsResult};
use crate::ledger::{self, NewEntry};
use chrono::{DateTime, Utc};
use platform::db::pg;
use platform::ids::new_id;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, FromQueryResult, utoipa::ToSchema)]
pub struct BankAccount {
    pub id: Uuid,
    pub vendor_id: Uuid,
    /// 금융결제원 bank code, 3 digits (농협 011, 국민 004, 신한 088 …).
    pub bank_code: String,
    pub account_number: String,
    pub holder: String,
    pub registered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBankAccount {
    pub bank_code: String,
    /// Digits; dashes are dropped.
    pub account_number: String,
    pub holder: String,
}

/// Register the vendor's bank account, replacing the current one.
pub async fn register_account(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    a: &NewBankAccount,
) -> SettlementsResult<BankAccount> {
    let digits: String = a
        .account_number
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .collect();
    let mut errors = Vec::new();
    if a.bank_code.len() != 3 || !a.bank_code.chars().all(|c| c.is_ascii_digit()) {
        errors.push(platform::error::FieldError::new(
            "bank_code",
            "invalid",
            "3 digits",
        ));
    }
    if !(6..=16).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
        errors.push(platform::error::FieldError::new(
            "account_number",
            "invalid",
            "6 to 16 digits",
        ));
    }
    let holder = a.holder.trim();
    if holder.is_empty() || holder.chars().count() > 40 {
        errors.push(platform::error::FieldError::new(
            "holder",
            "required",
            "1 to 40 characters",
        ));
    }
    if !errors.is_empty() {
        return Err(SettlementsError::Invalid(errors));
    }
    db.execute_raw(pg(
        "UPDATE settlements.bank_accounts SET retired_at = now() WHERE vendor_id = $1 AND retired_at IS NULL",
        [vendor_id.into()],
    ))
    .await?;
    BankAccount::find_by_statement(pg(
        "INSERT INTO settlements.bank_accounts (id, vendor_id, bank_code, account_number, holder) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id, vendor_id, bank_code, account_number, holder, registered_at",
        [new_id().into(), vendor_id.into(), a.bank_code.clone().into(), digits.into(), holder.into()],
    ))
    .one(db)
    .await?
    .ok_or(SettlementsError::Db(DbErr::RecordNotInserted))
}

pub async fn current_account(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
) -> SettlementsResult<Option<BankAccount>> {
    Ok(BankAccount::find_by_statement(pg(
        "SELECT id, vendor_id, bank_code, account_number, holder, registered_at FROM settlements.bank_accounts \
         WHERE vendor_id = $1 AND retired_at IS NULL",
        [vendor_id.into()],
    ))
    .one(db)
    .await?)
}

#[derive(Debug, Clone, Serialize, FromQueryResult, utoipa::ToSchema)]
pub struct Payout {
    pub id: Uuid,
    pub statement_id: Uuid,
    pub vendor_id: Uuid,
    pub amount: i64,
    /// `scheduled`, `sent`, `paid` or `failed`.
    pub status: String,
    pub bank_account_id: Uuid,
    pub approved_by: Uuid,
    pub provider: String,
    pub failure_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub settled_at: Option<DateTime<Utc>>,
}

const PAYOUT_COLUMNS: &str = "id, statement_id, vendor_id, amount, status, bank_account_id, approved_by, provider, \
    failure_reason, created_at, sent_at, settled_at";

async fn lock_payout(db: &impl ConnectionTrait, id: Uuid) -> SettlementsResult<Payout> {
    Payout::find_by_statement(pg(
        format!("SELECT {PAYOUT_COLUMNS} FROM settlements.payouts WHERE id = $1 FOR UPDATE"),
        [id.into()],
    ))
    .one(db)
    .await?
    .ok_or(SettlementsError::NotFound("payout"))
}

fn payout_entry(p: &Payout, amount: i64, source: String, reason: Option<String>) -> NewEntry {
    let today = promotions::seoul::day(Utc::now());
    NewEntry {
        vendor_id: p.vendor_id,
        kind: EntryKind::Payout,
        amount,
        order_id: None,
        order_number: None,
        vendor_order_id: None,
        line_id: None,
        source,
        rate_bp: None,
        reason,
        actor: Some(p.approved_by),
        occurred_at: Utc::now(),
        due_on: Some(today),
        deadline_on: None,
    }
}

/// An admin approves paying a due statement to the vendor's registered account.
pub async fn schedule(
    db: &impl ConnectionTrait,
    statement_id: Uuid,
    actor: Uuid,
    provider: &str,
) -> SettlementsResult<Payout> {
    let st = db
        .query_one_raw(pg(
            "SELECT vendor_id, net_payable, status FROM settlements.statements WHERE id = $1 FOR UPDATE",
            [statement_id.into()],
        ))
        .await?
        .ok_or(SettlementsError::NotFound("statement"))?;
    let status: String = st.try_get("", "status")?;
    if status != "due" {
        return Err(SettlementsError::IllegalTransition {
            action: "pay the statement",
            state: status,
        });
    }
    let vendor_id: Uuid = st.try_get("", "vendor_id")?;
    let amount: i64 = st.try_get("", "net_payable")?;
    let account =
        current_account(db, vendor_id)
            .await?
            .ok_or(SettlementsError::IllegalTransition {
                action: "pay the statement",
                state: "the vendor has registered no bank account".into(),
            })?;
    let p = Payout::find_by_statement(pg(
        format!(
            "INSERT INTO settlements.payouts (id, statement_id, vendor_id, amount, status, bank_account_id, approved_by, provider) \
             VALUES ($1, $2, $3, $4, 'scheduled', $5, $6, $7) RETURNING {PAYOUT_COLUMNS}"
        ),
        [
            new_id().into(),
            statement_id.into(),
            vendor_id.into(),
            amount.into(),
            account.id.into(),
            actor.into(),
            provider.into(),
        ],
    ))
    .one(db)
    .await?
    .ok_or(SettlementsError::Db(DbErr::RecordNotInserted))?;
    ledger::insert(
        db,
        &[payout_entry(&p, -amount, format!("payout:{}", p.id), None)],
    )
    .await?;
    set_statement(db, statement_id, "paying").await?;
    Ok(p)
}

async fn set_statement(db: &impl ConnectionTrait, id: Uuid, status: &str) -> SettlementsResult<()> {
    db.execute_raw(pg(
        "UPDATE settlements.statements SET status = $2 WHERE id = $1",
        [id.into(), status.into()],
    ))
    .await?;
    Ok(())
}

async fn set_status(
    db: &impl ConnectionTrait,
    id: Uuid,
    to: &str,
    reason: Option<&str>,
) -> SettlementsResult<Payout> {
    Payout::find_by_statement(pg(
        format!(
            "UPDATE settlements.payouts SET status = $2, failure_reason = COALESCE($3, failure_reason), \
             sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END, \
             settled_at = CASE WHEN $2 IN ('paid', 'failed') THEN now() ELSE settled_at END \
             WHERE id = $1 RETURNING {PAYOUT_COLUMNS}"
        ),
        [id.into(), to.into(), reason.map(str::to_owned).into()],
    ))
    .one(db)
    .await?
    .ok_or(SettlementsError::NotFound("payout"))
}

/// The bank confirmed the transfer.
pub async fn mark_paid(db: &impl ConnectionTrait, id: Uuid) -> SettlementsResult<Payout> {
    let p = lock_payout(db, id).await?;
    if p.status != "sent" {
        return Err(SettlementsError::IllegalTransition {
            action: "mark the payout paid",
            state: p.status,
        });
    }
    set_statement(db, p.statement_id, "paid").await?;
    set_status(db, id, "paid", None).await
}

/// The transfer failed: the amount is owed again and the statement is due again.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    id: Uuid,
    reason: &str,
) -> SettlementsResult<Payout> {
    let p = lock_payout(db, id).await?;
    if !matches!(p.status.as_str(), "scheduled" | "sent") {
        return Err(SettlementsError::IllegalTransition {
            action: "mark the payout failed",
            state: p.status,
        });
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(SettlementsError::field(
            "reason",
            "required",
            "say what the bank answered",
        ));
    }
    ledger::insert(
        db,
        &[payout_entry(
            &p,
            p.amount,
            format!("payout:{}:failed", p.id),
            Some(reason.to_owned()),
        )],
    )
    .await?;
    set_statement(db, p.statement_id, "due").await?;
    set_status(db, id, "failed", Some(reason)).await
}

/// One transfer as a provider receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutInstruction {
    pub payout_id: Uuid,
    pub bank_code: String,
    pub account_number: String,
    pub holder: String,
    pub amount: i64,
    /// What the vendor's passbook shows (적요).
    pub memo: String,
}

/// What a provider hands back for a batch: a file to upload to the bank, for the
/// bank-transfer provider.
#[derive(Debug, Clone)]
pub struct PayoutFile {
    pub filename: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Moves the money of scheduled payouts.
#[async_trait::async_trait]
pub trait PayoutProvider: Send + Sync {
    fn name(&self) -> &'static str;
    async fn submit(&self, batch: &[PayoutInstruction]) -> Result<PayoutFile, String>;
}

/// A bulk-transfer file (대량이체) in the CSV layout Korean firm banking accepts: bank code,
/// account number, holder, amount, memo, with a header row, UTF-8. The city uploads it to
/// its bank and marks each payout paid or failed from the bank's result.
pub struct BankTransferCsv;

#[async_trait::async_trait]
impl PayoutProvider for BankTransferCsv {
    fn name(&self) -> &'static str {
        "bank_transfer_csv"
    }

    async fn submit(&self, batch: &[PayoutInstruction]) -> Result<PayoutFile, String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["입금은행코드", "입금계좌번호", "예금주", "이체금액", "적요"])
            .map_err(|e| e.to_string())?;
        for i in batch {
            w.write_record([
                i.bank_code.as_str(),
                i.account_number.as_str(),
                i.holder.as_str(),
                &i.amount.to_string(),
                i.memo.as_str(),
            ])
            .map_err(|e| e.to_string())?;
        }
        let bytes = w.into_inner().map_err(|e| e.to_string())?;
        Ok(PayoutFile {
            filename: format!(
                "payouts-{}.csv",
                promotions::seoul::day(Utc::now()).format("%Y%m%d")
            ),
            content_type: "text/csv; charset=utf-8",
            bytes,
        })
    }
}

/// Send every scheduled payout through `provider` in one batch: they become `sent`, and
/// the provider's file is returned. `None` when nothing was scheduled.
pub async fn send_scheduled(
    db: &impl ConnectionTrait,
    provider: &dyn PayoutProvider,
) -> SettlementsResult<Option<(Vec<Payout>, PayoutFile)>> {
    let rows = db
        .query_all_raw(pg(
            "SELECT p.id, p.amount, b.bank_code, b.account_number, b.holder, s.period_end FROM settlements.payouts p \
             JOIN settlements.bank_accounts b ON b.id = p.bank_account_id JOIN settlements.statements s ON s.id = p.statement_id \
             WHERE p.status = 'scheduled' ORDER BY p.id FOR UPDATE OF p",
            [],
        ))
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut batch = Vec::with_capacity(rows.len());
    for r in &rows {
        let end: chrono::NaiveDate = r.try_get("", "period_end")?;
        batch.push(PayoutInstruction {
            payout_id: r.try_get("", "id")?,
            bank_code: r.try_get("", "bank_code")?,
            account_number: r.try_get("", "account_number")?,
            holder: r.try_get("", "holder")?,
            amount: r.try_get("", "amount")?,
            memo: format!("직구정산{}", end.format("%m%d")),
        });
    }
    let file = provider
        .submit(&batch)
        .await
        .map_err(SettlementsError::PayoutProvider)?;
    let mut sent = Vec::with_capacity(batch.len());
    for i in &batch {
        sent.push(set_status(db, i.payout_id, "sent", None).await?);
    }
    Ok(Some((sent, file)))
}

/// Payouts newest first, of every vendor or one, `limit` of them after the payout
/// `before` (a cursor page fetches `limit + 1` to learn whether there is more).
pub async fn list(
    db: &impl ConnectionTrait,
    vendor_id: Option<Uuid>,
    before: Option<Uuid>,
    limit: u64,
) -> SettlementsResult<Vec<Payout>> {
    crate::pages::newest_first(
        db,
        "settlements.payouts",
        PAYOUT_COLUMNS,
        vendor_id,
        before,
        limit,
    )
    .await
}
