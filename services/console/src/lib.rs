//! The back office in the browser, at `/console`: server-rendered pages in Korean for
//! vendors, marketers and admins, over the domain crates' Rust APIs (the same functions,
//! roles and validation as the JSON API; no SQL here).
//!
//! Layout of the crate, for whoever adds a section:
//! - `session` (the signed-in principal in an HttpOnly cookie), `csrf` (every form and
//!   htmx request), `guard` (per-section role extractors: `VendorSession`,
//!   `MarketerSession`, `AdminSession`), `layout` (the frame of every page and the
//!   navigation per role), `form` (field errors beside fields), `cursor` (list pages), `error` (error pages),
//!   `messages` (codes to Korean), `assets` (htmx and the stylesheet, compiled in);
//! - one module per role, each with its own `router()` nested here: `vendor` (templates
//!   under `templates/vendor/`); the marketer and admin consoles go in `marketer` and
//!   `admin` the same way.

pub mod admin;
pub mod assets;
pub mod cookies;
pub mod csrf;
pub mod cursor;
pub mod error;
pub mod fmt;
pub mod form;
pub mod guard;
pub mod jobs;
pub mod layout;
pub mod marketer;
pub mod messages;
pub mod session;
pub mod sign_in;
pub mod vendor;

use axum::middleware;
use axum::routing::{get, post};
use axum::{Extension, Router};
use orders::context::OrdersContext;
use platform::AppState;

/// Every console route, under `/console`. `state` is needed for the middleware (the
/// session and CSRF layers read the token key and the database); `orders` is the payment
/// setup refunds go through (a return accepted in the console pays its refund).
pub fn router(state: AppState, orders: OrdersContext) -> Router<AppState> {
    let pages = Router::new()
        .route("/console", get(sign_in::home))
        .route("/console/", get(sign_in::home))
        .route(
            "/console/login",
            get(sign_in::login_form).post(sign_in::login),
        )
        .route("/console/logout", post(sign_in::logout))
        .nest("/console/vendor", vendor::router())
        .nest("/console/marketer", marketer::router())
        .nest("/console/admin", admin::router())
        .route("/console/{*rest}", get(not_found).post(not_found))
        // Order matters: the session is known before CSRF runs, and both before a page.
        .layer(middleware::from_fn_with_state(state.clone(), csrf::layer))
        .layer(middleware::from_fn_with_state(state, session::layer))
        .layer(middleware::map_response(security_headers))
        .layer(Extension(orders));
    // Static files need neither a session nor a token.
    Router::new()
        .route("/console/assets/{name}", get(assets::serve))
        .merge(pages)
}

async fn not_found() -> error::ConsoleError {
    error::ConsoleError::NotFound
}

/// Pages are never framed by another site (clickjacking), never cached by a shared cache,
/// and load scripts and styles only from the shop itself.
async fn security_headers(mut resp: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let h = resp.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}
