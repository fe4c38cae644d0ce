//! Campaign applications: the campaigns open to apply to (live and upcoming, as the
//! storefront lists them), an application with one of the vendor's products and a
//! proposed discount, and the vendor's applications with their decisions — through
//! `promotions::applications`, the functions behind `/v1/vendor/campaigns`.

use crate::error::PageResult;
use crate::form::{self, FormErrors, Pairs};
use crate::guard::{Ctx, VendorSession};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::response::Response;
use catalog::vendor_actions;
use platform::ApiError;
use platform::error::FieldError;
use promotions::applications::{self, NewApplication};
use promotions::audit::Actor;
use promotions::page::CampaignSummary;
use promotions::prices::PriceKind;
use sea_orm::TransactionTrait;
use uuid::Uuid;

pub struct ApplicationRow {
    pub campaign: String,
    pub product: String,
    pub discount: String,
    pub status: String,
    pub reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "vendor/campaigns.html")]
pub struct CampaignsPage {
    chrome: Chrome,
    campaigns: Vec<CampaignSummary>,
    products: Vec<(Uuid, String)>,
    applications: Vec<ApplicationRow>,
    typed: form::Sent,
    errors: FormErrors,
}

pub fn application_status_label(s: &str) -> &'static str {
    match s {
        "pending" => "검토 중",
        "approved" => "승인",
        "rejected" => "반려",
        "withdrawn" => "철회",
        _ => "",
    }
}

fn discount_text(kind: &str, value: i64) -> String {
    match kind {
        "percent" => format!("{value}% 할인"),
        "amount_off" => format!("{} 할인", crate::fmt::won(value)),
        "fixed_price" => format!("{}에 판매", crate::fmt::won(value)),
        _ => value.to_string(),
    }
}

/// How many of the vendor's latest applications and products the page shows.
const SHOWN: u64 = 50;

async fn campaigns_page(
    cx: &Ctx<VendorSession>,
    form: Pairs,
    errors: FormErrors,
) -> PageResult<CampaignsPage> {
    let campaigns = promotions::page::list(&cx.state.db, chrono::Utc::now())
        .await
        .map_err(ApiError::from)?;
    let products: Vec<(Uuid, String)> = vendor_actions::products_page(
        &cx.state,
        cx.who.vendor_id,
        Some("active".into()),
        None,
        SHOWN,
    )
    .await
    .map_err(ApiError::from)?
    .into_iter()
    .map(|p| (p.id, p.title))
    .collect();
    let own = applications::list_own(&cx.state.db, cx.who.vendor_id, None, SHOWN)
        .await
        .map_err(ApiError::from)?;
    let applications = own
        .into_iter()
        .map(|a| ApplicationRow {
            campaign: campaigns
                .iter()
                .find(|c| c.id == a.campaign_id)
                .map_or_else(|| a.campaign_id.to_string(), |c| c.title.clone()),
            product: products
                .iter()
                .find(|(id, _)| *id == a.product_id)
                .map_or_else(|| a.product_id.to_string(), |(_, t)| t.clone()),
            discount: discount_text(&a.discount_kind, a.discount_value),
            status: a.status,
            reason: a.decision_reason.unwrap_or_default(),
        })
        .collect();
    Ok(CampaignsPage {
        chrome: cx.page.chrome("기획전"),
        campaigns,
        products,
        applications,
        typed: form::Sent(form),
        errors,
    })
}

pub async fn show(cx: Ctx<VendorSession>) -> PageResult<CampaignsPage> {
    campaigns_page(&cx, Vec::new(), FormErrors::default()).await
}

fn uuid_field(errors: &mut FormErrors, field: &str, raw: &str) -> Option<Uuid> {
    let parsed = raw.parse().ok();
    if parsed.is_none() {
        errors.push(FieldError::new(field, "required", "choose one"));
    }
    parsed
}

pub async fn apply(cx: Ctx<VendorSession>, Form(pairs): Form<Pairs>) -> PageResult<Response> {
    let mut errors = FormErrors::default();
    let campaign = uuid_field(
        &mut errors,
        "campaign_id",
        form::value(&pairs, "campaign_id"),
    );
    let product = uuid_field(&mut errors, "product_id", form::value(&pairs, "product_id"));
    let kind = PriceKind::parse(form::value(&pairs, "discount_kind"));
    if kind.is_none() {
        errors.push(FieldError::new("discount_kind", "required", "choose one"));
    }
    let value = form::number::<i64>(
        &mut errors,
        "discount_value",
        form::value(&pairs, "discount_value"),
    );
    let checked = match (campaign, product, kind, value) {
        (Some(campaign_id), Some(product_id), Some(discount_kind), Some(discount_value)) => {
            let new = NewApplication {
                product_id,
                discount_kind,
                discount_value,
                note: form::value(&pairs, "note").to_owned(),
            };
            Some((campaign_id, new))
        }
        _ => None,
    };
    form::made_or_shown_again(
        checked,
        errors,
        async |(campaign_id, new)| {
            let txn = cx.state.db.begin().await?;
            let a = applications::apply(
                &txn,
                Actor::user(&cx.who.principal),
                cx.who.vendor_id,
                campaign_id,
                new,
            )
            .await?;
            txn.commit().await?;
            Ok::<_, ApiError>(a)
        },
        |_| "/console/vendor/campaigns?done=applied".to_owned(),
        async |errors| campaigns_page(&cx, pairs, errors).await,
    )
    .await
}
