//! Campaigns (기획전) as a marketer runs them: the list (cursor pages, the API's status
//! filter), a new campaign with its window typed in Korean time, the campaign page
//! (sections with their product slots, campaign prices, schedule, end) and the storefront
//! preview at any instant. Every change goes through the promotions functions behind
//! `/v1/marketing/campaigns`, with the signed-in marketer as the audited actor.

use super::priced_change;
use crate::cursor::{Cursor, StatusQuery};
use crate::error::PageResult;
use crate::form::{self, FormErrors, Pairs};
use crate::guard::{Ctx, MarketerSession};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use platform::ApiError;
use platform::AppState;
use platform::error::FieldError;
use platform::status::Status;
use promotions::campaigns::{self, CampaignStatus, NewCampaign, NewSection};
use promotions::prices::{self, NewCampaignPrice, PriceKind};
use sea_orm::DatabaseTransaction;
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

/// Korean time as a `datetime-local` input shows it: `2027-01-20T10:00`.
pub fn kst_input(at: &DateTime<Utc>) -> String {
    promotions::seoul::show(*at)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A `datetime-local` value read as Korean time (Korea keeps no daylight saving time).
pub(crate) fn parse_kst(
    errors: &mut FormErrors,
    field: &str,
    raw: &str,
) -> Option<DateTime<FixedOffset>> {
    let raw = raw.trim();
    let parsed = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .ok()
        .and_then(|n| n.and_local_timezone(promotions::seoul::offset()).single());
    if parsed.is_none() {
        errors.push(FieldError::new(
            field,
            "invalid_datetime",
            "날짜와 시각을 입력해 주세요 (한국 시간)",
        ));
    }
    parsed
}

pub fn status_label(s: &str) -> &'static str {
    match s {
        "draft" => "준비 중",
        "scheduled" => "예약됨",
        "live" => "진행 중",
        "ended" => "종료",
        _ => "",
    }
}

// ---------------------------------------------------------------- list

pub struct Row {
    pub id: Uuid,
    pub title: String,
    pub slug: String,
    pub status: String,
    pub window: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "marketer/campaigns.html")]
pub struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    status: String,
    next: Option<String>,
}

pub async fn list(cx: Ctx<MarketerSession>, Query(q): Query<StatusQuery>) -> PageResult<ListPage> {
    let status = q.status.filter(|s| CampaignStatus::parse(s).is_some());
    let at = Cursor::of(q.cursor)?;
    let found = campaigns::page(&cx.state.db, status.clone(), at.after, at.fetch()).await?;
    let (found, next) = at.split(found, |c| c.id);
    Ok(ListPage {
        chrome: cx.page.chrome("기획전"),
        rows: found
            .into_iter()
            .map(|c| Row {
                id: c.id,
                window: crate::fmt::kst_window(&c.starts_at, &c.ends_at),
                title: c.title,
                slug: c.slug,
                status: c.status,
            })
            .collect(),
        status: status.unwrap_or_default(),
        next,
    })
}

// ---------------------------------------------------------------- new

#[derive(Default)]
pub struct CampaignForm {
    pub title: String,
    pub slug: String,
    pub theme: String,
    pub description: String,
    pub starts_at: String,
    pub ends_at: String,
    pub vendor_share_bp: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "marketer/campaign_new.html")]
pub struct NewPage {
    chrome: Chrome,
    form: CampaignForm,
    errors: FormErrors,
}

pub async fn new_form(cx: Ctx<MarketerSession>) -> NewPage {
    NewPage {
        chrome: cx.page.chrome("새 기획전"),
        form: CampaignForm {
            vendor_share_bp: "10000".into(),
            ..CampaignForm::default()
        },
        errors: FormErrors::default(),
    }
}

