//! Products from a CSV file (the columns of `catalog::import`, the same import as
//! `POST /v1/vendor/products/import`), with the report of every row. With htmx the upload
//! runs in the background of the page (a busy line shows) and the report lands below the
//! form; without it the report is a page of its own.

use crate::error::{ConsoleError, PageResult};
use crate::form::FormErrors;
use crate::guard::VendorSession;
use crate::layout::{Chrome, PageCtx};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use catalog::import::{self, ImportReport};
use platform::{ApiError, AppState};

#[derive(Template, WebTemplate)]
#[template(path = "vendor/import.html")]
pub struct ImportPage {
    chrome: Chrome,
    report: Option<ImportReport>,
    errors: FormErrors,
}

/// Only the report, for htmx to put under the form.
#[derive(Template, WebTemplate)]
#[template(path = "vendor/import_report.html")]
pub struct ReportPart {
    report: Option<ImportReport>,
    errors: FormErrors,
}

pub fn columns() -> &'static str {
    "product_key,title,category,description,tags,origin,taxable,withdrawal_restricted,max_per_order,images,sku,variant_name,price,compare_at_price,stock,notice.<항목>"
}

pub async fn form(_v: VendorSession, page: PageCtx) -> ImportPage {
    ImportPage {
        chrome: page.chrome("상품 일괄 등록"),
        report: None,
        errors: FormErrors::default(),
    }
}

/// The text of the `file` part (UTF-8; a BOM from Excel is dropped).
async fn csv_text(mut mp: Multipart) -> Result<Option<String>, ConsoleError> {
    while let Some(field) = mp.next_field().await.map_err(|_| ConsoleError::TooLarge)? {
        if field.name() == Some("file") {
            let bytes = field.bytes().await.map_err(|_| ConsoleError::TooLarge)?;
            return Ok(String::from_utf8(bytes.to_vec())
                .ok()
                .map(|s| s.trim_start_matches('\u{feff}').to_owned()));
        }
    }
    Ok(None)
}

pub async fn upload(
    State(state): State<AppState>,
    v: VendorSession,
    page: PageCtx,
    headers: HeaderMap,
    mp: Multipart,
) -> PageResult<Response> {
    let (report, errors) = match csv_text(mp).await? {
        Some(text) if !text.trim().is_empty() => {
            let outcome = match platform::extract::refuse_nul("file", &text) {
                Ok(()) => import::import(&state.db, v.vendor_id, &text)
                    .await
                    .map_err(ApiError::from),
                Err(e) => Err(e),
            };
            match outcome {
                Ok(r) => (Some(r), FormErrors::default()),
                Err(e) => (None, FormErrors::from_api(e)?),
            }
        }
        _ => {
            let mut errors = FormErrors::default();
            errors.push(platform::error::FieldError::new(
                "file",
                "required",
                "choose a UTF-8 CSV file",
            ));
            (None, errors)
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    if headers.contains_key("hx-request") {
        // htmx swaps only 2xx answers by default; the report part says what went wrong.
        return Ok(ReportPart { report, errors }.into_response());
    }
    Ok((
        status,
        ImportPage {
            chrome: page.chrome("상품 일괄 등록"),
            report,
            errors,
        },
    )
        .into_response())
}
