//! `/v1/organisations/*` (members) and `/v1/admin/organisations/*` (review).

use super::member::OrgMember;
use super::service::{self, Decision, Member, NewOrganisation, Organisation, required_text};
use super::{MemberRole, OrganisationKind, OrganisationStatus};
use crate::accounts::input::Email;
use crate::auth::{AdminUser, Authenticated};
use crate::business_number::BusinessNumber;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::extract::{Json, Path, Query};
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(apply, my_organisations))
        .routes(routes!(organisation))
        .routes(routes!(list_members, put_member))
        .routes(routes!(admin_list))
        .routes(routes!(admin_approve))
        .routes(routes!(admin_reject))
        .routes(routes!(admin_credit_limit))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationView {
    pub id: Uuid,
    pub kind: OrganisationKind,
    pub name: String,
    /// 사업자등록번호 in 3-2-5 form.
    pub business_number: String,
    pub representative: String,
    pub address: String,
    /// Where tax invoices (세금계산서) are sent.
    pub tax_invoice_email: String,
    pub status: OrganisationStatus,
    pub status_reason: Option<String>,
    /// Won that may be owed on invoices at once.
    pub credit_limit: i64,
    /// Won owed on invoices not yet paid.
    pub credit_used: i64,
    /// Days an invoice may stay unpaid before it is overdue.
    pub payment_terms_days: i32,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<Organisation> for OrganisationView {
    fn from(o: Organisation) -> Self {
        OrganisationView {
            business_number: o.business_number_display(),
            id: o.id,
            kind: o.kind,
            name: o.name,
            representative: o.representative,
            address: o.address,
            tax_invoice_email: o.tax_invoice_email,
            status: o.status,
            status_reason: o.status_reason,
            credit_limit: o.credit_limit,
            credit_used: o.credit_used,
            payment_terms_days: o.payment_terms_days,
            created_at: o.created_at,
            decided_at: o.decided_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipView {
    pub organisation: OrganisationView,
    pub role: MemberRole,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: MemberRole,
    pub created_at: DateTime<Utc>,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        MemberView {
            user_id: m.user_id,
            email: m.email,
            display_name: m.display_name,
            role: m.role,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationApplication {
    pub kind: OrganisationKind,
    pub name: String,
    /// 사업자등록번호 (고유번호 for a public body), with or without dashes; its check
    /// digit is verified.
    pub business_number: String,
    pub representative: String,
    pub address: String,
    pub tax_invoice_email: String,
}

impl OrganisationApplication {
    fn parse(self) -> Result<NewOrganisation, ApiError> {
        let mut errors: Vec<FieldError> = Vec::new();
        let name = required_text(&mut errors, "name", &self.name, 100);
        let representative = required_text(&mut errors, "representative", &self.representative, 50);
        let address = required_text(&mut errors, "address", &self.address, 200);
        let number = BusinessNumber::parse(&self.business_number)
            .map_err(|m| {
                errors.push(FieldError::new(
                    "business_number",
                    "invalid_business_number",
                    m,
                ))
            })
            .ok();
        let email = Email::parse(&self.tax_invoice_email, "tax_invoice_email")
            .map_err(|e| errors.push(e))
            .ok();
        match (name, representative, address, number, email) {
            (
                Some(name),
                Some(representative),
                Some(address),
                Some(business_number),
                Some(email),
            ) if errors.is_empty() => Ok(NewOrganisation {
                kind: self.kind,
                name,
                business_number,
                representative,
                address,
                tax_invoice_email: email,
            }),
            _ => Err(ApiError::validation(errors)),
        }
    }
}

/// Apply for a buyer organisation. The caller becomes its first approver; it can buy once
/// an admin approves it.
#[utoipa::path(post, path = "/v1/organisations", tag = "organisations", security(("bearer" = [])),
    request_body = OrganisationApplication,
    responses((status = 201, body = OrganisationView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn apply(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Json(req): Json<OrganisationApplication>,
) -> ApiResult<(StatusCode, Json<OrganisationView>)> {
    let org = service::apply(&state.db, p.user_id, req.parse()?).await?;
    Ok((StatusCode::CREATED, Json(org.into())))
}

/// The organisations the caller is a member of, with the caller's role.
#[utoipa::path(get, path = "/v1/organisations", tag = "organisations", security(("bearer" = [])),
    responses((status = 200, body = Vec<MembershipView>), (status = 401, body = Problem)))]
async fn my_organisations(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
) -> ApiResult<Json<Vec<MembershipView>>> {
    let rows = service::of_member(&state.db, p.user_id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|(o, role)| MembershipView {
                organisation: o.into(),
                role,
            })
            .collect(),
    ))
}

/// One of the caller's organisations, in any status (404 for anyone not a member).
#[utoipa::path(get, path = "/v1/organisations/{org_id}", tag = "organisations", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)),
    responses((status = 200, body = OrganisationView), (status = 404, body = Problem)))]
async fn organisation(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Path(org_id): Path<Uuid>,
) -> ApiResult<Json<OrganisationView>> {
    let (org, _) = service::membership(&state.db, org_id, p.user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("organisation"))?;
    Ok(Json(org.into()))
}

/// The organisation's members.
#[utoipa::path(get, path = "/v1/organisations/{org_id}/members", tag = "organisations", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)),
    responses((status = 200, body = Vec<MemberView>), (status = 404, body = Problem)))]
