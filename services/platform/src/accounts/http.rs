//! `/v1/auth/*`, `/v1/me` and `/v1/admin/accounts`.

use super::entity::user;
use super::input::{Email, NewPassword, display_name};
use super::service::{self, NewAccount, Session};
use crate::auth::{AdminUser, Authenticated, Role};
use crate::client_addr::ClientAddr;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::extract::{Json, Query};
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
