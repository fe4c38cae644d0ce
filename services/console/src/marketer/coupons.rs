//! Coupons as a marketer runs them: the list with their counters (cursor pages), a new
//! coupon (a public code, or none for a coupon only issued), the coupon's page (stop it,
//! issue it to customers) and its daily first-come drops (선착순) with the claims of each
//! day. Every change goes through `promotions::coupons` as the signed-in marketer.

use super::campaigns::{api, parse_kst};
use super::{cursor_of, next_cursor};
use crate::error::PageResult;
use crate::form::{self, FormErrors};
use crate::guard::MarketerSession;
use crate::layout::{Chrome, PageCtx};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveTime;
use platform::ApiError;
use platform::AppState;
use platform::error::FieldError;
use promotions::audit::Actor;
use promotions::coupons::{self, CouponKindInput, NewCoupon, NewDrop, ScopeInput};
use promotions::store::coupon;
use serde::Deserialize;
use uuid::Uuid;

type Pairs = Vec<(String, String)>;

pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "percent" => "정률 할인",
        "amount_off" => "정액 할인",
        "free_shipping" => "무료 배송",
        _ => "",
    }
}

/// What the coupon takes off, in words.
fn benefit(c: &coupon::Model) -> String {
    match c.kind.as_str() {
        "percent" => {
            let cap = c
                .cap
                .map(|cap| format!(" (최대 {})", crate::fmt::won(cap)))
                .unwrap_or_default();
            format!("{}%{cap}", c.percent.unwrap_or(0))
        }
        "amount_off" => crate::fmt::won(c.amount.unwrap_or(0)),
        _ => "배송비 무료".into(),
    }
}

fn limit_of<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or("제한 없음".into(), |v| v.to_string())
}

pub struct Row {
    pub id: Uuid,
    pub name: String,
    pub code: String,
    pub kind: &'static str,
    pub benefit: String,
    pub window: String,
    pub used: String,
    pub spent: String,
    pub disabled: bool,
}

fn row(c: coupon::Model) -> Row {
    Row {
        id: c.id,
        kind: kind_label(&c.kind),
        benefit: benefit(&c),
        window: format!(
            "{} ~ {}",
            crate::fmt::kst_minute(&c.starts_at),
            crate::fmt::kst_minute(&c.ends_at)
        ),
        used: format!("{} / {}", c.used_count, limit_of(c.total_uses)),
        spent: format!(
            "{} / {}",
            crate::fmt::won(c.spent),
            c.budget.map_or("제한 없음".into(), crate::fmt::won)
        ),
        disabled: c.disabled_at.is_some(),
        code: c.code.unwrap_or_default(),
        name: c.name,
    }
}

// ---------------------------------------------------------------- list

#[derive(Template, WebTemplate)]
#[template(path = "marketer/coupons.html")]
pub struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    _m: MarketerSession,
    page: PageCtx,
    Query(q): Query<ListQuery>,
) -> PageResult<ListPage> {
    let (after, limit) = cursor_of(q.cursor)?;
    let mut rows = api(coupons::list(&state.db, after, limit + 1).await)?;
    let next = next_cursor(&mut rows, limit, |c| c.id);
    Ok(ListPage {
        chrome: page.chrome("쿠폰"),
        rows: rows.into_iter().map(row).collect(),
        next,
    })
}

// ---------------------------------------------------------------- new

/// The form as typed, to show it again with its errors.
#[derive(Default)]
pub struct CouponForm {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub percent: String,
    pub cap: String,
    pub amount: String,
    pub min_order: String,
    pub scope_kind: String,
    pub scope_id: String,
    pub starts_at: String,
    pub ends_at: String,
    pub total_uses: String,
    pub per_customer_limit: String,
    pub budget: String,
    pub vendor_share_bp: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "marketer/coupon_new.html")]
pub struct NewPage {
    chrome: Chrome,
    form: CouponForm,
    errors: FormErrors,
}

pub async fn new_form(_m: MarketerSession, page: PageCtx) -> NewPage {
    NewPage {
        chrome: page.chrome("새 쿠폰"),
        form: CouponForm {
            kind: "percent".into(),
            scope_kind: "all".into(),
            min_order: "0".into(),
            vendor_share_bp: "0".into(),
            ..CouponForm::default()
        },
        errors: FormErrors::default(),
    }
}

