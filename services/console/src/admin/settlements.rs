//! Settlement runs and payouts (정산) as an admin works them: what the shop owes its
//! vendors now, closing a period (one statement per vendor; a long run, so it starts a
//! task and the page polls its progress), statements and their lines, payouts (approve a
//! due statement, send the scheduled ones as the bank-transfer file, mark paid or
//! failed), and holds. Through `settlements`' functions, the same as
//! `/v1/admin/settlements/...`.

use crate::cursor::Cursor;
use crate::error::{ConsoleError, PageResult};
use crate::form::{FormErrors, Pairs, shown_again};
use crate::guard::{AdminSession, Ctx};
use crate::jobs::{Jobs, Snapshot};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use platform::error::FieldError;
use platform::{ApiError, AppState};
use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde::{Deserialize, Serialize};
use settlements::error::SettlementsResult;
use settlements::holds::{self, Hold, NewHold};
use settlements::payouts::{self, BankTransferCsv, Payout, PayoutProvider};
use settlements::reports::{self, Liabilities};
use settlements::statements::{self, StatementDetail, StatementSummary};
use uuid::Uuid;

pub fn statement_status(s: &str) -> &'static str {
    match s {
        "due" => "지급 대기",
        "paying" => "지급 중",
        "paid" => "지급 완료",
        _ => "",
    }
}

pub fn payout_status(s: &str) -> &'static str {
    match s {
        "scheduled" => "지급 예정",
        "sent" => "은행 전송",
        "paid" => "입금 확인",
        "failed" => "실패",
        _ => "",
    }
}

/// How a period close ended: the statements it made, or why it stopped.
#[derive(Serialize, Deserialize)]
pub struct Closed {
    pub period_end: NaiveDate,
    pub made: usize,
    pub net_payable: i64,
    pub error: Option<String>,
}

static CLOSES: Jobs<Closed> = Jobs::new("close");

#[derive(Template, WebTemplate)]
#[template(path = "admin/settlements.html")]
pub struct OverviewPage {
    chrome: Chrome,
    owed: Liabilities,
    statements: Vec<StatementSummary>,
    next: Option<String>,
    payouts: Vec<Payout>,
    /// The cursor of the next page of payouts (apart from the statements' pages).
    next_payouts: Option<String>,
    holds: Vec<Hold>,
    errors: FormErrors,
    today: NaiveDate,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    cursor: Option<String>,
    payouts_cursor: Option<String>,
}

async fn overview_page(
    cx: &Ctx<AdminSession>,
    q: ListQuery,
    errors: FormErrors,
) -> PageResult<OverviewPage> {
    let db = &cx.state.db;
    let today = promotions::seoul::day(Utc::now());
    let at = Cursor::of(q.cursor)?;
    let found = statements::list(db, None, at.after, at.fetch()).await?;
    let (found, next) = at.split(found, |s| s.id);
    let paid_at = Cursor::of(q.payouts_cursor)?;
    let payouts = payouts::list(db, None, paid_at.after, paid_at.fetch()).await?;
    let (payouts, next_payouts) = paid_at.split(payouts, |p| p.id);
    Ok(OverviewPage {
        chrome: cx.page.chrome("정산"),
        owed: reports::liabilities(db, today).await?,
        statements: found,
        next,
        payouts,
        next_payouts,
        holds: holds::list_open(db).await?,
        errors,
        today,
    })
}

pub async fn overview(
    cx: Ctx<AdminSession>,
    Query(q): Query<ListQuery>,
) -> PageResult<OverviewPage> {
    overview_page(&cx, q, FormErrors::default()).await
}

/// A refused form on the overview, its errors beside its fields.
async fn refused(cx: &Ctx<AdminSession>, e: ApiError) -> PageResult<Response> {
    shown_again(e, async |errors| {
        overview_page(cx, ListQuery::default(), errors).await
    })
    .await
}

fn back(done: &str) -> Response {
    Redirect::to(&format!("/console/admin/settlements?done={done}")).into_response()
}

/// One payout change in its own transaction: committed and back to the overview with
/// the notice `done`, or the overview again with the refusal (rolled back).
async fn payout_change<T>(
    cx: &Ctx<AdminSession>,
    done: &str,
    change: impl AsyncFnOnce(&DatabaseTransaction) -> SettlementsResult<T>,
) -> PageResult<Response> {
    let txn = cx.state.db.begin().await?;
    match change(&txn).await {
        Ok(_) => {
            txn.commit().await?;
            Ok(back(done))
        }
        Err(e) => refused(cx, e.into()).await,
    }
}

