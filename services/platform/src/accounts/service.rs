//! Account rules, free of HTTP: create, authenticate, rotate and revoke.

use super::entity::{refresh_token, user};
use super::input::{Email, NewPassword, display_name};
use crate::auth::tokens::{hash_refresh_token, new_refresh_token};
use crate::auth::{Role, passwords};
use crate::error::{ApiError, ErrorCode};
use crate::ids::new_id;
use crate::pagination::newest_first;
use crate::ratelimit::{self, Verdict, Window};
use crate::state::AppState;
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait, Set, TransactionTrait,
};
use std::net::IpAddr;
use uuid::Uuid;

pub const STATUS_ACTIVE: &str = "active";
pub const STATUS_DISABLED: &str = "disabled";

pub struct NewAccount {
    pub email: Email,
    pub password: NewPassword,
    pub display_name: String,
    pub role: Role,
    pub vendor_id: Option<Uuid>,
}

/// An access token and its refresh token.
pub struct Session {
    pub access_token: String,
    pub expires_in: u64,
    pub refresh_token: String,
    pub user: user::Model,
}

#[tracing::instrument(skip_all, fields(role = %input.role))]
pub async fn create_account(
    db: &impl ConnectionTrait,
    input: NewAccount,
) -> Result<user::Model, ApiError> {
    if (input.role == Role::Vendor) != input.vendor_id.is_some() {
        return Err(ApiError::field(
            "vendor_id",
            "vendor_binding",
            "a vendor account needs a vendor_id, and only a vendor account may have one",
        ));
    }
    let hash = passwords::hash(input.password.into_inner())
        .await
        .map_err(ApiError::internal)?;
    let now = Utc::now();
    let model = user::ActiveModel {
        id: Set(new_id()),
        email: Set(input.email.as_str().to_owned()),
        password_hash: Set(hash),
        role: Set(input.role.as_str().to_owned()),
        vendor_id: Set(input.vendor_id),
        display_name: Set(input.display_name),
        status: Set(STATUS_ACTIVE.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
    };
    model.insert(db).await.map_err(|e| {
        let err = ApiError::from(e);
        if err.code == ErrorCode::Conflict {
            ApiError::new(ErrorCode::EmailTaken)
        } else {
            err
        }
    })
}

/// An account of any role as an admin creates it: the typed text checked (every
/// mistake reported at once, each on its field), then stored. The JSON API and the
/// console both call this.
pub async fn create_by_admin(
    db: &impl ConnectionTrait,
    email: &str,
    password: String,
    name: &str,
    role: Role,
    vendor_id: Option<Uuid>,
) -> Result<user::Model, ApiError> {
    let mut errors = Vec::new();
    let email = Email::parse(email, "email")
        .map_err(|e| errors.push(e))
        .ok();
    let password = NewPassword::parse(password, "password")
        .map_err(|e| errors.push(e))
        .ok();
    let name = display_name(name, "display_name")
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(email), Some(password), Some(display_name)) = (email, password, name) else {
        return Err(ApiError::validation(errors));
    };
    create_account(
        db,
        NewAccount {
            email,
            password,
            display_name,
            role,
            vendor_id,
        },
    )
    .await
}

