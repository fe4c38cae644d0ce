//! The 실적 report in the console: a form for the period (a quarter, or from–to) and the
//! grouping (`by`, one or two dimensions), the figures beside last year's and the previous
//! period's, the tables, the three charts (served here as SVG from `reports::charts`),
//! downloads (XLSX, CSV) and the open-market sales uploads with their unmatched rows.
//!
//! A download is prepared in the background so that the page never waits for it: the
//! form (htmx) starts a job and gets a "preparing" fragment that asks again every second
//! until the file is ready, then the link. The job's state and file live in Redis for
//! half an hour, so any instance can answer; only the account that started it may fetch
//! it. Without JavaScript the form still works: it lands on the job's page.

use crate::error::{ConsoleError, PageResult};
use crate::form::{FormErrors, Pairs, shown_again};
use crate::guard::{Ctx, MarketerSession};
use crate::jobs::{Jobs, Reporter, TTL_SECS};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use platform::ApiError;
use platform::AppState;
use platform::attribution::SalesChannel;
use platform::download::Format;
use platform::error::FieldError;
use platform::status::Status;
use reports::charts::Chart;
use reports::exports::percent;
use reports::http::{ChartQuery, PerformanceQuery};
use reports::performance::{self, Compared, Dimension, PerformanceReport, Scope};
use reports::period::Period;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

fn won(v: i64) -> String {
    crate::fmt::won(v)
}

fn growth(bp: Option<i64>) -> String {
    bp.map_or("—".into(), |b| format!("{}%", percent(b)))
}

/// A figure and its comparisons as the table cells show them.
pub struct Figures {
    pub net: String,
    pub previous_year: String,
    pub previous_period: String,
    pub vs_year: String,
    pub vs_period: String,
    pub orders: String,
    pub units: String,
    pub gross: String,
    pub discount: String,
    pub refunds: String,
}

fn figures(c: &Compared) -> Figures {
    let count = |n: i64| won(n).trim_end_matches('원').to_owned();
    Figures {
        net: won(c.current.net),
        previous_year: won(c.previous_year.net),
        previous_period: won(c.previous_period.net),
        vs_year: growth(c.net_growth_vs_previous_year_bp),
        vs_period: growth(c.net_growth_vs_previous_period_bp),
        orders: count(c.current.orders),
        units: count(c.current.units),
        gross: won(c.current.gross),
        discount: won(c.current.vendor_discount + c.current.platform_discount),
        refunds: won(c.current.refunds),
    }
}

pub struct TableRow {
    pub keys: Vec<String>,
    pub figures: Figures,
}

pub struct Shown {
    pub period: String,
    pub previous_year: String,
    pub previous_period: String,
    pub totals: Figures,
    /// (label, value)
    pub buyers: Vec<(&'static str, String)>,
    pub headers: Vec<&'static str>,
    pub rows: Vec<TableRow>,
    /// (title, vendor, units, net)
    pub top_products: Vec<(String, String, String, String)>,
    /// (title, during, before, net during, net before, growth)
    pub campaigns: Vec<(String, String, String, String, String, String)>,
    pub notes: Vec<String>,
}

fn shown(r: PerformanceReport) -> Shown {
    let b = &r.buyers;
    Shown {
        period: r.period.label(),
        previous_year: r.previous_year.label(),
        previous_period: r.previous_period.label(),
        totals: figures(&r.totals),
        buyers: vec![
            ("구매자", b.buyers.to_string()),
            ("신규 구매자", b.new_buyers.to_string()),
            ("재구매자", b.returning_buyers.to_string()),
            ("판매자별 주문 수", b.vendor_orders.to_string()),
            ("객단가", won(b.average_order_value)),
        ],
        headers: r.by.iter().map(|d| d.label_ko()).collect(),
        rows: r
            .rows
            .iter()
            .map(|row| TableRow {
                keys: row.keys.iter().map(|k| k.label.clone()).collect(),
                figures: figures(&row.figures),
            })
            .collect(),
        top_products: r
            .top_products
            .iter()
            .map(|p| {
                (
                    p.title.clone(),
                    p.vendor_name.clone(),
                    p.units.to_string(),
                    won(p.net),
                )
            })
            .collect(),
        campaigns: r
            .campaigns
            .iter()
            .map(|c| {
                (
                    c.title.clone(),
                    format!("{} ~ {}", c.during_from, c.during_to),
                    format!("{} ~ {}", c.before_from, c.before_to),
                    won(c.net_during),
                    won(c.net_before),
                    growth(c.growth_bp),
                )
            })
            .collect(),
        notes: r.notes,
    }
}

// ---------------------------------------------------------------- the form

/// The report form as typed (also its query string).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReportQuery {
    /// `quarter` or `range`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub quarter: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub by1: String,
    #[serde(default)]
    pub by2: String,
}

