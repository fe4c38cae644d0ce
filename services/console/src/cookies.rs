//! The console's cookies: HttpOnly, SameSite=Lax, scoped to `/console`, and `Secure`
//! whenever the request came over TLS.

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use cookie::{Cookie, SameSite};
use platform::AppState;
use std::net::SocketAddr;

pub const PATH: &str = "/console";

/// The value of the cookie `name` the browser sent.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(Cookie::split_parse_encoded)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// A `Set-Cookie` value for a browser-session cookie (gone when the browser closes).
pub fn build(name: &'static str, value: String, secure: bool) -> String {
    Cookie::build((name, value))
        .path(PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build()
        .encoded()
        .to_string()
}

/// A `Set-Cookie` value that deletes the cookie `name`.
pub fn removal(name: &'static str) -> String {
    let mut c = Cookie::build((name, ""))
        .path(PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .build();
    c.make_removal();
    c.encoded().to_string()
}

/// Did the request come over TLS? Either the operator says every request does, or a
/// trusted proxy (`JIKGU_TRUSTED_PROXIES`) terminated TLS and says so; anyone else's
/// `X-Forwarded-Proto` is not believed.
pub fn secure(state: &AppState, req: &Request) -> bool {
    if state.config.console_secure_cookies || req.uri().scheme_str() == Some("https") {
        return true;
    }
    let from_trusted_proxy = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|c| {
            let ip = c.0.ip().to_canonical();
            state.config.trusted_proxies.iter().any(|n| n.contains(ip))
        });
    from_trusted_proxy
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}
