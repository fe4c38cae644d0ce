//! Protection against cross-site request forgery, on every console request that changes
//! something (every method but GET and HEAD), the login form included.
//!
//! Signed double submit: the browser holds a random value in an HttpOnly cookie, and every
//! form (a hidden `_csrf` field) and every htmx request (the `X-CSRF-Token` header, set
//! once on `<body hx-headers>`) carries the HMAC of that value under the server's key. A
//! forged request from another site has the cookie but cannot know its HMAC; a cookie
//! planted by a sibling subdomain has no valid HMAC either.

use crate::cookies;
use crate::error::ConsoleError;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use platform::AppState;
use rand::RngCore;
use secrecy::ExposeSecret;
use sha2::Sha256;
use std::convert::Infallible;
use subtle::ConstantTimeEq;

pub const COOKIE: &str = "jikgu_console_csrf";
/// The form field every console form carries.
pub const FIELD: &str = "_csrf";
/// The header htmx requests carry.
pub const HEADER: &str = "x-csrf-token";

/// This request's CSRF token, for the page to put in its forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<CsrfToken>()
            .cloned()
            .unwrap_or(CsrfToken(String::new())))
    }
}

fn key(state: &AppState) -> &[u8] {
    state.config.jwt_secret.expose_secret().as_bytes()
}

/// The token that goes with the cookie value `seed`.
pub fn token_for(state: &AppState, seed: &str) -> String {
    // The key is the token-signing secret, used under its own label so that no token of
    // one kind can pass for the other.
    // HMAC takes a key of any length, so this never fails; if it did, the empty token
    // matches nothing (see `same`).
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key(state)) else {
        return String::new();
    };
    mac.update(b"jikgu console csrf\0");
    mac.update(seed.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

fn new_seed() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn same(a: &str, b: &str) -> bool {
    !a.is_empty() && a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Middleware: give every browser a CSRF cookie, every request its token, and refuse a
/// state-changing request whose token is missing or wrong (403).
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let existing = cookies::get(req.headers(), COOKIE).filter(|s| s.len() >= 32);
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let (seed, fresh) = match existing {
        Some(s) => (s, false),
        None if unsafe_method => return ConsoleError::Csrf.into_response(),
        None => (new_seed(), true),
    };
    let expected = token_for(&state, &seed);
    let secure = cookies::secure(&state, &req);
    let mut req = if unsafe_method {
        match checked(req, &expected, &state.config).await {
            Ok(req) => req,
            Err(resp) => return resp,
        }
    } else {
        req
    };
    req.extensions_mut().insert(CsrfToken(expected));
    let mut resp = next.run(req).await;
    if fresh && let Ok(v) = HeaderValue::from_str(&cookies::build(COOKIE, seed, secure)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// The request, untouched, if it carries the expected token in the header, in its
/// url-encoded form, or as the first part of its multipart form.
async fn checked(
    req: Request,
    expected: &str,
    config: &platform::config::Config,
) -> Result<Request, Response> {
    if let Some(h) = req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        return if same(h, expected) {
            Ok(req)
        } else {
            Err(ConsoleError::Csrf.into_response())
        };
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // A photo upload (multipart) may be as large as an image the media store accepts.
    let limit = if content_type.starts_with("multipart/form-data") {
        config
            .body_limit_bytes
            .max(config.media.max_upload_bytes + 64 * 1024)
    } else {
        config.body_limit_bytes
    };
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ConsoleError::TooLarge.into_response())?;
    let presented = if content_type.starts_with("application/x-www-form-urlencoded") {
        form_field(&bytes)
    } else if content_type.starts_with("multipart/form-data") {
        first_part(&parts, &bytes).await
    } else {
        None
    };
    match presented {
        Some(t) if same(&t, expected) => Ok(Request::from_parts(parts, Body::from(bytes))),
        _ => Err(ConsoleError::Csrf.into_response()),
    }
}

fn form_field(bytes: &Bytes) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v)
}

/// Forms put `_csrf` first, so the token is read without buffering files twice.
async fn first_part(parts: &axum::http::request::Parts, bytes: &Bytes) -> Option<String> {
    let req = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
    let mut mp = Multipart::from_request(req, &()).await.ok()?;
    let field = mp.next_field().await.ok()??;
    if field.name() != Some(FIELD) {
        return None;
    }
    field.text().await.ok()
}
