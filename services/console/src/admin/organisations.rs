//! Organisations (public institutions and companies buying on invoice) an admin approves
//! with a credit line, rejects with a reason, or whose credit limit an admin changes.
//! Through `platform::organisations::service`, the functions behind
//! `/v1/admin/organisations`.

use crate::cursor::{Cursor, StatusQuery};
use crate::error::PageResult;
use crate::form::{FormErrors, Pairs, redirect_or_shown_again, refused};
use crate::guard::{AdminSession, Ctx};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::Response;
use platform::ApiError;
use platform::error::FieldError;
use platform::organisations::OrganisationStatus;
use platform::organisations::service::{self, Decision, Organisation};
use uuid::Uuid;

/// The API's bounds on a credit line (won) and on payment terms (days).
const CREDIT_MAX: i64 = 1_000_000_000_000;
const TERMS: std::ops::RangeInclusive<i32> = 1..=180;

pub fn status_label(s: &OrganisationStatus) -> &'static str {
    match s {
        OrganisationStatus::Pending => "심사 대기",
        OrganisationStatus::Approved => "승인",
        OrganisationStatus::Rejected => "반려",
    }
}

pub fn kind_label(k: &platform::organisations::OrganisationKind) -> &'static str {
    match k {
        platform::organisations::OrganisationKind::PublicInstitution => "공공기관",
        platform::organisations::OrganisationKind::Company => "기업",
    }
}

/// The filter's words for a status (`pending` → 심사 대기).
pub fn status_word(s: &str) -> &'static str {
    s.parse::<OrganisationStatus>()
        .map_or("", |st| status_label(&st))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/organisations.html")]
pub struct ListPage {
    chrome: Chrome,
    rows: Vec<Organisation>,
    status: String,
    next: Option<String>,
}

/// Organisations newest first; applications to review by default, `status=` for all.
pub async fn list(cx: Ctx<AdminSession>, Query(q): Query<StatusQuery>) -> PageResult<ListPage> {
    let (status, filter) = match q.status.as_deref() {
        None => ("pending".to_owned(), Some(OrganisationStatus::Pending)),
        Some(s) => match s.parse::<OrganisationStatus>() {
            Ok(st) => (s.to_owned(), Some(st)),
            Err(_) => (String::new(), None),
        },
    };
    let at = Cursor::of(q.cursor)?;
    let rows = service::list(&cx.state.db, filter, at.after, at.fetch()).await?;
    let (rows, next) = at.split(rows, |o| o.id);
    Ok(ListPage {
        chrome: cx.page.chrome("기관 승인"),
        rows,
        status,
        next,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/organisation.html")]
pub struct OrgPage {
    chrome: Chrome,
    o: Organisation,
    applied: String,
    errors: FormErrors,
}

async fn org_page(cx: &Ctx<AdminSession>, id: Uuid, errors: FormErrors) -> PageResult<OrgPage> {
    let o = service::find(&cx.state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("organisation"))?;
    Ok(OrgPage {
        chrome: cx.page.chrome(&o.name),
        applied: crate::fmt::kst_minute(&o.created_at),
        o,
        errors,
    })
}

pub async fn show(cx: Ctx<AdminSession>, Path(id): Path<Uuid>) -> PageResult<OrgPage> {
    org_page(&cx, id, FormErrors::default()).await
}

async fn decided(
    cx: &Ctx<AdminSession>,
    id: Uuid,
    result: Result<Organisation, ApiError>,
    done: &str,
) -> PageResult<Response> {
    redirect_or_shown_again(
        result,
        &format!("/console/admin/organisations/{id}?done={done}"),
        async |errors| org_page(cx, id, errors).await,
    )
    .await
}

/// A credit limit typed in won, within the API's bounds.
fn credit_limit(errors: &mut FormErrors, raw: &str) -> Option<i64> {
    let n = crate::form::number::<i64>(errors, "credit_limit", raw)?;
    if (0..=CREDIT_MAX).contains(&n) {
        Some(n)
    } else {
        errors.push(FieldError::new(
            "credit_limit",
            "out_of_range",
            format!("must be 0 to {CREDIT_MAX}"),
        ));
        None
    }
}

pub async fn approve(
    cx: Ctx<AdminSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let mut errors = FormErrors::default();
    let limit = credit_limit(&mut errors, crate::form::value(&pairs, "credit_limit"));
    let terms = crate::form::optional_number::<i32>(
        &mut errors,
        "payment_terms_days",
        crate::form::value(&pairs, "payment_terms_days"),
    )
    .and_then(|t| match t {
        Some(d) if !TERMS.contains(&d) => {
            errors.push(FieldError::new(
                "payment_terms_days",
                "out_of_range",
                "must be 1 to 180",
            ));
            None
        }
        t => Some(t.unwrap_or(30)),
    });
    let (Some(credit_limit), Some(payment_terms_days)) = (limit, terms) else {
        return refused(org_page(&cx, id, errors).await?);
    };
    let r = service::decide(
        &cx.state.db,
        id,
        Decision::Approve {
            credit_limit,
            payment_terms_days,
        },
    )
    .await;
    decided(&cx, id, r, "org_approved").await
}

pub async fn reject(
    cx: Ctx<AdminSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let mut fields = Vec::new();
    let reason = service::required_text(
        &mut fields,
        "reason",
        crate::form::value(&pairs, "reason"),
        500,
    );
    let Some(reason) = reason else {
        let mut errors = FormErrors::default();
        fields.into_iter().for_each(|f| errors.push(f));
        return refused(org_page(&cx, id, errors).await?);
    };
    let r = service::decide(&cx.state.db, id, Decision::Reject { reason }).await;
    decided(&cx, id, r, "org_rejected").await
}

pub async fn set_credit_limit(
    cx: Ctx<AdminSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let mut errors = FormErrors::default();
    let Some(limit) = credit_limit(&mut errors, crate::form::value(&pairs, "credit_limit")) else {
        return refused(org_page(&cx, id, errors).await?);
    };
    let r = service::set_credit_limit(&cx.state.db, id, limit).await;
    decided(&cx, id, r, "saved").await
}
