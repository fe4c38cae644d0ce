//! `/v1/auth/*`, `/v1/me` and `/v1/admin/accounts` (with role changes, disable and
//! enable, and their audit trail).

use super::changes;
use super::entity::{account_audit, user};
use super::input::{Email, NewPassword, display_name};
use super::service::{self, NewAccount, Session};
use crate::auth::{AdminUser, Authenticated, Role};
use crate::client_addr::ClientAddr;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::extract::{Json, Path, Query};
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(create_account, list_accounts))
        .routes(routes!(change_role))
        .routes(routes!(disable_account))
        .routes(routes!(enable_account))
        .routes(routes!(account_audit))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub vendor_id: Option<Uuid>,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

impl From<user::Model> for AccountView {
    fn from(u: user::Model) -> Self {
        AccountView {
            id: u.id,
            role: service::role_of(&u),
            email: u.email,
            display_name: u.display_name,
            vendor_id: u.vendor_id,
            status: u.status,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Single use: exchange it at `/v1/auth/refresh` for a new pair.
    pub refresh_token: String,
    pub account: AccountView,
}

impl From<Session> for TokenResponse {
    fn from(s: Session) -> Self {
        TokenResponse {
            access_token: s.access_token,
            token_type: "Bearer",
            expires_in: s.expires_in,
            refresh_token: s.refresh_token,
            account: s.user.into(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    pub email: String,
    /// 10 to 128 characters.
    pub password: String,
    pub display_name: String,
}

/// Create a customer account and sign in.
#[utoipa::path(post, path = "/v1/auth/signup", tag = "accounts", request_body = SignupRequest,
    responses((status = 201, body = TokenResponse), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn signup(
    State(state): State<AppState>,
    Json(req): Json<SignupRequest>,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    let mut errors = Vec::new();
    let email = keep(Email::parse(&req.email, "email"), &mut errors);
    let password = keep(NewPassword::parse(req.password, "password"), &mut errors);
    let name = keep(display_name(&req.display_name, "display_name"), &mut errors);
    let (Some(email), Some(password), Some(display_name)) = (email, password, name) else {
        return Err(ApiError::validation(errors));
    };
    let account = NewAccount {
        email,
        password,
        display_name,
        role: Role::Customer,
        vendor_id: None,
    };
    let u = service::create_account(&state.db, account).await?;
    let session = service::start_session(&state, &state.db, u, crate::ids::new_id()).await?;
    Ok((StatusCode::CREATED, Json(session.into())))
}

fn keep<T>(r: Result<T, FieldError>, errors: &mut Vec<FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Sign in with email and password. Repeated failures are rate-limited per account and
/// per client address (429 with `Retry-After`).
#[utoipa::path(post, path = "/v1/auth/login", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem), (status = 429, body = Problem)))]
async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Json<TokenResponse>> {
    // A malformed email cannot belong to an account: same answer as a wrong password.
    let email = Email::parse(&req.email, "email")
        .map_err(|_| ApiError::new(crate::ErrorCode::InvalidCredentials))?;
    let session = service::login(&state, &email, req.password, client).await?;
    Ok(Json(session.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Exchange a refresh token for a new access token and refresh token. Each refresh token
/// works once; presenting a spent one revokes every token of its session.
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "accounts", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem)))]
async fn refresh(
    State(state): State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let session = service::refresh(&state, &req.refresh_token).await?;
    Ok(Json(session.into()))
}

/// End the session of this refresh token.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "accounts", request_body = RefreshRequest,
    responses((status = 204)))]
async fn logout(
    State(state): State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> ApiResult<StatusCode> {
    service::logout(&state, &req.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in account.
#[utoipa::path(get, path = "/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = AccountView), (status = 401, body = Problem)))]
async fn me(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
) -> ApiResult<Json<AccountView>> {
    let u = service::find_user(&state.db, p.user_id).await?;
    Ok(Json(u.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    pub email: String,
    pub password: String,
    pub display_name: String,
    pub role: Role,
    /// Required for, and only for, `vendor` accounts.
    pub vendor_id: Option<Uuid>,
}

/// Create an account of any role (admin only).
#[utoipa::path(post, path = "/v1/admin/accounts", tag = "accounts", security(("bearer" = [])),
    request_body = CreateAccountRequest,
    responses((status = 201, body = AccountView), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn create_account(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    Json(req): Json<CreateAccountRequest>,
) -> ApiResult<(StatusCode, Json<AccountView>)> {
    let u = service::create_by_admin(
        &state.db,
        &req.email,
        req.password,
        &req.display_name,
        req.role,
        req.vendor_id,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(u.into())))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountFilter {
    pub role: Option<Role>,
}

/// List accounts, newest first (admin only).
#[utoipa::path(get, path = "/v1/admin/accounts", tag = "accounts", security(("bearer" = [])),
    params(PageParams, AccountFilter),
    responses((status = 200, body = Page<AccountView>), (status = 403, body = Problem)))]
async fn list_accounts(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    Query(page): Query<PageParams>,
    Query(filter): Query<AccountFilter>,
) -> ApiResult<Json<Page<AccountView>>> {
    let mut q = user::Entity::find();
    if let Some(role) = filter.role {
        q = q.filter(user::Column::Role.eq(role.as_str()));
    }
    let page = Page::newest_first(
        q,
        user::Column::Id,
        &page,
        &state.db,
        |u| u.id,
        AccountView::from,
    );
    Ok(Json(page.await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    pub role: Role,
    /// The vendor a `vendor` account works for; when absent, the one it is already bound
    /// to. Other roles drop the binding.
    pub vendor_id: Option<Uuid>,
}

/// Change an account's role (admin only). An admin cannot demote their own account
/// (409 `own_account`). Admin requests re-read the role, so a demoted admin loses admin
/// access at once; every change leaves an audit row.
#[utoipa::path(put, path = "/v1/admin/accounts/{id}/role", tag = "accounts", security(("bearer" = [])),
    request_body = RoleChange,
    responses((status = 200, body = AccountView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn change_role(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<Uuid>,
    Json(req): Json<RoleChange>,
) -> ApiResult<Json<AccountView>> {
    let u = changes::change_role(&state, admin.user_id, id, req.role, req.vendor_id).await?;
    Ok(Json(u.into()))
}

/// Disable an account (admin only): it cannot sign in, its refresh tokens are revoked
/// and, if it is an admin, its admin requests are refused at once. Not one's own account
/// (409 `own_account`).
#[utoipa::path(post, path = "/v1/admin/accounts/{id}/disable", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = AccountView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn disable_account(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<AccountView>> {
    Ok(Json(
        changes::disable(&state, admin.user_id, id).await?.into(),
    ))
}

/// Let a disabled account sign in again (admin only).
#[utoipa::path(post, path = "/v1/admin/accounts/{id}/enable", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = AccountView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn enable_account(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<AccountView>> {
    Ok(Json(
        changes::enable(&state, admin.user_id, id).await?.into(),
    ))
}

/// One change an admin made to an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountAuditView {
    pub id: Uuid,
    pub account_id: Uuid,
    /// The admin who made the change.
    pub actor_id: Uuid,
    /// `role_changed`, `disabled` or `enabled`.
    pub action: String,
    /// The changed fields before.
    pub before: AccountFields,
    /// The same fields after.
    pub after: AccountFields,
    pub created_at: DateTime<Utc>,
}

/// The fields of an account an audit row records; absent ones were not part of the
/// change (a vendor binding that is absent beside a role means none).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct AccountFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<Uuid>,
    /// `active` or `disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl AccountFields {
    fn of(v: serde_json::Value) -> AccountFields {
        // Written by `changes` only, so always this shape; an unreadable row shows empty
        // rather than failing the whole page.
        serde_json::from_value(v).unwrap_or_default()
    }
}

impl From<account_audit::Model> for AccountAuditView {
    fn from(a: account_audit::Model) -> Self {
        AccountAuditView {
            id: a.id,
            account_id: a.account_id,
            actor_id: a.actor_id,
            action: a.action,
            before: AccountFields::of(a.before),
            after: AccountFields::of(a.after),
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Only the changes to this account.
    pub account_id: Option<Uuid>,
}

/// Role and status changes to accounts, newest first (admin only).
#[utoipa::path(get, path = "/v1/admin/accounts/audit", tag = "accounts", security(("bearer" = [])),
    params(PageParams, AuditFilter),
    responses((status = 200, body = Page<AccountAuditView>), (status = 403, body = Problem)))]
async fn account_audit(
    State(state): State<AppState>,
    _a: AdminUser,
    Query(page): Query<PageParams>,
    Query(filter): Query<AuditFilter>,
) -> ApiResult<Json<Page<AccountAuditView>>> {
    let page = Page::newest_first(
        changes::audit_trail(filter.account_id),
        account_audit::Column::Id,
        &page,
        &state.db,
        |a| a.id,
        AccountAuditView::from,
    );
    Ok(Json(page.await?))
}