impl ReportQuery {
    fn is_range(&self) -> bool {
        self.kind == "range"
    }

    fn by(&self) -> String {
        [self.by1.as_str(), self.by2.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The report's query as the reports crate takes it; a date that is not one is an
    /// error beside its field.
    fn performance(&self, format: Option<Format>) -> Result<PerformanceQuery, ApiError> {
        let mut errors = Vec::new();
        let mut date = |field: &str, raw: &str| {
            super::parse_day(field, raw)
                .map_err(|e| errors.push(e))
                .ok()
        };
        let (from, to, quarter) = if self.is_range() {
            (date("from", &self.from), date("to", &self.to), None)
        } else {
            (None, None, Some(self.quarter.trim().to_owned()))
        };
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(PerformanceQuery {
            from,
            to,
            quarter,
            by: Some(self.by()).filter(|b| !b.is_empty()),
            format,
        })
    }

    /// The period part of the query string (for the charts and the export form).
    fn period_query(&self) -> String {
        if self.is_range() {
            format!(
                "kind=range&from={}&to={}",
                crate::error::encode(self.from.trim()),
                crate::error::encode(self.to.trim())
            )
        } else {
            format!(
                "kind=quarter&quarter={}",
                crate::error::encode(self.quarter.trim())
            )
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "marketer/reports.html")]
pub struct ReportPage {
    chrome: Chrome,
    q: ReportQuery,
    dimensions: Vec<(&'static str, &'static str)>,
    period_query: String,
    charts: Vec<(&'static str, &'static str)>,
    report: Option<Shown>,
    errors: FormErrors,
}

pub async fn show(
    cx: Ctx<MarketerSession>,
    Query(mut q): Query<ReportQuery>,
) -> PageResult<Response> {
    if q.kind.is_empty() && q.quarter.is_empty() {
        // The current quarter (in Korean time) by default, grouped by channel.
        q.kind = "quarter".into();
        q.quarter = reports::period::quarter_of(promotions::seoul::day(Utc::now())).label();
        q.by1 = "channel".into();
    }
    let outcome = async {
        let pq = q.performance(None)?;
        let period =
            Period::parse(pq.from, pq.to, pq.quarter.as_deref()).map_err(ApiError::from)?;
        let by = performance::parse_by(pq.by.as_deref()).map_err(ApiError::from)?;
        performance::report(&cx.state.db, period, Scope::Shop, &by)
            .await
            .map_err(ApiError::from)
    }
    .await;
    let (status, report, errors) = match outcome {
        Ok(r) => (StatusCode::OK, Some(shown(r)), FormErrors::default()),
        Err(e) => (e.code.status(), None, FormErrors::from_api(e)?),
    };
    let body = ReportPage {
        chrome: cx.page.chrome("실적"),
        period_query: q.period_query(),
        dimensions: Dimension::ALL
            .iter()
            .map(|d| (d.as_str(), d.label_ko()))
            .collect(),
        charts: vec![
            ("channel_monthly", "월별 채널 순매출"),
            ("district_share", "구·군별 순매출 비중"),
            ("campaign_effect", "기획전 효과"),
        ],
        q,
        report,
        errors,
    };
    Ok((status, body).into_response())
}

#[derive(Deserialize)]
pub struct ChartParams {
    #[serde(flatten)]
    q: ReportQuery,
    chart: Option<Chart>,
}

/// A chart of the report as SVG (the page shows it in an `<img>`).
pub async fn chart(
    State(state): State<AppState>,
    _m: MarketerSession,
    Query(p): Query<ChartParams>,
) -> PageResult<Response> {
    let pq = p.q.performance(None)?;
    let cq = ChartQuery {
        from: pq.from,
        to: pq.to,
        quarter: pq.quarter,
        chart: p.chart,
    };
    Ok(reports::http::chart_response(&state.db, Scope::Shop, &cq).await?)
}

// ---------------------------------------------------------------- downloads

/// How a download ended: the file's name when it is ready (the file itself is kept under
/// [`file_key`] for as long as the job), none when building it failed.
#[derive(Serialize, Deserialize)]
struct Exported {
    name: Option<String>,
}

/// Downloads are console jobs like imports and closes: in Redis, for their owner only.
static EXPORTS: Jobs<Exported> = Jobs::new("export");

fn file_key(state: &AppState, id: Uuid) -> String {
    state.redis.key(&format!("console:job:export:{id}:file"))
}

/// A download being prepared or ready.
struct Job {
    state: String,
    name: String,
}

async fn job_of(state: &AppState, id: Uuid, owner: Uuid) -> PageResult<Job> {
    // Another account's download, or one that expired, is not found.
    let snap = EXPORTS
        .get(state, id, owner)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let (state, name) = match snap.outcome {
        None => ("pending", String::new()),
        Some(Exported { name: Some(name) }) => ("ready", name),
        Some(Exported { name: None }) => ("failed", String::new()),
    };
    Ok(Job {
        state: state.into(),
        name,
    })
}

/// Build the file (the same code as `GET /v1/marketing/reports/performance?format=`) and
/// keep it for its owner.
async fn run_job(state: AppState, job: Reporter<Exported>, q: PerformanceQuery) {
    let id = job.id();
    let built = async {
        let resp = reports::http::performance_response(&state.db, Scope::Shop, &q)
            .await
            .map_err(|e| e.to_string())?;
        let name = resp
            .headers()
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split("filename=\"").nth(1))
            .map(|v| v.trim_end_matches('"').to_owned())
            .unwrap_or_else(|| "report".into());
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .map_err(|e| e.to_string())?;
        let mut conn = state.redis.conn();
        redis::pipe()
            .set_ex(file_key(&state, id), bytes.to_vec(), TTL_SECS as u64)
            .ignore()
            .query_async::<()>(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(name)
    }
    .await;
    let name = built
        .inspect_err(|err| tracing::error!(error = %err, "report export failed"))
        .ok();
    job.finish(&Exported { name });
}

#[derive(Template, WebTemplate)]
#[template(path = "marketer/export_status.html")]
pub struct ExportFragment {
    id: Uuid,
    state: String,
    name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "marketer/export_page.html")]
pub struct ExportPage {
    chrome: Chrome,
    id: Uuid,
    state: String,
    name: String,
}

fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// Start preparing a download (the form's fields and `format`: `xlsx` or `csv`).
pub async fn start_export(
    State(state): State<AppState>,
    m: MarketerSession,
    headers: HeaderMap,
    axum::Form(pairs): axum::Form<Pairs>,
) -> PageResult<Response> {
    let v = |k: &str| crate::form::value(&pairs, k).to_owned();
    let q = ReportQuery {
        kind: v("kind"),
        quarter: v("quarter"),
        from: v("from"),
        to: v("to"),
        by1: v("by1"),
        by2: v("by2"),
    };
    let format = if v("format") == "csv" {
        Format::Csv
    } else {
        Format::Xlsx
    };
    let pq = q.performance(Some(format))?;
    // Refuse a bad period now, not in the background.
    Period::parse(pq.from, pq.to, pq.quarter.as_deref()).map_err(ApiError::from)?;
    performance::parse_by(pq.by.as_deref()).map_err(ApiError::from)?;
    let job = EXPORTS.start(&state, m.0.user_id, 1).await?;
    let id = job.id();
    tokio::spawn(run_job(state.clone(), job, pq));
    let fragment = ExportFragment {
        id,
        state: "pending".into(),
        name: String::new(),
    };
    if is_htmx(&headers) {
        Ok((StatusCode::ACCEPTED, fragment).into_response())
    } else {
        Ok(Redirect::to(&format!("/console/marketer/reports/exports/{id}")).into_response())
    }
}

/// Where a download stands: a fragment for htmx (asked again until ready), a page
/// otherwise.
pub async fn export_status(
    cx: Ctx<MarketerSession>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let job = job_of(&cx.state, id, cx.who.0.user_id).await?;
    if is_htmx(&headers) {
        Ok(ExportFragment {
            id,
            state: job.state,
            name: job.name,
        }
        .into_response())
    } else {
        Ok(ExportPage {
            chrome: cx.page.chrome("실적 다운로드"),
            id,
            state: job.state,
            name: job.name,
        }
        .into_response())
    }
}

pub async fn export_file(
    State(state): State<AppState>,
    m: MarketerSession,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let job = job_of(&state, id, m.0.user_id).await?;
    if job.state != "ready" {
        return Err(ConsoleError::NotFound);
    }
    let mut conn = state.redis.conn();
    let bytes: Option<Vec<u8>> = redis::cmd("GET")
        .arg(file_key(&state, id))
        .query_async(&mut conn)
        .await
        .map_err(|e| ApiError::internal(anyhow::Error::new(e)))?;
    let bytes = bytes.ok_or(ConsoleError::NotFound)?;
    let content_type = if job.name.ends_with(".csv") {
        platform::download::CSV
    } else {
        platform::download::XLSX
    };
    let mut resp = platform::download::attachment(bytes, content_type, &job.name);
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(resp)
}

// ---------------------------------------------------------------- open-market uploads

pub struct UploadRow {
    pub channel: String,
    pub period: String,
    pub rows: String,
    pub uploaded_at: String,
}

pub struct UploadOutcome {
    pub channel: String,
    pub period: String,
    pub replaced: bool,
    pub rows: i64,
    pub matched: i64,
    pub units: i64,
    pub net: String,
    /// (line, sku, reason)
    pub unmatched: Vec<(u64, String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "marketer/uploads.html")]
pub struct UploadsPage {
    chrome: Chrome,
    channels: Vec<(&'static str, &'static str)>,
    uploads: Vec<UploadRow>,
    result: Option<UploadOutcome>,
    errors: FormErrors,
    /// (channel, from, to) as typed.
    typed: (String, String, String),
}

async fn uploads_page(
    cx: &Ctx<MarketerSession>,
    result: Option<UploadOutcome>,
    errors: FormErrors,
    typed: (String, String, String),
) -> PageResult<UploadsPage> {
    let list = reports::external::list(&cx.state.db)
        .await
        .map_err(ApiError::from)?;
    Ok(UploadsPage {
        chrome: cx.page.chrome("외부 채널 실적 올리기"),
        channels: SalesChannel::ALL
            .iter()
            .filter(|c| c.is_external())
            .map(|c| (c.as_str(), c.label_ko()))
            .collect(),
        uploads: list
            .into_iter()
            .map(|u| UploadRow {
                channel: SalesChannel::parse(&u.channel)
                    .map_or(u.channel.clone(), |c| c.label_ko().to_owned()),
                period: format!("{} ~ {}", u.period_from, u.period_to),
                rows: format!("{} / {}", u.rows_matched, u.rows_total),
                uploaded_at: crate::fmt::kst_minute(&u.uploaded_at),
            })
            .collect(),
        result,
        errors,
        typed,
    })
}

pub async fn uploads(cx: Ctx<MarketerSession>) -> PageResult<UploadsPage> {
    uploads_page(&cx, None, FormErrors::default(), Default::default()).await
}

/// The fields of the upload form (the file as text).
async fn read_upload(mut mp: Multipart) -> Result<Pairs, ApiError> {
    let mut out = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(|_| {
        ApiError::validation(vec![FieldError::new(
            "file",
            "invalid_upload",
            "파일을 다시 올려 주세요",
        )])
    })? {
        let name = field.name().unwrap_or_default().to_owned();
        let text = field.text().await.map_err(|_| {
            ApiError::validation(vec![FieldError::new(
                "file",
                "invalid_encoding",
                "UTF-8 CSV 파일이어야 합니다",
            )])
        })?;
        out.push((name, text));
    }
    Ok(out)
}

pub async fn upload(cx: Ctx<MarketerSession>, mp: Multipart) -> PageResult<Response> {
    let outcome = async {
        let fields = read_upload(mp).await.map_err(|e| (e, Default::default()))?;
        let v = |k: &str| crate::form::value(&fields, k).to_owned();
        let typed = (v("channel"), v("from"), v("to"));
        let mut errors = Vec::new();
        let channel = SalesChannel::parse(&typed.0);
        if channel.is_none() {
            errors.push(FieldError::new("channel", "required", "채널을 골라 주세요"));
        }
        let mut date = |field: &str, raw: &str| {
            super::parse_day(field, raw)
                .map_err(|e| errors.push(e))
                .ok()
        };
        let from = date("from", &typed.1);
        let to = date("to", &typed.2);
        let csv = v("file");
        if csv.trim().is_empty() {
            errors.push(FieldError::new(
                "file",
                "required",
                "CSV 파일을 골라 주세요",
            ));
        }
        let (Some(channel), Some(from), Some(to), true) = (channel, from, to, errors.is_empty())
        else {
            return Err((ApiError::validation(errors), typed));
        };
        reports::external::upload(&cx.state.db, channel, from, to, &csv, cx.who.0.user_id)
            .await
            .map_err(|e| (ApiError::from(e), typed.clone()))
    }
    .await;
    match outcome {
        Ok(r) => {
            let shown = UploadOutcome {
                channel: r.channel.label_ko().to_owned(),
                period: format!("{} ~ {}", r.from, r.to),
                replaced: r.replaced,
                rows: r.rows,
                matched: r.matched,
                units: r.units,
                net: won(r.net),
                unmatched: r
                    .unmatched
                    .into_iter()
                    .map(|u| (u.line, u.sku, u.reason))
                    .collect(),
            };
            let body =
                uploads_page(&cx, Some(shown), FormErrors::default(), Default::default()).await?;
            Ok((StatusCode::CREATED, body).into_response())
        }
        Err((e, typed)) => {
            shown_again(e, async |errors| {
                uploads_page(&cx, None, errors, typed).await
            })
            .await
        }
    }
}