pub async fn create(cx: Ctx<MarketerSession>, Form(pairs): Form<Pairs>) -> PageResult<Response> {
    let v = |k: &str| form::value(&pairs, k).to_owned();
    let f = CampaignForm {
        title: v("title"),
        slug: v("slug"),
        theme: v("theme"),
        description: v("description"),
        starts_at: v("starts_at"),
        ends_at: v("ends_at"),
        vendor_share_bp: v("vendor_share_bp"),
    };
    let mut errors = FormErrors::default();
    let starts = parse_kst(&mut errors, "starts_at", &f.starts_at);
    let ends = parse_kst(&mut errors, "ends_at", &f.ends_at);
    let share = form::optional_number::<i32>(&mut errors, "vendor_share_bp", &f.vendor_share_bp);
    let checked = match (starts, ends, share, errors.is_empty()) {
        (Some(starts_at), Some(ends_at), Some(vendor_share_bp), true) => Some(NewCampaign {
            title: f.title.clone(),
            slug: f.slug.trim().to_owned(),
            theme: f.theme.clone(),
            description: f.description.clone(),
            banner_pc: None,
            banner_mobile: None,
            starts_at,
            ends_at,
            membership: Vec::new(),
            vendor_share_bp,
        }),
        _ => None,
    };
    form::made_or_shown_again(
        checked,
        errors,
        async |new| {
            priced_change(&cx.state, async |txn| {
                campaigns::create(txn, cx.actor(), new).await
            })
            .await
        },
        |c| format!("/console/marketer/campaigns/{}?done=created", c.id),
        async |errors| {
            Ok(NewPage {
                chrome: cx.page.chrome("새 기획전"),
                form: f,
                errors,
            })
        },
    )
    .await
}

// ---------------------------------------------------------------- the campaign

pub struct SectionRow {
    pub id: Uuid,
    pub title: String,
    pub position: i32,
    pub products: Vec<String>,
    pub product_ids: Vec<Uuid>,
}

pub struct PriceRow {
    pub id: Uuid,
    pub product: String,
    pub kind: String,
    pub value: i64,
    pub floor: i64,
}

pub struct ProductOption {
    pub id: Uuid,
    pub label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "marketer/campaign.html")]
pub struct CampaignPage {
    chrome: Chrome,
    id: Uuid,
    slug: String,
    status: String,
    window: String,
    starts_input: String,
    /// The edit form's values: the campaign's, or what was typed into a refused form.
    edit: EditForm,
    sections: Vec<SectionRow>,
    prices: Vec<PriceRow>,
    products: Vec<ProductOption>,
    errors: FormErrors,
    /// `campaign`, `section`, `section:{id}`, `price`, `price:{id}` or `status`: which
    /// form the errors belong to.
    errors_for: String,
}

impl CampaignPage {
    /// The errors of the form `which`, or none: several forms on the page share field
    /// names, and an error belongs beside the field of the form that was sent.
    pub fn errors_of_form(&self, which: &str) -> &FormErrors {
        static NONE: FormErrors = FormErrors {
            fields: Vec::new(),
            summary: None,
        };
        if self.errors_for == which {
            &self.errors
        } else {
            &NONE
        }
    }
}

/// The products a marketer may place: what shoppers can see now (the first 200 by id).
async fn product_options(state: &AppState) -> Result<Vec<ProductOption>, ApiError> {
    let listed = catalog::listing::listed_after(&state.db, Uuid::nil(), 200)
        .await
        .map_err(ApiError::from)?;
    Ok(listed
        .products
        .into_iter()
        .map(|p| ProductOption {
            id: p.id,
            label: format!(
                "{} · {} · {}",
                p.title,
                p.vendor_name,
                crate::fmt::won(p.min_price)
            ),
        })
        .collect())
}

async fn campaign_page(
    cx: &Ctx<MarketerSession>,
    id: Uuid,
    errors: FormErrors,
    errors_for: &str,
) -> PageResult<CampaignPage> {
    let state = &cx.state;
    let c = campaigns::get(&state.db, id).await?;
    let products = product_options(state).await?;
    let names: HashMap<Uuid, String> = products.iter().map(|p| (p.id, p.label.clone())).collect();
    let name = |id: &Uuid| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let sections = campaigns::sections(&state.db, id).await?;
    let prices = prices::of_campaign(&state.db, id).await?;
    Ok(CampaignPage {
        chrome: cx.page.chrome(&c.title),
        id: c.id,
        window: format!(
            "{} (한국 시간)",
            crate::fmt::kst_window(&c.starts_at, &c.ends_at)
        ),
        starts_input: kst_input(&c.starts_at),
        edit: EditForm::of(&c),
        slug: c.slug,
        status: c.status,
        sections: sections
            .into_iter()
            .map(|s| SectionRow {
                id: s.section.id,
                title: s.section.title,
                position: s.section.position,
                products: s.product_ids.iter().map(name).collect(),
                product_ids: s.product_ids,
            })
            .collect(),
        prices: prices
            .into_iter()
            .map(|p| PriceRow {
                id: p.id,
                product: name(&p.product_id),
                kind: p.kind,
                value: p.value,
                floor: p.floor,
            })
            .collect(),
        products,
        errors,
        errors_for: errors_for.to_owned(),
    })
}

