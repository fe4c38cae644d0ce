//! Organisation rules, free of HTTP: apply, decide, members, and the reads other crates
//! use (names for the disclosure, the business identity a tax invoice carries).

use super::{MemberRole, OrganisationKind, OrganisationStatus};
use crate::accounts::input::Email;
use crate::business_number::BusinessNumber;
use crate::db::pg;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::ids::new_id;
use crate::status::StateMachine;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use std::collections::HashMap;
use uuid::Uuid;

/// An organisation as stored.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Organisation {
    pub id: Uuid,
    pub kind: OrganisationKind,
    pub name: String,
    /// Ten digits.
    pub business_number: String,
    pub representative: String,
    pub address: String,
    pub tax_invoice_email: String,
    pub status: OrganisationStatus,
    pub status_reason: Option<String>,
    pub credit_limit: i64,
    pub credit_used: i64,
    pub payment_terms_days: i32,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "o.id, o.kind, o.name, o.business_number, o.representative, o.address, \
    o.tax_invoice_email, o.status, o.status_reason, o.credit_limit, o.credit_used, \
    o.payment_terms_days, o.created_at, o.decided_at";

impl Organisation {
    /// The business number in its usual 3-2-5 form.
    pub fn business_number_display(&self) -> String {
        BusinessNumber::parse(&self.business_number)
            .map(|b| b.to_string())
            .unwrap_or_else(|_| self.business_number.clone())
    }
}

/// A valid application.
pub struct NewOrganisation {
    pub kind: OrganisationKind,
    pub name: String,
    pub business_number: BusinessNumber,
    pub representative: String,
    pub address: String,
    pub tax_invoice_email: Email,
}

/// Text of 1 to `max` characters, trimmed.
pub fn required_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: &str,
    max: usize,
) -> Option<String> {
    let t = raw.trim();
    let n = t.chars().count();
    if n == 0 || n > max {
        errors.push(FieldError::new(
            field,
            "invalid_length",
            format!("must be 1 to {max} characters"),
        ));
        None
    } else {
        Some(t.to_owned())
    }
}