fn parse_coupon(f: &CouponForm, errors: &mut FormErrors) -> Option<NewCoupon> {
    let kind = match f.kind.as_str() {
        "percent" => Some(CouponKindInput::Percent),
        "amount_off" => Some(CouponKindInput::AmountOff),
        "free_shipping" => Some(CouponKindInput::FreeShipping),
        _ => {
            errors.push(FieldError::new("kind", "required", "choose a kind"));
            None
        }
    };
    let scope_id = if f.scope_kind == "all" {
        None
    } else {
        let id = f.scope_id.trim().parse::<Uuid>().ok();
        if id.is_none() {
            errors.push(FieldError::new(
                "scope_id",
                "required",
                "대상의 ID를 입력해 주세요",
            ));
        }
        id
    };
    let scope = match (f.scope_kind.as_str(), scope_id) {
        ("campaign", Some(id)) => Some(ScopeInput::Campaign(id)),
        ("vendor", Some(id)) => Some(ScopeInput::Vendor(id)),
        ("category", Some(id)) => Some(ScopeInput::Category(id)),
        ("all", _) => Some(ScopeInput::All),
        _ => None,
    };
    let percent = form::optional_number(errors, "percent", &f.percent);
    let cap = form::optional_number(errors, "cap", &f.cap);
    let amount = form::optional_number(errors, "amount", &f.amount);
    let min_order = form::optional_number::<i64>(errors, "min_order", &f.min_order);
    let starts = parse_kst(errors, "starts_at", &f.starts_at);
    let ends = parse_kst(errors, "ends_at", &f.ends_at);
    let total_uses = form::optional_number(errors, "total_uses", &f.total_uses);
    let per_customer_limit =
        form::optional_number(errors, "per_customer_limit", &f.per_customer_limit);
    let budget = form::optional_number(errors, "budget", &f.budget);
    let share = form::optional_number(errors, "vendor_share_bp", &f.vendor_share_bp);
    let code = Some(f.code.trim().to_owned()).filter(|c| !c.is_empty());
    Some(NewCoupon {
        code,
        name: f.name.clone(),
        kind: kind?,
        percent: percent?,
        cap: cap?,
        amount: amount?,
        min_order: min_order?.unwrap_or(0),
        scope: scope?,
        starts_at: starts?,
        ends_at: ends?,
        total_uses: total_uses?,
        per_customer_limit: per_customer_limit?,
        budget: budget?,
        vendor_share_bp: share?,
    })
    .filter(|_| errors.is_empty())
}

pub async fn create(
    State(state): State<AppState>,
    m: MarketerSession,
    page: PageCtx,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let v = |k: &str| form::value(&pairs, k).to_owned();
    let f = CouponForm {
        code: v("code"),
        name: v("name"),
        kind: v("kind"),
        percent: v("percent"),
        cap: v("cap"),
        amount: v("amount"),
        min_order: v("min_order"),
        scope_kind: v("scope_kind"),
        scope_id: v("scope_id"),
        starts_at: v("starts_at"),
        ends_at: v("ends_at"),
        total_uses: v("total_uses"),
        per_customer_limit: v("per_customer_limit"),
        budget: v("budget"),
        vendor_share_bp: v("vendor_share_bp"),
    };
    let mut errors = FormErrors::default();
    if let Some(new) = parse_coupon(&f, &mut errors) {
        let made = in_txn!(state, |txn| coupons::create(&txn, Actor::user(&m.0), new)
            .await?);
        match made {
            Ok(c) => {
                return Ok(Redirect::to(&format!(
                    "/console/marketer/coupons/{}?done=created",
                    c.id
                ))
                .into_response());
            }
            Err(e) => errors = FormErrors::from_api(e.into())?,
        }
    }
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        NewPage {
            chrome: page.chrome("새 쿠폰"),
            form: f,
            errors,
        },
    )
        .into_response())
}

// ---------------------------------------------------------------- the coupon

pub struct DropRow {
    pub quota: i32,
    pub opens_at: String,
    pub days: String,
    /// (day, claims of the day's quota)
    pub claims: Vec<(String, String)>,
    pub total: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "marketer/coupon.html")]
pub struct CouponPage {
    chrome: Chrome,
    c: Row,
    min_order: String,
    per_customer: String,
    scope: String,
    drops: Vec<DropRow>,
    errors: FormErrors,
    /// `issue`, `drop` or `status`: which form the errors belong to.
    errors_for: String,
    /// What the failed form held, to show again.
    typed: Pairs,
}

impl CouponPage {
    fn typed(&self, name: &str) -> &str {
        form::value(&self.typed, name)
    }
}

