//! Vendor applications as an admin reviews them: the list (cursor pages, the API's status
//! filter, pending first by default), one application (business number, address and
//! district, contacts, settlement account), approve, reject with a reason. Decisions go
//! through `catalog::admin_actions`, the functions behind `/v1/admin/vendors`.

use crate::cursor::{Cursor, StatusQuery};
use crate::error::PageResult;
use crate::form::{FormErrors, Pairs, redirect_or_shown_again, refused, shown_again};
use crate::guard::{AdminSession, Ctx};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::Response;
use catalog::admin_actions;
use catalog::store::vendor;
use platform::ApiError;
use uuid::Uuid;

pub fn status_label(s: &str) -> &'static str {
    match s {
        "pending" => "심사 대기",
        "approved" => "승인",
        "rejected" => "반려",
        "suspended" => "정지",
        _ => "",
    }
}

/// The 군·구 of an Incheon address (`인천광역시 강화군 …` → `강화군`).
pub fn district(address: &str) -> String {
    address
        .split_whitespace()
        .find(|w| w.ends_with('군') || w.ends_with('구'))
        .unwrap_or_default()
        .to_owned()
}

pub struct Row {
    pub id: Uuid,
    pub trade_name: String,
    pub business_number: String,
    pub district: String,
    pub status: String,
    pub applied: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/vendors.html")]
pub struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    status: String,
    next: Option<String>,
}

const STATUSES: [&str; 4] = ["pending", "approved", "rejected", "suspended"];

pub async fn list(cx: Ctx<AdminSession>, Query(q): Query<StatusQuery>) -> PageResult<ListPage> {
    // Applications to review first; `status=` (empty) shows every vendor.
    let status = match q.status {
        None => "pending".to_owned(),
        Some(s) if STATUSES.contains(&s.as_str()) => s,
        Some(_) => String::new(),
    };
    let at = Cursor::of(q.cursor)?;
    let filter = (!status.is_empty()).then(|| status.clone());
    let found = admin_actions::vendors_page(&cx.state, filter, at.after, at.fetch()).await?;
    let (found, next) = at.split(found, |v| v.id);
    Ok(ListPage {
        chrome: cx.page.chrome("입점 심사"),
        rows: found
            .into_iter()
            .map(|v| Row {
                id: v.id,
                district: district(&v.address),
                applied: crate::fmt::kst_minute(&v.created_at),
                trade_name: v.trade_name,
                business_number: v.business_number,
                status: v.status,
            })
            .collect(),
        status,
        next,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/vendor.html")]
pub struct VendorPage {
    chrome: Chrome,
    v: vendor::Model,
    district: String,
    applied: String,
    errors: FormErrors,
    penalties: Vec<PenaltyRow>,
    strikes: i64,
}

/// One recorded strike as the vendor page lists it.
pub struct PenaltyRow {
    pub reason: String,
    pub strikes: i32,
    pub at: String,
}

async fn vendor_page(
    cx: &Ctx<AdminSession>,
    id: Uuid,
    errors: FormErrors,
) -> PageResult<VendorPage> {
    let v = admin_actions::vendor(&cx.state, id).await?;
    let penalties: Vec<PenaltyRow> = admin_actions::penalties(&cx.state, id)
        .await?
        .into_iter()
        .map(|p| PenaltyRow {
            at: crate::fmt::kst_minute(&p.created_at),
            reason: p.reason,
            strikes: p.strikes,
        })
        .collect();
    Ok(VendorPage {
        strikes: penalties.iter().map(|p| i64::from(p.strikes)).sum(),
        penalties,
        chrome: cx.page.chrome(&v.trade_name),
        district: district(&v.address),
        applied: crate::fmt::kst_minute(&v.created_at),
        v,
        errors,
    })
}

pub async fn show(cx: Ctx<AdminSession>, Path(id): Path<Uuid>) -> PageResult<VendorPage> {
    vendor_page(&cx, id, FormErrors::default()).await
}

async fn decided(
    cx: &Ctx<AdminSession>,
    id: Uuid,
    result: catalog::error::CatalogResult<vendor::Model>,
    done: &str,
) -> PageResult<Response> {
    redirect_or_shown_again(
        result,
        &format!("/console/admin/vendors/{id}?done={done}"),
        async |errors| vendor_page(cx, id, errors).await,
    )
    .await
}

pub async fn approve(cx: Ctx<AdminSession>, Path(id): Path<Uuid>) -> PageResult<Response> {
    let r = admin_actions::approve(&cx.state, id).await;
    decided(&cx, id, r, "approved").await
}

pub async fn reject(
    cx: Ctx<AdminSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let r = admin_actions::reject(&cx.state, id, crate::form::value(&pairs, "reason")).await;
    decided(&cx, id, r, "rejected").await
}

/// Suspend an approved vendor with a reason: its products leave the storefront at once.
pub async fn suspend(
    cx: Ctx<AdminSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let r = admin_actions::suspend(&cx.state, id, crate::form::value(&pairs, "reason")).await;
    decided(&cx, id, r, "suspended").await
}

/// Reinstate a suspended vendor: its products come back.
pub async fn reinstate(cx: Ctx<AdminSession>, Path(id): Path<Uuid>) -> PageResult<Response> {
    let r = admin_actions::reinstate(&cx.state, id).await;
    decided(&cx, id, r, "reinstated").await
}

/// Record penalty strikes (1 to 3) with a reason; at three in all the vendor is
/// suspended.
pub async fn add_penalty(
    cx: Ctx<AdminSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let mut errors = FormErrors::default();
    let Some(strikes) = crate::form::number::<i32>(
        &mut errors,
        "strikes",
        crate::form::value(&pairs, "strikes"),
    ) else {
        return refused(vendor_page(&cx, id, errors).await?);
    };
    let r = admin_actions::add_penalty(
        &cx.state,
        id,
        crate::form::value(&pairs, "penalty_reason"),
        strikes,
        cx.who.0.user_id,
    )
    .await;
    match r {
        Err(catalog::error::CatalogError::Invalid(mut fields)) => {
            // The page has two reason fields (suspension and strike): this one's errors
            // stand beside the strike's.
            for f in &mut fields {
                if f.field == "reason" {
                    f.field = "penalty_reason".into();
                }
            }
            shown_again(ApiError::validation(fields), async |errors| {
                vendor_page(&cx, id, errors).await
            })
            .await
        }
        r => decided(&cx, id, r, "penalty").await,
    }
}