/// The progress of a close: the part htmx polls, or a page of its own.
#[derive(Template, WebTemplate)]
#[template(path = "admin/close_progress.html")]
pub struct ClosePart {
    job: Uuid,
    snap: Snapshot<Closed>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/close_page.html")]
pub struct ClosePage {
    chrome: Chrome,
    job: Uuid,
    snap: Snapshot<Closed>,
}

/// Start closing the period ending `period_end` (a Seoul day): one statement per vendor
/// with entries due by then, each in its own transaction. Answers at once.
pub async fn close(cx: Ctx<AdminSession>, Form(pairs): Form<Pairs>) -> PageResult<Response> {
    let raw = crate::form::value(&pairs, "period_end");
    let Ok(period_end) = raw.trim().parse::<NaiveDate>() else {
        return refused(
            &cx,
            ApiError::validation(vec![FieldError::new(
                "period_end",
                "invalid_date",
                "a day as YYYY-MM-DD",
            )]),
        )
        .await;
    };
    let (state, admin) = (cx.state, cx.who.0);
    let vendors = statements::vendors_to_close(&state.db, period_end).await?;
    let reporter = CLOSES.start(&state, admin.user_id, vendors.len()).await?;
    let job = reporter.id();
    tokio::spawn(async move {
        let mut closed = Closed {
            period_end,
            made: 0,
            net_payable: 0,
            error: None,
        };
        for (i, vendor_id) in vendors.iter().enumerate() {
            match statements::close_vendor(&state.db, *vendor_id, period_end, Some(admin.user_id))
                .await
            {
                Ok(Some(s)) => {
                    closed.made += 1;
                    closed.net_payable += s.net_payable;
                }
                Ok(None) => {}
                Err(e) => {
                    // What was closed stays closed; closing again makes the rest.
                    tracing::error!(error = %e, %vendor_id, "period close stopped");
                    closed.error =
                        Some(crate::messages::problem_title(ApiError::from(e).code).to_owned());
                    break;
                }
            }
            reporter.progress(i + 1, vendors.len());
        }
        reporter.finish(&closed);
    });
    Ok(Redirect::to(&format!("/console/admin/settlements/close?job={job}")).into_response())
}

#[derive(Deserialize)]
pub struct JobQuery {
    job: Uuid,
}

pub async fn close_progress(
    cx: Ctx<AdminSession>,
    headers: HeaderMap,
    Query(q): Query<JobQuery>,
) -> PageResult<Response> {
    let snap = CLOSES
        .get(&cx.state, q.job, cx.who.0.user_id)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    if headers.contains_key("hx-request") {
        return Ok(ClosePart { job: q.job, snap }.into_response());
    }
    Ok(ClosePage {
        chrome: cx.page.chrome("정산 마감"),
        job: q.job,
        snap,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/statement.html")]
pub struct StatementPage {
    chrome: Chrome,
    d: StatementDetail,
}

pub async fn statement(cx: Ctx<AdminSession>, Path(id): Path<Uuid>) -> PageResult<StatementPage> {
    let d = statements::detail(&cx.state.db, id, None).await?;
    Ok(StatementPage {
        chrome: cx.page.chrome("정산서"),
        d,
    })
}

/// Approve paying a due statement to the vendor's registered account.
pub async fn schedule_payout(cx: Ctx<AdminSession>, Path(id): Path<Uuid>) -> PageResult<Response> {
    let admin = cx.who.0;
    payout_change(&cx, "payout_scheduled", async |txn| {
        payouts::schedule(txn, id, admin.user_id, BankTransferCsv.name()).await
    })
    .await
}

/// Send every scheduled payout: the answer is the bank-transfer file to upload to the
/// bank; with nothing scheduled, back to the page saying so.
pub async fn send_payouts(cx: Ctx<AdminSession>) -> PageResult<Response> {
    let txn = cx.state.db.begin().await?;
    match payouts::send_scheduled(&txn, &BankTransferCsv).await {
        Ok(None) => Ok(back("nothing_to_send")),
        Ok(Some((_, file))) => {
            txn.commit().await?;
            Ok(platform::download::attachment(
                file.bytes,
                file.content_type,
                &file.filename,
            ))
        }
        Err(e) => refused(&cx, e.into()).await,
    }
}

pub async fn payout_paid(cx: Ctx<AdminSession>, Path(id): Path<Uuid>) -> PageResult<Response> {
    payout_change(&cx, "payout_paid", async |txn| {
        payouts::mark_paid(txn, id).await
    })
    .await
}

pub async fn payout_failed(
    cx: Ctx<AdminSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let reason = crate::form::value(&pairs, "reason").trim();
    if reason.is_empty() {
        let e = ApiError::validation(vec![FieldError::new("reason", "required", "is required")]);
        return refused(&cx, e).await;
    }
    payout_change(&cx, "payout_failed", async |txn| {
        payouts::mark_failed(txn, id, reason).await
    })
    .await
}

pub async fn place_hold(cx: Ctx<AdminSession>, Form(pairs): Form<Pairs>) -> PageResult<Response> {
    let Ok(vendor_id) = crate::form::value(&pairs, "vendor_id")
        .trim()
        .parse::<Uuid>()
    else {
        let e = ApiError::validation(vec![FieldError::new(
            "vendor_id",
            "not_found",
            "not a vendor id",
        )]);
        return refused(&cx, e).await;
    };
    let h = NewHold {
        vendor_id,
        reason: crate::form::value(&pairs, "reason").to_owned(),
    };
    match holds::place(&cx.state.db, &h, cx.who.0.user_id).await {
        Ok(_) => Ok(back("held")),
        Err(e) => refused(&cx, e.into()).await,
    }
}

pub async fn release_hold(
    State(state): State<AppState>,
    AdminSession(admin): AdminSession,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    holds::release(&state.db, id, admin.user_id).await?;
    Ok(back("released"))
}
