//! The vendor's money: what it is owed (balance), its statements page by page, and each
//! statement as an XLSX (or CSV) download — the same reports and exports as
//! `/v1/vendor/settlements`.

use crate::cursor::{Cursor, PageQuery};
use crate::error::PageResult;
use crate::guard::{Ctx, VendorSession};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use platform::{ApiError, AppState};
use serde::Deserialize;
use settlements::http::vendor::{Format, render_statement};
use settlements::reports::Balance;
use settlements::statements::{self, StatementSummary};
use uuid::Uuid;

#[derive(Template, WebTemplate)]
#[template(path = "vendor/settlements.html")]
pub struct SettlementsPage {
    chrome: Chrome,
    balance: Balance,
    statements: Vec<StatementSummary>,
    next: Option<String>,
}

pub async fn show(
    cx: Ctx<VendorSession>,
    Query(q): Query<PageQuery>,
) -> PageResult<SettlementsPage> {
    let balance = settlements::reports::balance(&cx.state.db, cx.who.vendor_id)
        .await
        .map_err(ApiError::from)?;
    let at = Cursor::of(q.cursor)?;
    let rows = statements::list(&cx.state.db, Some(cx.who.vendor_id), at.after, at.fetch())
        .await
        .map_err(ApiError::from)?;
    let (rows, next) = at.split(rows, |r| r.id);
    Ok(SettlementsPage {
        chrome: cx.page.chrome("정산"),
        balance,
        statements: rows,
        next,
    })
}

pub fn statement_status_label(s: &str) -> &'static str {
    match s {
        "due" => "지급 예정",
        "paying" => "지급 중",
        "paid" => "지급 완료",
        _ => "",
    }
}

#[derive(Deserialize)]
pub struct Download {
    format: Option<Format>,
}

/// One of the vendor's statements as a file (XLSX unless `?format=csv`); another
/// vendor's statement is not found.
pub async fn download(
    State(state): State<AppState>,
    v: VendorSession,
    Path(id): Path<Uuid>,
    Query(q): Query<Download>,
) -> PageResult<Response> {
    let d = statements::detail(&state.db, id, Some(v.vendor_id))
        .await
        .map_err(ApiError::from)?;
    let format = match q.format {
        Some(Format::Csv) => Format::Csv,
        _ => Format::Xlsx,
    };
    Ok(render_statement(d, format)?)
}
