//! The console's static files, compiled into the binary (no CDN, no Node toolchain): htmx
//! from its npm package and our stylesheet. Each is served under a name carrying a hash of
//! its content, so browsers may cache it for a year and still see a new build at once.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const HTMX: &[u8] = include_bytes!("../assets/htmx.min.js");
const CSS: &[u8] = include_bytes!("../assets/console.css");

pub struct Asset {
    /// The path the page links to, e.g. `/console/assets/console-1a2b3c4d.css`.
    pub href: String,
    name: String,
    body: &'static [u8],
    content_type: &'static str,
}

fn asset(stem: &str, ext: &str, body: &'static [u8], content_type: &'static str) -> Asset {
    let hash: String = Sha256::digest(body)
        .iter()
        .take(5)
        .map(|b| format!("{b:02x}"))
        .collect();
    let name = format!("{stem}-{hash}.{ext}");
    Asset {
        href: format!("/console/assets/{name}"),
        name,
        body,
        content_type,
    }
}

pub static HTMX_JS: LazyLock<Asset> =
    LazyLock::new(|| asset("htmx", "min.js", HTMX, "text/javascript; charset=utf-8"));
pub static CONSOLE_CSS: LazyLock<Asset> =
    LazyLock::new(|| asset("console", "css", CSS, "text/css; charset=utf-8"));

pub async fn serve(Path(name): Path<String>) -> Response {
    for a in [&*HTMX_JS, &*CONSOLE_CSS] {
        if a.name == name {
            return (
                [
                    (header::CONTENT_TYPE, a.content_type),
                    (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                ],
                a.body,
            )
                .into_response();
        }
    }
    crate::error::ConsoleError::NotFound.into_response()
}