pub async fn show(cx: Ctx<MarketerSession>, Path(id): Path<Uuid>) -> PageResult<CampaignPage> {
    campaign_page(&cx, id, FormErrors::default(), "").await
}

/// Run one promotions change in a transaction as the signed-in marketer; on success back
/// to the campaign page with a notice, otherwise the page with the form's errors.
async fn change<T>(
    cx: &Ctx<MarketerSession>,
    id: Uuid,
    errors_for: &str,
    done: &str,
    f: impl AsyncFnOnce(&DatabaseTransaction) -> promotions::error::PromotionsResult<T>,
) -> PageResult<Response> {
    form::redirect_or_shown_again(
        priced_change(&cx.state, f).await,
        &format!("/console/marketer/campaigns/{id}?done={done}"),
        async |errors| campaign_page(cx, id, errors, errors_for).await,
    )
    .await
}

pub async fn add_section(
    cx: Ctx<MarketerSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let mut errors = FormErrors::default();
    let position = form::number::<i32>(&mut errors, "position", form::value(&pairs, "position"));
    let Some(position) = position.filter(|_| errors.is_empty()) else {
        return form::refused(campaign_page(&cx, id, errors, "section").await?);
    };
    let new = NewSection {
        title: form::value(&pairs, "title").to_owned(),
        position,
        product_ids: product_ids(&pairs),
    };
    change(&cx, id, "section", "saved", async |txn| {
        campaigns::add_section(txn, cx.actor(), id, new).await
    })
    .await
}

pub async fn add_price(
    cx: Ctx<MarketerSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let mut errors = FormErrors::default();
    let product_id = form::value(&pairs, "product_id").parse::<Uuid>().ok();
    if product_id.is_none() {
        errors.push(FieldError::new(
            "product_id",
            "required",
            "choose a product",
        ));
    }
    let kind = match form::value(&pairs, "kind") {
        "percent" => Some(PriceKind::Percent),
        "amount_off" => Some(PriceKind::AmountOff),
        "fixed_price" => Some(PriceKind::FixedPrice),
        _ => {
            errors.push(FieldError::new("kind", "required", "choose a kind"));
            None
        }
    };
    let value = form::number::<i64>(&mut errors, "value", form::value(&pairs, "value"));
    let floor = form::optional_number::<i64>(&mut errors, "floor", form::value(&pairs, "floor"));
    let (Some(product_id), Some(kind), Some(value), Some(floor), true) =
        (product_id, kind, value, floor, errors.is_empty())
    else {
        return form::refused(campaign_page(&cx, id, errors, "price").await?);
    };
    let new = NewCampaignPrice {
        product_id,
        variant_id: None,
        kind,
        value,
        floor: floor.unwrap_or(0),
    };
    change(&cx, id, "price", "saved", async |txn| {
        prices::add(txn, cx.actor(), id, new, None).await
    })
    .await
}

pub async fn schedule(cx: Ctx<MarketerSession>, Path(id): Path<Uuid>) -> PageResult<Response> {
    change(&cx, id, "status", "scheduled", async |txn| {
        campaigns::schedule(txn, cx.actor(), id, Utc::now()).await
    })
    .await
}

pub async fn end(cx: Ctx<MarketerSession>, Path(id): Path<Uuid>) -> PageResult<Response> {
    change(&cx, id, "status", "ended", async |txn| {
        campaigns::end_early(txn, cx.actor(), id, Utc::now()).await
    })
    .await
}

// ---------------------------------------------------------------- editing

/// The campaign's title, description and window (Korean time) as the edit form shows them.
pub struct EditForm {
    pub title: String,
    pub description: String,
    pub starts_at: String,
    pub ends_at: String,
}

