//! The console's session: one HttpOnly, SameSite=Lax cookie holding the same access token
//! and refresh token the JSON API hands out at `/v1/auth/login`. Nothing is kept on the
//! server beyond the refresh token platform already stores in Postgres, so the console
//! keeps working while Redis is down; logout revokes the refresh token's family.
//!
//! The access token lives 15 minutes; when it has expired the refresh token is rotated
//! through `platform::accounts::service::refresh` and the new pair set on the response.
//! The account itself is read on every request (one primary-key read): a disabled
//! account is signed out at once, and a changed role applies at once, as in the admin
//! API.

use crate::cookies;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use platform::AppState;
use platform::accounts::service::{self, Session};
use platform::auth::Principal;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

pub const SESSION_COOKIE: &str = "jikgu_console";

/// The signed-in account of this request, if any (set by [`layer`]).
#[derive(Debug, Clone, Copy)]
pub struct CurrentUser(pub Option<Principal>);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<CurrentUser>()
            .copied()
            .unwrap_or(CurrentUser(None)))
    }
}

/// The cookie value for a fresh session.
pub fn cookie_value(s: &Session) -> String {
    format!("{}~{}", s.access_token, s.refresh_token)
}

fn split(value: &str) -> Option<(&str, &str)> {
    value.split_once('~')
}

/// The refresh token of the request's session (logout revokes it).
pub fn refresh_token_of(headers: &HeaderMap) -> Option<String> {
    let value = cookies::get(headers, SESSION_COOKIE)?;
    split(&value).map(|(_, r)| r.to_owned())
}

/// Rotations of the last minute, by the hash of the spent refresh token. Two requests of
/// one page that both find the access token expired would otherwise both rotate the same
/// refresh token, and platform treats the second as theft and revokes the session; the
/// second one gets the first one's new pair instead. (One process only: several console
/// replicas need sticky sessions for this.)
type Rotations = HashMap<String, (Instant, String)>;
static ROTATIONS: LazyLock<tokio::sync::Mutex<Rotations>> =
    LazyLock::new(|| tokio::sync::Mutex::new(HashMap::new()));
const ROTATION_GRACE: Duration = Duration::from_secs(60);

async fn rotate(state: &AppState, refresh: &str) -> Option<String> {
    let key = hex_digest(refresh);
    let mut rotations = ROTATIONS.lock().await;
    rotations.retain(|_, (at, _)| at.elapsed() < ROTATION_GRACE);
    if let Some((_, value)) = rotations.get(&key) {
        return Some(value.clone());
    }
    match service::refresh(state, refresh).await {
        Ok(session) => {
            let value = cookie_value(&session);
            rotations.insert(key, (Instant::now(), value.clone()));
            Some(value)
        }
        Err(e) => {
            tracing::info!(
                code = e.code.code(),
                "console session could not be refreshed"
            );
            None
        }
    }
}

fn hex_digest(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What the session cookie says about the caller, rotating it when the access token has
/// expired. `Some(new value)` in the second place when the cookie must be rewritten
/// (`Some("")` clears it).
async fn resolve(state: &AppState, headers: &HeaderMap) -> (Option<Principal>, Option<String>) {
    let Some(value) = cookies::get(headers, SESSION_COOKIE) else {
        return (None, None);
    };
    let Some((access, refresh)) = split(&value) else {
        return (None, Some(String::new()));
    };
    let (claims, rewrite) = match state.tokens.verify(access) {
        Some(claims) => (claims, None),
        None => match rotate(state, refresh).await {
            Some(fresh) => match split(&fresh).and_then(|(a, _)| state.tokens.verify(a)) {
                Some(claims) => (claims, Some(fresh)),
                None => return (None, Some(String::new())),
            },
            None => return (None, Some(String::new())),
        },
    };
    match service::find_user(&state.db, claims.sub).await {
        Ok(u) if u.status == service::STATUS_ACTIVE => (
            Some(Principal {
                user_id: u.id,
                role: service::role_of(&u),
                vendor_id: u.vendor_id,
            }),
            rewrite,
        ),
        // Disabled (its refresh tokens are revoked too) or gone: signed out.
        Ok(_) => (None, Some(String::new())),
        Err(e) if e.code == platform::ErrorCode::NotFound => (None, Some(String::new())),
        // The database is unreachable: no page works, but the session is kept for when
        // it is back.
        Err(_) => (None, rewrite),
    }
}

/// Middleware: find the caller and put a [`CurrentUser`] in the request; rewrite the
/// cookie when it was rotated or is no good.
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let (user, rewrite) = resolve(&state, req.headers()).await;
    req.extensions_mut().insert(CurrentUser(user));
    let secure = cookies::secure(&state, &req);
    let mut resp = next.run(req).await;
    // A handler that signed in or out has set the cookie itself.
    let handler_set = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|s| s.starts_with(SESSION_COOKIE)));
    if let (Some(value), false) = (rewrite, handler_set) {
        let cookie = if value.is_empty() {
            cookies::removal(SESSION_COOKIE)
        } else {
            cookies::build(SESSION_COOKIE, value, secure)
        };
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}
