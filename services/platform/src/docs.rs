//! `/docs`: Swagger UI over `/openapi.json`, served from the binary. Nothing the page
//! needs comes from elsewhere (see `assets/swagger-ui/README.md`), so the docs work on a
//! network without the internet, and no third party sees who reads them.

use crate::state::AppState;
use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

/// The version of `swagger-ui-dist` in `assets/swagger-ui`; part of the asset URLs, so a
/// browser never keeps an old copy across an upgrade.
pub const SWAGGER_UI_VERSION: &str = "5.35.0";

const BUNDLE_JS: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js");
const CSS: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui.css");

/// Starts the UI; a file rather than an inline script, so the page runs under a strict
/// `script-src 'self'`. The validator badge would call validator.swagger.io: off.
const INIT_JS: &str = r##"window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null
  });
});
"##;

fn asset_path(name: &str) -> String {
    format!("/docs/assets/{SWAGGER_UI_VERSION}/{name}")
}

/// The docs page and its assets.
pub fn router() -> Router<AppState> {
    let page = format!(
        r##"<!doctype html>
<html lang="en"><head><title>Jikgu API</title><meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<link rel="stylesheet" href="{css}"/></head>
<body><div id="swagger-ui"></div>
<noscript>The raw document is at <a href="/openapi.json">/openapi.json</a>.</noscript>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body></html>"##,
        css = asset_path("swagger-ui.css"),
        bundle = asset_path("swagger-ui-bundle.js"),
        init = asset_path("init.js"),
    );
    // Versioned URLs: cache for a year.
    let cached = |content_type: &'static str, body: &'static [u8]| {
        get(move || async move {
            (
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                ],
                body,
            )
                .into_response()
        })
    };
    Router::new()
        .route("/docs", get(move || async move { Html(page.clone()) }))
        .route(
            &asset_path("swagger-ui-bundle.js"),
            cached("text/javascript; charset=utf-8", BUNDLE_JS),
        )
        .route(
            &asset_path("swagger-ui.css"),
            cached("text/css; charset=utf-8", CSS),
        )
        .route(
            &asset_path("init.js"),
            cached("text/javascript; charset=utf-8", INIT_JS.as_bytes()),
        )
}