impl EditForm {
    fn of(c: &promotions::store::campaign::Model) -> EditForm {
        EditForm {
            title: c.title.clone(),
            description: c.description.clone(),
            starts_at: kst_input(&c.starts_at),
            ends_at: kst_input(&c.ends_at),
        }
    }
}

/// Edit a campaign that has not ended, through the same update as `PATCH
/// /v1/marketing/campaigns/{id}`. Only the times that were changed are sent, so a running
/// campaign's unchanged start is not mistaken for an attempt to move it.
pub async fn update(
    cx: Ctx<MarketerSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let before = campaigns::get(&cx.state.db, id).await?;
    let v = |k: &str| form::value(&pairs, k).to_owned();
    let f = EditForm {
        title: v("title"),
        description: v("description"),
        starts_at: v("starts_at"),
        ends_at: v("ends_at"),
    };
    let was = EditForm::of(&before);
    let mut errors = FormErrors::default();
    let starts = parse_kst(&mut errors, "starts_at", &f.starts_at);
    let ends = parse_kst(&mut errors, "ends_at", &f.ends_at);
    let (Some(starts), Some(ends), true) = (starts, ends, errors.is_empty()) else {
        return form::refused(edit_page(&cx, id, errors, f).await?);
    };
    let upd = campaigns::CampaignUpdate {
        title: Some(f.title.clone()),
        description: Some(f.description.clone()),
        starts_at: (f.starts_at.trim() != was.starts_at).then_some(starts),
        ends_at: (f.ends_at.trim() != was.ends_at).then_some(ends),
        ..Default::default()
    };
    let made = priced_change(&cx.state, async |txn| {
        campaigns::update(txn, cx.actor(), id, upd, Utc::now()).await
    })
    .await;
    form::redirect_or_shown_again(
        made,
        &format!("/console/marketer/campaigns/{id}?done=saved"),
        async |errors| edit_page(&cx, id, errors, f).await,
    )
    .await
}

/// The campaign page with its edit form as it was typed, and the form's errors.
async fn edit_page(
    cx: &Ctx<MarketerSession>,
    id: Uuid,
    errors: FormErrors,
    typed: EditForm,
) -> PageResult<CampaignPage> {
    let mut body = campaign_page(cx, id, errors, "campaign").await?;
    body.edit = typed;
    Ok(body)
}