/// Accounts newest first, optionally of one role, `limit` of them after the account
/// `before` (a cursor page fetches `limit + 1` to learn whether there is more).
pub async fn accounts_page(
    db: &impl ConnectionTrait,
    role: Option<Role>,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<user::Model>, ApiError> {
    let q = user::Entity::find().apply_if(role, |q, r| q.filter(user::Column::Role.eq(r.as_str())));
    Ok(newest_first(db, q, user::Column::Id, before, limit).await?)
}

pub fn role_of(u: &user::Model) -> Role {
    // The column has a CHECK constraint, so an unknown role cannot be stored; fall back to
    // the least privileged role rather than panic if it ever were.
    u.role.parse().unwrap_or(Role::Customer)
}

/// Start a session for `u` inside `db` (a transaction or the pool).
pub async fn start_session(
    state: &AppState,
    db: &impl ConnectionTrait,
    u: user::Model,
    family_id: Uuid,
) -> Result<Session, ApiError> {
    let access_token = state
        .tokens
        .issue(u.id, role_of(&u), u.vendor_id)
        .map_err(ApiError::internal)?;
    let refresh = new_refresh_token();
    let now = Utc::now();
    let ttl = chrono::Duration::from_std(state.config.refresh_token_ttl)
        .unwrap_or_else(|_| chrono::Duration::days(30));
    refresh_token::ActiveModel {
        id: Set(new_id()),
        user_id: Set(u.id),
        family_id: Set(family_id),
        token_hash: Set(hash_refresh_token(&refresh)),
        expires_at: Set(now + ttl),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(Session {
        access_token,
        expires_in: state.tokens.access_ttl.as_secs(),
        refresh_token: refresh,
        user: u,
    })
}

fn login_windows(state: &AppState) -> (Window, Window) {
    let per_account = Window {
        limit: state.config.login_max_failures,
        period: state.config.login_window,
    };
    // One address may front many people (an office, a mobile carrier's NAT), so it gets a
    // wider allowance than one account.
    let per_address = Window {
        limit: state.config.login_max_failures.saturating_mul(4),
        period: state.config.login_window,
    };
    (per_account, per_address)
}

#[tracing::instrument(skip_all)]
pub async fn login(
    state: &AppState,
    email: &Email,
    password: String,
    client: IpAddr,
) -> Result<Session, ApiError> {
    let (per_account, per_address) = login_windows(state);
    let account_key = format!("login:account:{}", email.as_str());
    let address_key = format!("login:address:{client}");
    // Every attempt is counted before it is tried, so concurrent guesses cannot all slip
    // in under the limit while the first are still being verified.
    if let Verdict::Limited(retry) =
        ratelimit::acquire(&state.redis, &account_key, &per_account).await
    {
        return Err(ApiError::rate_limited(retry));
    }
    if let Verdict::Limited(retry) =
        ratelimit::acquire(&state.redis, &address_key, &per_address).await
    {
        // Not tried, so it does not count against the account.
        ratelimit::release(&state.redis, &account_key).await;
        return Err(ApiError::rate_limited(retry));
    }

    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(&state.db)
        .await?;
    let ok = passwords::verify(password, found.as_ref().map(|u| u.password_hash.clone())).await;
    let u = match (ok, found) {
        (true, Some(u)) => u,
        // The attempt stays counted.
        _ => return Err(ApiError::new(ErrorCode::InvalidCredentials)),
    };
    // A right password is not a failure: the account starts afresh and the address gets
    // its attempt back (an office behind one address logs in all day).
    ratelimit::reset(&state.redis, &account_key).await;
    ratelimit::release(&state.redis, &address_key).await;
    if u.status != STATUS_ACTIVE {
        return Err(ApiError::new(ErrorCode::AccountDisabled));
    }
    user::Entity::update_many()
        .col_expr(user::Column::LastLoginAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(u.id))
        .exec(&state.db)
        .await?;
    start_session(state, &state.db, u, new_id()).await
}

/// Rotate a refresh token: the presented token is spent and a new one of the same family
/// issued. Presenting a spent token again means it leaked: the whole family is revoked.
#[tracing::instrument(skip_all)]
pub async fn refresh(state: &AppState, presented: &str) -> Result<Session, ApiError> {
    let txn = state.db.begin().await?;
    // FOR UPDATE: two concurrent refreshes of one token are serialised, and the second
    // sees the token spent — exactly the reuse we must catch.
    let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_refresh_token(presented)))
        .lock_exclusive()
        .one(&txn)
        .await?
    else {
        return Err(ApiError::new(ErrorCode::RefreshTokenInvalid));
    };
    if token.used_at.is_some() {
        revoke_family(&txn, token.family_id).await?;
        txn.commit().await?;
        tracing::warn!(user_id = %token.user_id, "refresh token reuse; family revoked");
        return Err(ApiError::new(ErrorCode::RefreshTokenReused));
    }
    if token.revoked_at.is_some() || token.expires_at <= Utc::now() {
        return Err(ApiError::new(ErrorCode::RefreshTokenInvalid));
    }
    let Some(u) = user::Entity::find_by_id(token.user_id).one(&txn).await? else {
        return Err(ApiError::new(ErrorCode::RefreshTokenInvalid));
    };
    if u.status != STATUS_ACTIVE {
        revoke_family(&txn, token.family_id).await?;
        txn.commit().await?;
        return Err(ApiError::new(ErrorCode::AccountDisabled));
    }
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::Id.eq(token.id))
        .exec(&txn)
        .await?;
    let session = start_session(state, &txn, u, token.family_id).await?;
    txn.commit().await?;
    Ok(session)
}

/// End the session the refresh token belongs to. Unknown tokens are ignored: logging out
/// twice is not an error.
pub async fn logout(state: &AppState, presented: &str) -> Result<(), ApiError> {
    if let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_refresh_token(presented)))
        .one(&state.db)
        .await?
    {
        revoke_family(&state.db, token.family_id).await?;
    }
    Ok(())
}

async fn revoke_family(db: &impl ConnectionTrait, family_id: Uuid) -> Result<(), ApiError> {
    revoke_refresh_tokens(db, refresh_token::Column::FamilyId.eq(family_id)).await
}

/// Revoke the live refresh tokens that `which` selects (one session's family, or every
/// token of an account being disabled).
pub(super) async fn revoke_refresh_tokens(
    db: &impl ConnectionTrait,
    which: impl sea_orm::sea_query::IntoCondition,
) -> Result<(), ApiError> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(which)
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The accounts among `ids` that exist, to show who someone is beside an id.
pub async fn users_by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<user::Model>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

pub async fn find_user(db: &impl ConnectionTrait, id: Uuid) -> Result<user::Model, ApiError> {
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("account"))
}

/// The account with this e-mail address, if there is one (addresses are stored
/// lower-cased, as [`Email`] parses them).
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<user::Model>, ApiError> {
    Ok(users_by_emails(db, std::slice::from_ref(email))
        .await?
        .pop())
}

/// The accounts among these e-mail addresses that exist, in one read.
pub async fn users_by_emails(
    db: &impl ConnectionTrait,
    emails: &[Email],
) -> Result<Vec<user::Model>, ApiError> {
    if emails.is_empty() {
        return Ok(Vec::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Email.is_in(emails.iter().map(Email::as_str)))
        .all(db)
        .await?)
}

/// Bind an account to the vendor it now runs (on vendor approval), inside the caller's
/// transaction. Staff accounts are never turned into vendor accounts. The new role shows
/// in the account's next access token (refresh or log in again).
pub async fn bind_vendor(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    vendor_id: Uuid,
) -> Result<(), ApiError> {
    let res = user::Entity::update_many()
        .col_expr(user::Column::Role, Expr::value(Role::Vendor.as_str()))
        .col_expr(user::Column::VendorId, Expr::value(vendor_id))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::Role.is_in([Role::Customer.as_str(), Role::Vendor.as_str()]))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(ApiError::new(ErrorCode::Conflict)
            .with_detail("the applicant account cannot be bound to a vendor"));
    }
    Ok(())
}