async fn coupon_page(
    state: &AppState,
    page: &PageCtx,
    id: Uuid,
    errors: FormErrors,
    errors_for: &str,
    typed: Pairs,
) -> PageResult<CouponPage> {
    let c = api(coupons::get(&state.db, id).await)?;
    let drops = api(promotions::drops::of_coupon(&state.db, id).await)?;
    let scope = match ScopeInput::of(&c) {
        ScopeInput::All => "전체 상품".to_owned(),
        ScopeInput::Campaign(id) => format!("기획전 {id}"),
        ScopeInput::Vendor(id) => format!("판매자 {id}"),
        ScopeInput::Category(id) => format!("분류 {id}"),
    };
    Ok(CouponPage {
        chrome: page.chrome(&c.name),
        min_order: crate::fmt::won(c.min_order),
        per_customer: limit_of(c.per_customer_limit),
        scope,
        drops: drops
            .into_iter()
            .map(|d| DropRow {
                quota: d.drop.daily_quota,
                opens_at: d.drop.opens_at.format("%H:%M").to_string(),
                days: format!("{} ~ {}", d.drop.first_day, d.drop.last_day),
                total: d.days.iter().map(|(_, n)| i64::from(*n)).sum(),
                claims: d
                    .days
                    .iter()
                    .map(|(day, n)| (day.to_string(), format!("{n} / {}", d.drop.daily_quota)))
                    .collect(),
            })
            .collect(),
        c: row(c),
        errors,
        errors_for: errors_for.to_owned(),
        typed,
    })
}

pub async fn show(
    State(state): State<AppState>,
    _m: MarketerSession,
    page: PageCtx,
    Path(id): Path<Uuid>,
) -> PageResult<CouponPage> {
    coupon_page(&state, &page, id, FormErrors::default(), "", Vec::new()).await
}

/// The outcome of one change on the coupon's page: back to it with a notice, or the page
/// with the form's errors.
async fn outcome<T>(
    state: &AppState,
    page: &PageCtx,
    id: Uuid,
    result: Result<T, ApiError>,
    errors_for: &str,
    done: &str,
    typed: Pairs,
) -> PageResult<Response> {
    match result {
        Ok(_) => Ok(
            Redirect::to(&format!("/console/marketer/coupons/{id}?done={done}")).into_response(),
        ),
        Err(e) => {
            let status = e.code.status();
            let errors = FormErrors::from_api(e)?;
            let body = coupon_page(state, page, id, errors, errors_for, typed).await?;
            Ok((status, body).into_response())
        }
    }
}

pub async fn disable(
    State(state): State<AppState>,
    m: MarketerSession,
    page: PageCtx,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let r = in_txn!(state, |txn| coupons::disable(&txn, Actor::user(&m.0), id)
        .await?)
    .map_err(ApiError::from);
    outcome(&state, &page, id, r, "status", "disabled", Vec::new()).await
}

pub async fn issue(
    State(state): State<AppState>,
    m: MarketerSession,
    page: PageCtx,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    // One customer id per line (commas and spaces separate too).
    let raw = form::value(&pairs, "customer_ids");
    let words: Vec<&str> = raw
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let ids: Vec<Uuid> = words.iter().filter_map(|w| w.parse().ok()).collect();
    let r = if ids.len() != words.len() {
        Err(ApiError::validation(vec![FieldError::new(
            "customer_ids",
            "invalid_id",
            "고객 ID(UUID)를 한 줄에 하나씩 입력해 주세요",
        )]))
    } else {
        in_txn!(state, |txn| coupons::issue(
            &txn,
            Actor::user(&m.0),
            id,
            &ids
        )
        .await?)
        .map_err(ApiError::from)
    };
    outcome(&state, &page, id, r, "issue", "issued", pairs).await
}

pub async fn create_drop(
    State(state): State<AppState>,
    m: MarketerSession,
    page: PageCtx,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let mut errors = FormErrors::default();
    let quota = form::number::<i32>(
        &mut errors,
        "daily_quota",
        form::value(&pairs, "daily_quota"),
    );
    let opens_at = NaiveTime::parse_from_str(form::value(&pairs, "opens_at").trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(form::value(&pairs, "opens_at").trim(), "%H:%M:%S"))
        .ok();
    if opens_at.is_none() {
        errors.push(FieldError::new(
            "opens_at",
            "invalid_time",
            "여는 시각을 입력해 주세요 (한국 시간)",
        ));
    }
    let mut day = |field: &str| {
        super::parse_day(field, form::value(&pairs, field))
            .map_err(|e| errors.push(e))
            .ok()
    };
    let first_day = day("first_day");
    let last_day = day("last_day");
    let r = match (quota, opens_at, first_day, last_day) {
        (Some(daily_quota), Some(opens_at), Some(first_day), Some(last_day))
            if errors.is_empty() =>
        {
            let new = NewDrop {
                daily_quota,
                opens_at,
                first_day,
                last_day,
            };
            in_txn!(state, |txn| coupons::create_drop(
                &txn,
                Actor::user(&m.0),
                id,
                new
            )
            .await?)
            .map_err(ApiError::from)
        }
        _ => {
            let body = coupon_page(&state, &page, id, errors, "drop", pairs).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response());
        }
    };
    outcome(&state, &page, id, r, "drop", "created", pairs).await
}