/// Selected product ids of a section or price form.
fn product_ids(pairs: &Pairs) -> Vec<Uuid> {
    form::values(pairs, "product_ids")
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// Rename a section and refill its slots (the selected products, in list order).
pub async fn update_section(
    cx: Ctx<MarketerSession>,
    Path((id, section_id)): Path<(Uuid, Uuid)>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let upd = campaigns::SectionUpdate {
        title: Some(form::value(&pairs, "title").to_owned()),
        position: None,
        product_ids: Some(product_ids(&pairs)),
    };
    let form_of = format!("section:{section_id}");
    change(&cx, id, &form_of, "saved", async |txn| {
        campaigns::update_section(txn, cx.actor(), id, section_id, upd).await
    })
    .await
}

pub async fn delete_section(
    cx: Ctx<MarketerSession>,
    Path((id, section_id)): Path<(Uuid, Uuid)>,
) -> PageResult<Response> {
    let form_of = format!("section:{section_id}");
    change(&cx, id, &form_of, "deleted", async |txn| {
        campaigns::delete_section(txn, cx.actor(), id, section_id).await
    })
    .await
}

/// Move a section one place up or down: the page's buttons send `direction`, and the
/// whole new order goes through the same reorder as `PUT …/section-order`.
pub async fn move_section(
    cx: Ctx<MarketerSession>,
    Path((id, section_id)): Path<(Uuid, Uuid)>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let mut order: Vec<Uuid> = campaigns::sections(&cx.state.db, id)
        .await?
        .into_iter()
        .map(|s| s.section.id)
        .collect();
    let Some(at) = order.iter().position(|s| *s == section_id) else {
        return Err(ApiError::not_found("section").into());
    };
    match form::value(&pairs, "direction") {
        "up" if at > 0 => order.swap(at, at - 1),
        "down" if at + 1 < order.len() => order.swap(at, at + 1),
        _ => {}
    }
    let form_of = format!("section:{section_id}");
    change(&cx, id, &form_of, "saved", async |txn| {
        campaigns::reorder_sections(txn, cx.actor(), id, &order).await
    })
    .await
}

/// Change a campaign price's value and floor (its product and kind stay as shown).
pub async fn update_price(
    cx: Ctx<MarketerSession>,
    Path((id, price_id)): Path<(Uuid, Uuid)>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let form_of = format!("price:{price_id}");
    let mut errors = FormErrors::default();
    let value = form::number::<i64>(&mut errors, "value", form::value(&pairs, "value"));
    let floor = form::optional_number::<i64>(&mut errors, "floor", form::value(&pairs, "floor"));
    let (Some(value), Some(floor), true) = (value, floor, errors.is_empty()) else {
        return form::refused(campaign_page(&cx, id, errors, &form_of).await?);
    };
    let upd = prices::CampaignPriceUpdate {
        kind: None,
        value: Some(value),
        floor: Some(floor.unwrap_or(0)),
    };
    change(&cx, id, &form_of, "saved", async |txn| {
        prices::update(txn, cx.actor(), id, price_id, upd).await
    })
    .await
}

pub async fn delete_price(
    cx: Ctx<MarketerSession>,
    Path((id, price_id)): Path<(Uuid, Uuid)>,
) -> PageResult<Response> {
    let form_of = format!("price:{price_id}");
    change(&cx, id, &form_of, "deleted", async |txn| {
        prices::remove(txn, cx.actor(), id, price_id).await
    })
    .await
}

// ---------------------------------------------------------------- preview

pub struct PreviewProduct {
    pub title: String,
    pub vendor: String,
    pub list_price: i64,
    pub price: i64,
    pub discount_percent: u32,
}

pub struct PreviewSection {
    pub title: String,
    pub products: Vec<PreviewProduct>,
}

#[derive(Template, WebTemplate)]
#[template(path = "marketer/preview.html")]
pub struct PreviewPage {
    chrome: Chrome,
    id: Uuid,
    at_input: String,
    at_label: String,
    state_label: &'static str,
    sections: Vec<PreviewSection>,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    at: Option<String>,
}

fn preview_product(p: promotions::page::CampaignProduct) -> PreviewProduct {
    PreviewProduct {
        title: p.title,
        vendor: p.vendor.trade_name,
        list_price: p.list_price.0,
        price: p.price.0,
        discount_percent: p.discount_percent,
    }
}

/// The campaign's storefront page as shoppers will see it at an instant (Korean time),
/// priced by the same engine as the cart; drafts too.
pub async fn preview(
    cx: Ctx<MarketerSession>,
    Path(id): Path<Uuid>,
    Query(q): Query<PreviewQuery>,
) -> PageResult<Response> {
    let c = campaigns::get(&cx.state.db, id).await?;
    let mut errors = FormErrors::default();
    let at = match q.at.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => parse_kst(&mut errors, "at", raw).map(|a| a.with_timezone(&Utc)),
        None => Some(c.starts_at),
    };
    let Some(at) = at else {
        let body = PreviewPage {
            chrome: cx.page.chrome(&c.title),
            id,
            at_input: q.at.unwrap_or_default(),
            at_label: String::new(),
            state_label: "",
            sections: Vec::new(),
            errors,
        };
        return form::refused(body);
    };
    let built = promotions::page::build(&cx.state.db, &c, at, true).await?;
    let mut sections: Vec<PreviewSection> = built
        .sections
        .into_iter()
        .map(|s| PreviewSection {
            title: s.title,
            products: s.products.into_iter().map(preview_product).collect(),
        })
        .collect();
    if !built.members.is_empty() {
        sections.push(PreviewSection {
            title: "조건으로 포함된 상품".into(),
            products: built.members.into_iter().map(preview_product).collect(),
        });
    }
    let state_label = match promotions::page::state_at(&c, at) {
        promotions::page::CampaignState::Upcoming => "시작 전",
        promotions::page::CampaignState::Live => "진행 중",
        promotions::page::CampaignState::Ended => "종료",
    };
    Ok(PreviewPage {
        chrome: cx.page.chrome(&c.title),
        id,
        at_input: kst_input(&at),
        at_label: crate::fmt::kst_minute(&at),
        state_label,
        sections,
        errors,
    }
    .into_response())
}
