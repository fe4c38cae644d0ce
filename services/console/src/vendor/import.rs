//! Products from a CSV file (the columns of `catalog::import`, the same import as
//! `POST /v1/vendor/products/import`), with the report of every row. The upload starts
//! the import in a task of its own (`crate::jobs`) and answers at once with its progress
//! (rows done of rows in the file); with htmx that part polls itself until the report
//! replaces it, without htmx the progress is a page with a link to look again.

use crate::error::{ConsoleError, PageResult};
use crate::form::FormErrors;
use crate::guard::{Ctx, VendorSession};
use crate::jobs::{Jobs, Snapshot};
use crate::layout::{Chrome, PageCtx};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use catalog::import::{self, ImportReport};
use platform::ApiError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How an import ended: the report of every row, or why the file was refused whole.
#[derive(Serialize, Deserialize)]
pub struct Outcome {
    pub report: Option<ImportReport>,
    pub errors: FormErrors,
}

static IMPORTS: Jobs<Outcome> = Jobs::new("import");

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

/// An import under way: rows done of rows in the file; htmx asks again every second.
#[derive(Template, WebTemplate)]
#[template(path = "vendor/import_progress.html")]
pub struct ProgressPart {
    job: Uuid,
    done: usize,
    total: usize,
    percent: usize,
}

/// The progress as a page of its own (no htmx).
#[derive(Template, WebTemplate)]
#[template(path = "vendor/import_running.html")]
pub struct ProgressPage {
    chrome: Chrome,
    job: Uuid,
    done: usize,
    total: usize,
    percent: usize,
}

#[derive(Deserialize)]
pub struct JobQuery {
    job: Option<Uuid>,
}

pub fn columns() -> &'static str {
    "product_key,title,category,description,tags,origin,taxable,withdrawal_restricted,max_per_order,images,sku,variant_name,price,compare_at_price,stock,notice.<항목>"
}

/// The form; with `?job=` an import's progress, or its report once it has ended.
pub async fn form(
    cx: Ctx<VendorSession>,
    headers: HeaderMap,
    Query(q): Query<JobQuery>,
) -> PageResult<Response> {
    let Some(job) = q.job else {
        return Ok(ImportPage {
            chrome: cx.page.chrome("상품 일괄 등록"),
            report: None,
            errors: FormErrors::default(),
        }
        .into_response());
    };
    // Another account's job, or one forgotten, is not found.
    let snap = IMPORTS
        .get(&cx.state, job, cx.who.principal.user_id)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    Ok(shown(
        job,
        snap,
        &cx.page,
        headers.contains_key("hx-request"),
    ))
}

fn shown(job: Uuid, snap: Snapshot<Outcome>, page: &PageCtx, htmx: bool) -> Response {
    let percent = snap.percent();
    match (snap.outcome, htmx) {
        (None, true) => ProgressPart {
            job,
            done: snap.done,
            total: snap.total,
            percent,
        }
        .into_response(),
        (None, false) => ProgressPage {
            chrome: page.chrome("상품 일괄 등록"),
            job,
            done: snap.done,
            total: snap.total,
            percent,
        }
        .into_response(),
        (Some(o), true) => ReportPart {
            report: o.report,
            errors: o.errors,
        }
        .into_response(),
        (Some(o), false) => ImportPage {
            chrome: page.chrome("상품 일괄 등록"),
            report: o.report,
            errors: o.errors,
        }
        .into_response(),
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

/// Start the import and answer at once with its progress.
pub async fn upload(
    cx: Ctx<VendorSession>,
    headers: HeaderMap,
    mp: Multipart,
) -> PageResult<Response> {
    let htmx = headers.contains_key("hx-request");
    let text = match csv_text(mp).await? {
        Some(text) if !text.trim().is_empty() => text,
        _ => {
            let mut errors = FormErrors::default();
            errors.push(platform::error::FieldError::new(
                "file",
                "required",
                "choose a UTF-8 CSV file",
            ));
            return Ok(refused(&cx.page, htmx, errors));
        }
    };
    if let Err(e) = platform::extract::refuse_nul("file", &text) {
        return Ok(refused(&cx.page, htmx, FormErrors::from_api(e)?));
    }
    let reporter = IMPORTS
        .start(&cx.state, cx.who.principal.user_id, 0)
        .await?;
    let job = reporter.id();
    let (state, vendor_id) = (cx.state.clone(), cx.who.vendor_id);
    tokio::spawn(async move {
        let outcome = import::import_with_progress(&state.db, vendor_id, &text, |done, total| {
            reporter.progress(done, total)
        })
        .await
        .map_err(ApiError::from);
        let outcome = match outcome {
            Ok(r) => Outcome {
                report: Some(r),
                errors: FormErrors::default(),
            },
            Err(e) => Outcome {
                report: None,
                // A server error has no field to stand beside: its heading says so.
                errors: FormErrors::from_api(e).unwrap_or_else(|_| FormErrors {
                    fields: Vec::new(),
                    summary: Some(
                        crate::messages::problem_title(platform::ErrorCode::Internal).into(),
                    ),
                }),
            },
        };
        reporter.finish(&outcome);
    });
    if htmx {
        // The first look is the progress part itself, polling from here.
        return Ok(ProgressPart {
            job,
            done: 0,
            total: 0,
            percent: 0,
        }
        .into_response());
    }
    Ok(Redirect::to(&format!("/console/vendor/products/import?job={job}")).into_response())
}

/// The file was refused before any row was read.
fn refused(page: &PageCtx, htmx: bool, errors: FormErrors) -> Response {
    if htmx {
        // htmx swaps only 2xx answers by default; the report part says what went wrong.
        return ReportPart {
            report: None,
            errors,
        }
        .into_response();
    }
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        ImportPage {
            chrome: page.chrome("상품 일괄 등록"),
            report: None,
            errors,
        },
    )
        .into_response()
}
