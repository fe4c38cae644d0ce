//! Vendors' applications to a campaign (참여 신청), as a marketer reviews them: the list of
//! one campaign's applications filtered by status (cursor pages), approve (the proposed
//! discount becomes a campaign price, refused when it contradicts another price) and
//! reject with the reason the vendor will see.

use super::campaigns::status_label;
use crate::cursor::Cursor;
use crate::error::PageResult;
use crate::form::{self, FormErrors, Pairs};
use crate::guard::{Ctx, MarketerSession};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use platform::status::Status;
use promotions::campaigns;
use promotions::states::ApplicationStatus;
use serde::Deserialize;
use uuid::Uuid;

pub fn application_label(s: &str) -> &'static str {
    match s {
        "pending" => "검토 대기",
        "approved" => "승인",
        "rejected" => "반려",
        "withdrawn" => "철회",
        _ => "",
    }
}

pub fn discount_label(kind: &str, value: i64) -> String {
    match kind {
        "percent" => format!("{value}% 할인"),
        "amount_off" => format!("{} 할인", crate::fmt::won(value)),
        "fixed_price" => format!("{}에 판매", crate::fmt::won(value)),
        _ => value.to_string(),
    }
}

pub struct Row {
    pub id: Uuid,
    pub vendor: String,
    pub product: String,
    pub discount: String,
    pub note: String,
    pub status: String,
    pub reason: String,
    pub applied_at: String,
}

pub struct CampaignOption {
    pub id: Uuid,
    pub label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "marketer/applications.html")]
pub struct ListPage {
    chrome: Chrome,
    campaigns: Vec<CampaignOption>,
    campaign: Option<Uuid>,
    status: String,
    rows: Vec<Row>,
    next: Option<String>,
    /// The application the errors belong to (its row shows them).
    errors_for: Option<Uuid>,
    errors: FormErrors,
}

impl ListPage {
    fn chosen(&self, id: &Uuid) -> bool {
        self.campaign.as_ref() == Some(id)
    }

    fn errors_here(&self, id: &Uuid) -> bool {
        self.errors_for.as_ref() == Some(id)
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    campaign: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
}

struct Filter {
    campaign: Option<Uuid>,
    status: Option<String>,
    cursor: Option<String>,
}

async fn list_page(
    cx: &Ctx<MarketerSession>,
    f: Filter,
    errors_for: Option<Uuid>,
    errors: FormErrors,
) -> PageResult<ListPage> {
    let db = &cx.state.db;
    // Vendors apply only to published campaigns; the newest 100 of them to choose from.
    let mut options = Vec::new();
    for s in ["live", "scheduled", "ended"] {
        let found = campaigns::page(db, Some(s.to_owned()), None, 100).await?;
        options.extend(found.into_iter().map(|c| CampaignOption {
            id: c.id,
            label: format!("{} ({})", c.title, status_label(&c.status)),
        }));
    }
    let campaign = f.campaign.or_else(|| options.first().map(|o| o.id));
    let at = Cursor::of(f.cursor)?;
    let rows = match campaign {
        Some(id) => {
            campaigns::get(db, id).await?;
            // Oldest first, so that the applications waiting longest come first.
            promotions::applications::of_campaign(db, id, f.status.as_deref(), at.after, at.fetch())
                .await?
        }
        None => Vec::new(),
    };
    let (rows, next) = at.split(rows, |a| a.id);
    let vendor_ids: Vec<Uuid> = rows.iter().map(|a| a.vendor_id).collect();
    let product_ids: Vec<Uuid> = rows.iter().map(|a| a.product_id).collect();
    let vendors = catalog::listing::vendor_names(db, &vendor_ids).await?;
    let products = catalog::listing::product_titles(db, &product_ids).await?;
    Ok(ListPage {
        chrome: cx.page.chrome("참여 신청"),
        campaigns: options,
        campaign,
        status: f.status.unwrap_or_default(),
        rows: rows
            .into_iter()
            .map(|a| Row {
                id: a.id,
                vendor: vendors.get(&a.vendor_id).cloned().unwrap_or_default(),
                product: products.get(&a.product_id).cloned().unwrap_or_default(),
                discount: discount_label(&a.discount_kind, a.discount_value),
                note: a.note,
                status: a.status,
                reason: a.decision_reason.unwrap_or_default(),
                applied_at: crate::fmt::kst_minute(&a.created_at),
            })
            .collect(),
        next,
        errors_for,
        errors,
    })
}

pub async fn list(cx: Ctx<MarketerSession>, Query(q): Query<ListQuery>) -> PageResult<ListPage> {
    let f = Filter {
        campaign: q.campaign.and_then(|c| c.parse().ok()),
        status: q.status.filter(|s| ApplicationStatus::parse(s).is_some()),
        cursor: q.cursor,
    };
    list_page(&cx, f, None, FormErrors::default()).await
}

/// Approve or reject in one transaction; back to the campaign's list with a notice, or
/// the list with the errors beside the application.
async fn decide(
    cx: &Ctx<MarketerSession>,
    id: Uuid,
    pairs: &Pairs,
    done: &str,
    reason: Option<String>,
) -> PageResult<Response> {
    let actor = cx.actor();
    let status = form::value(pairs, "status").to_owned();
    let result = super::priced_change(&cx.state, async |txn| match reason {
        Some(r) => promotions::applications::reject(txn, actor, id, r).await,
        None => promotions::applications::approve(txn, actor, id).await,
    })
    .await;
    match result {
        Ok(a) => Ok(Redirect::to(&format!(
            "/console/marketer/applications?campaign={}&status={}&done={done}",
            a.campaign_id,
            crate::error::encode(&status)
        ))
        .into_response()),
        Err(e) => {
            let f = Filter {
                campaign: form::value(pairs, "campaign").parse().ok(),
                status: Some(status).filter(|s| ApplicationStatus::parse(s).is_some()),
                cursor: None,
            };
            form::shown_again(e.into(), async |errors| {
                list_page(cx, f, Some(id), errors).await
            })
            .await
        }
    }
}

pub async fn approve(
    cx: Ctx<MarketerSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    decide(&cx, id, &pairs, "app_approved", None).await
}

pub async fn reject(
    cx: Ctx<MarketerSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let reason = form::value(&pairs, "reason").to_owned();
    decide(&cx, id, &pairs, "app_rejected", Some(reason)).await
}
