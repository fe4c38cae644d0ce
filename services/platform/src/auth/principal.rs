//! Typed extractors: a handler that takes `AdminUser` cannot run for anyone else. A
//! missing or bad token is 401; a valid token of the wrong role is 403. Admin power is
//! re-checked against the account on every request (one primary-key read), so a
//! demoted or disabled admin loses it at once, not when the token lapses.

use super::role::Role;
use crate::accounts::changes::recheck;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use uuid::Uuid;

/// The verified caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    pub role: Role,
    pub vendor_id: Option<Uuid>,
}

fn principal_from(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated))?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated))?;
    let claims = state
        .tokens
        .verify(token.trim())
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidToken))?;
    Ok(Principal {
        user_id: claims.sub,
        role: claims.role,
        vendor_id: claims.vendor_id,
    })
}

fn require(parts: &Parts, state: &AppState, allowed: &[Role]) -> Result<Principal, ApiError> {
    let p = principal_from(parts, state)?;
    if allowed.contains(&p.role) {
        Ok(p)
    } else {
        Err(ApiError::new(ErrorCode::Forbidden))
    }
}

/// [`require`], and a token that says admin is re-checked against the account: admin
/// power ends with the demotion or the disabling, not when the token lapses. Other
/// roles' tokens are trusted until they expire (no read on the shop's hot paths).
async fn require_current(
    parts: &Parts,
    state: &AppState,
    allowed: &[Role],
) -> Result<Principal, ApiError> {
    let p = require(parts, state, allowed)?;
    if p.role == Role::Admin {
        recheck(&state.db, p.user_id, allowed).await?;
    }
    Ok(p)
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, [$($role:ident),+]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name(pub Principal);

        impl<S> FromRequestParts<S> for $name
        where
            AppState: FromRef<S>,
            S: Send + Sync,
        {
            type Rejection = ApiError;
            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
                let app = AppState::from_ref(state);
                require_current(parts, &app, &[$(Role::$role),+]).await.map($name)
            }
        }
    };
}

role_extractor!(
    /// Any signed-in account.
    Authenticated, [Customer, Vendor, Marketer, Admin]
);
role_extractor!(
    /// A consumer account.
    CustomerUser, [Customer]
);
role_extractor!(
    /// A marketer, or an admin (who may do everything a marketer does).
    MarketerUser, [Marketer, Admin]
);
role_extractor!(
    /// An admin, as the account is now (not only as the token says).
    AdminUser, [Admin]
);

/// A vendor account, with the one vendor it is bound to.
#[derive(Debug, Clone, Copy)]
pub struct VendorUser {
    pub principal: Principal,
    pub vendor_id: Uuid,
}

impl<S> FromRequestParts<S> for VendorUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let app = AppState::from_ref(state);
        let principal = require(parts, &app, &[Role::Vendor])?;
        // A vendor account without a vendor binding can do nothing vendor-side.
        let vendor_id = principal.vendor_id.ok_or_else(|| {
            ApiError::new(ErrorCode::Forbidden).with_detail("account is not bound to a vendor")
        })?;
        Ok(VendorUser {
            principal,
            vendor_id,
        })
    }
}

/// Optional authentication: `None` for anonymous callers, 401 for a bad token.
#[derive(Debug, Clone, Copy)]
pub struct MaybeUser(pub Option<Principal>);

impl<S> FromRequestParts<S> for MaybeUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if !parts.headers.contains_key(AUTHORIZATION) {
            return Ok(MaybeUser(None));
        }
        let app = AppState::from_ref(state);
        principal_from(parts, &app).map(|p| MaybeUser(Some(p)))
    }
}