async fn list_members(
    State(state): State<AppState>,
    member: OrgMember,
) -> ApiResult<Json<Vec<MemberView>>> {
    let rows = service::members(&state.db, member.organisation_id()).await?;
    Ok(Json(rows.into_iter().map(MemberView::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutMember {
    /// The email of an existing account.
    pub email: String,
    pub role: MemberRole,
}

/// Add an account as a member, or change a member's role (approvers only).
#[utoipa::path(put, path = "/v1/organisations/{org_id}/members", tag = "organisations", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), request_body = PutMember,
    responses((status = 200, body = MemberView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn put_member(
    State(state): State<AppState>,
    member: OrgMember,
    Json(req): Json<PutMember>,
) -> ApiResult<Json<MemberView>> {
    member.require_approver()?;
    let email = Email::parse(&req.email, "email").map_err(|e| ApiError::validation(vec![e]))?;
    let m = service::put_member(&state.db, member.organisation_id(), &email, req.role).await?;
    Ok(Json(m.into()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganisationFilter {
    pub status: Option<OrganisationStatus>,
}

/// Organisations, newest first (admin).
#[utoipa::path(get, path = "/v1/admin/organisations", tag = "organisations", security(("bearer" = [])),
    params(PageParams, OrganisationFilter),
    responses((status = 200, body = Page<OrganisationView>), (status = 403, body = Problem)))]
async fn admin_list(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    Query(page): Query<PageParams>,
    Query(filter): Query<OrganisationFilter>,
) -> ApiResult<Json<Page<OrganisationView>>> {
    let limit = page.limit();
    let rows = service::list(&state.db, filter.status, page.decode::<Uuid>()?, limit + 1).await?;
    Ok(Json(Page::from_rows(
        rows,
        limit,
        |o| o.id,
        OrganisationView::from,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveOrganisation {
    /// Won the organisation may owe on invoices at once (0: card only).
    #[serde(deserialize_with = "crate::bounds::within::<_, _, 0, 1_000_000_000_000>")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub credit_limit: i64,
    /// Days an invoice may stay unpaid (default 30).
    #[serde(
        default,
        deserialize_with = "crate::bounds::within_opt::<_, _, 1, 180>"
    )]
    #[schema(minimum = 1, maximum = 180)]
    pub payment_terms_days: Option<i32>,
}

/// Approve a pending organisation with its credit line (admin).
#[utoipa::path(post, path = "/v1/admin/organisations/{id}/approve", tag = "organisations", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ApproveOrganisation,
    responses((status = 200, body = OrganisationView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn admin_approve(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    Path(id): Path<Uuid>,
    Json(req): Json<ApproveOrganisation>,
) -> ApiResult<Json<OrganisationView>> {
    let terms = req.payment_terms_days.unwrap_or(30);
    let org = service::decide(
        &state.db,
        id,
        Decision::Approve {
            credit_limit: req.credit_limit,
            payment_terms_days: terms,
        },
    )
    .await?;
    Ok(Json(org.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectOrganisation {
    pub reason: String,
}

/// Reject a pending organisation (admin).
#[utoipa::path(post, path = "/v1/admin/organisations/{id}/reject", tag = "organisations", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = RejectOrganisation,
    responses((status = 200, body = OrganisationView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn admin_reject(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    Path(id): Path<Uuid>,
    Json(req): Json<RejectOrganisation>,
) -> ApiResult<Json<OrganisationView>> {
    let mut errors = Vec::new();
    let reason = required_text(&mut errors, "reason", &req.reason, 500)
        .ok_or_else(|| ApiError::validation(errors))?;
    let org = service::decide(&state.db, id, Decision::Reject { reason }).await?;
    Ok(Json(org.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditLimit {
    #[serde(deserialize_with = "crate::bounds::within::<_, _, 0, 1_000_000_000_000>")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub credit_limit: i64,
}

/// Change an organisation's credit limit (admin); never below what it owes now.
#[utoipa::path(put, path = "/v1/admin/organisations/{id}/credit-limit", tag = "organisations", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = CreditLimit,
    responses((status = 200, body = OrganisationView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn admin_credit_limit(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    Path(id): Path<Uuid>,
    Json(req): Json<CreditLimit>,
) -> ApiResult<Json<OrganisationView>> {
    let org = service::set_credit_limit(&state.db, id, req.credit_limit).await?;
    Ok(Json(org.into()))
}