/// Apply for an organisation; the applicant becomes its first approver (one statement,
/// so both rows exist or neither does).
#[tracing::instrument(skip_all)]
pub async fn apply(
    db: &impl ConnectionTrait,
    applicant: Uuid,
    new: NewOrganisation,
) -> Result<Organisation, ApiError> {
    let id = new_id();
    db.execute_raw(pg(
        "WITH org AS (INSERT INTO accounts.organisations (id, kind, name, business_number, representative, \
             address, tax_invoice_email, status, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)) \
         INSERT INTO accounts.organisation_members (organisation_id, user_id, role) VALUES ($1, $9, $10)",
        [
            id.into(),
            new.kind.into(),
            new.name.into(),
            new.business_number.digits().into(),
            new.representative.into(),
            new.address.into(),
            new.tax_invoice_email.as_str().into(),
            OrganisationStatus::Pending.into(),
            applicant.into(),
            MemberRole::Approver.into(),
        ],
    ))
    .await
    .map_err(|e| {
        let err = ApiError::from(e);
        if err.code == ErrorCode::Conflict {
            ApiError::new(ErrorCode::Conflict)
                .with_detail("an organisation with this business number already exists")
        } else {
            err
        }
    })?;
    find(db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("organisation"))
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Organisation>, ApiError> {
    Ok(Organisation::find_by_statement(pg(
        format!("SELECT {COLUMNS} FROM accounts.organisations o WHERE o.id = $1"),
        [id.into()],
    ))
    .one(db)
    .await?)
}

/// The organisation and the member's role in it, whatever its status; `None` when `user`
/// is not a member (or there is no such organisation: the caller cannot tell which).
pub async fn membership(
    db: &impl ConnectionTrait,
    organisation: Uuid,
    user: Uuid,
) -> Result<Option<(Organisation, MemberRole)>, ApiError> {
    #[derive(FromQueryResult)]
    struct Row {
        role: MemberRole,
    }
    let sql = format!(
        "SELECT {COLUMNS}, m.role FROM accounts.organisations o \
         JOIN accounts.organisation_members m ON m.organisation_id = o.id \
         WHERE o.id = $1 AND m.user_id = $2"
    );
    let stmt = pg(sql, [organisation.into(), user.into()]);
    let Some(row) = db.query_one_raw(stmt).await? else {
        return Ok(None);
    };
    let org = Organisation::from_query_result(&row, "")?;
    let role = Row::from_query_result(&row, "")?.role;
    Ok(Some((org, role)))
}

/// Every organisation `user` is a member of, with the role, newest first.
pub async fn of_member(
    db: &impl ConnectionTrait,
    user: Uuid,
) -> Result<Vec<(Organisation, MemberRole)>, ApiError> {
    let sql = format!(
        "SELECT {COLUMNS}, m.role FROM accounts.organisations o \
         JOIN accounts.organisation_members m ON m.organisation_id = o.id \
         WHERE m.user_id = $1 ORDER BY o.id DESC LIMIT 100"
    );
    let rows = db.query_all_raw(pg(sql, [user.into()])).await?;
    rows.iter()
        .map(|r| {
            let role: MemberRole = r.try_get("", "role")?;
            Ok((Organisation::from_query_result(r, "")?, role))
        })
        .collect()
}

/// Organisations, newest first, optionally of one status (admin review).
pub async fn list(
    db: &impl ConnectionTrait,
    status: Option<OrganisationStatus>,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Organisation>, ApiError> {
    Ok(Organisation::find_by_statement(pg(
        format!(
            "SELECT {COLUMNS} FROM accounts.organisations o \
             WHERE ($1::text IS NULL OR o.status = $1) AND ($2::uuid IS NULL OR o.id < $2) \
             ORDER BY o.id DESC LIMIT $3"
        ),
        [
            status.map(|s| s.as_str().to_owned()).into(),
            before.into(),
            (limit as i64).into(),
        ],
    ))
    .all(db)
    .await?)
}

/// An admin's decision on a pending application.
pub enum Decision {
    Approve {
        credit_limit: i64,
        payment_terms_days: i32,
    },
    Reject {
        reason: String,
    },
}

pub async fn decide(
    db: &impl ConnectionTrait,
    id: Uuid,
    decision: Decision,
) -> Result<Organisation, ApiError> {
    let (to, limit, terms, reason) = match decision {
        Decision::Approve {
            credit_limit,
            payment_terms_days,
        } => (
            OrganisationStatus::Approved,
            credit_limit,
            payment_terms_days,
            None,
        ),
        Decision::Reject { reason } => (OrganisationStatus::Rejected, 0, 30, Some(reason)),
    };
    let res = db
        .execute_raw(pg(
            "UPDATE accounts.organisations SET status = $2, credit_limit = $3, payment_terms_days = $4, \
                 status_reason = $5, decided_at = now() WHERE id = $1 AND status = ANY($6)",
            [
                id.into(),
                to.into(),
                limit.into(),
                terms.into(),
                reason.into(),
                OrganisationStatus::sources(to).into(),
            ],
        ))
        .await?;
    let org = find(db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("organisation"))?;
    if res.rows_affected() == 0 {
        return Err(ApiError::new(ErrorCode::IllegalTransition)
            .with_detail(format!("the organisation is already {}", org.status)));
    }
    Ok(org)
}

/// Change an approved organisation's credit limit; never below what it already owes
/// (the table's check refuses it as a conflict).
pub async fn set_credit_limit(
    db: &impl ConnectionTrait,
    id: Uuid,
    credit_limit: i64,
) -> Result<Organisation, ApiError> {
    let res = db
        .execute_raw(pg(
            "UPDATE accounts.organisations SET credit_limit = $2 WHERE id = $1 AND credit_used <= $2",
            [id.into(), credit_limit.into()],
        ))
        .await?;
    let org = find(db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("organisation"))?;
    if res.rows_affected() == 0 {
        return Err(ApiError::new(ErrorCode::Conflict).with_detail(format!(
            "the organisation already owes {} won",
            org.credit_used
        )));
    }
    Ok(org)
}

/// A member as listed.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Member {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: MemberRole,
    pub created_at: DateTime<Utc>,
}

pub async fn members(
    db: &impl ConnectionTrait,
    organisation: Uuid,
) -> Result<Vec<Member>, ApiError> {
    Ok(Member::find_by_statement(pg(
        "SELECT m.user_id, u.email, u.display_name, m.role, m.created_at \
         FROM accounts.organisation_members m JOIN accounts.users u ON u.id = m.user_id \
         WHERE m.organisation_id = $1 ORDER BY m.created_at, m.user_id",
        [organisation.into()],
    ))
    .all(db)
    .await?)
}

/// Make the account with `email` a member with `role` (or change its role).
pub async fn put_member(
    db: &impl ConnectionTrait,
    organisation: Uuid,
    email: &Email,
    role: MemberRole,
) -> Result<Member, ApiError> {
    let added = Member::find_by_statement(pg(
        "WITH who AS (SELECT id, email, display_name FROM accounts.users WHERE email = $2), \
         put AS (INSERT INTO accounts.organisation_members (organisation_id, user_id, role) \
             SELECT $1, id, $3 FROM who \
             ON CONFLICT (organisation_id, user_id) DO UPDATE SET role = EXCLUDED.role \
             RETURNING user_id, role, created_at) \
         SELECT put.user_id, who.email, who.display_name, put.role, put.created_at FROM put JOIN who ON who.id = put.user_id",
        [organisation.into(), email.as_str().into(), role.into()],
    ))
    .one(db)
    .await?;
    added.ok_or_else(|| ApiError::field("email", "unknown_account", "no account has this email"))
}

/// Names of organisations by id (for reports that show who bought).
pub async fn names(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, ApiError> {
    #[derive(FromQueryResult)]
    struct Row {
        id: Uuid,
        name: String,
    }
    let rows = Row::find_by_statement(pg(
        "SELECT id, name FROM accounts.organisations WHERE id = ANY($1)",
        [ids.to_vec().into()],
    ))
    .all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}
