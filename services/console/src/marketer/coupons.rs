//! Coupons as a marketer runs them: the list with their counters (cursor pages), a new
//! coupon (a public code, or none for a coupon only issued), the coupon's page (stop it,
//! issue it to customers) and its daily first-come drops (선착순) with the claims of each
//! day. Every change goes through `promotions::coupons` as the signed-in marketer.

use super::campaigns::parse_kst;
use super::in_txn;
use crate::cursor::{Cursor, PageQuery};
use crate::error::PageResult;
use crate::form::{self, FormErrors, Pairs};
use crate::guard::{Ctx, MarketerSession};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::Response;
use chrono::NaiveTime;
use platform::ApiError;
use platform::AppState;
use platform::error::FieldError;
use promotions::coupons::{self, CouponKindInput, NewCoupon, NewDrop, ScopeInput};
use promotions::store::coupon;
use std::collections::HashMap;
use uuid::Uuid;

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
        window: crate::fmt::kst_window(&c.starts_at, &c.ends_at),
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

pub async fn list(cx: Ctx<MarketerSession>, Query(q): Query<PageQuery>) -> PageResult<ListPage> {
    let at = Cursor::of(q.cursor)?;
    let rows = coupons::list(&cx.state.db, at.after, at.fetch()).await?;
    let (rows, next) = at.split(rows, |c| c.id);
    Ok(ListPage {
        chrome: cx.page.chrome("쿠폰"),
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
    /// `all`, or `campaign:{id}`, `vendor:{id}`, `category:{id}` as the scope select sends it.
    pub scope: String,
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
    scopes: Vec<ScopeGroup>,
    errors: FormErrors,
}

/// One group of the scope select (기획전, 판매자, 분류) with its options `(value, name)`.
pub struct ScopeGroup {
    pub label: &'static str,
    pub options: Vec<(String, String)>,
}

/// What a coupon can be limited to, by name: campaigns that have not ended, approved
/// vendors and every category (as its path, `김치 › 배추김치`). Each list is bounded; a
/// marketer's choice is among the first few hundred, newest first.
async fn scope_groups(state: &AppState) -> Result<Vec<ScopeGroup>, ApiError> {
    let campaigns = promotions::campaigns::page(&state.db, None, None, 300).await?;
    let vendors = catalog::admin_actions::vendors_page(state, Some("approved".into()), None, 500)
        .await
        .map_err(ApiError::from)?;
    let categories = category_names(state).await?;
    Ok(vec![
        ScopeGroup {
            label: "기획전",
            options: campaigns
                .into_iter()
                .filter(|c| c.status != "ended")
                .map(|c| (format!("campaign:{}", c.id), c.title))
                .collect(),
        },
        ScopeGroup {
            label: "판매자",
            options: vendors
                .into_iter()
                .map(|v| (format!("vendor:{}", v.id), v.trade_name))
                .collect(),
        },
        ScopeGroup {
            label: "분류",
            options: categories,
        },
    ])
}

/// Every category as `(category:{id}, its path)`, parents before their children.
async fn category_names(state: &AppState) -> Result<Vec<(String, String)>, ApiError> {
    fn flatten(
        nodes: &[catalog::categories::CategoryNode],
        prefix: &str,
        out: &mut Vec<(String, String)>,
    ) {
        for n in nodes {
            let name = if prefix.is_empty() {
                n.name.clone()
            } else {
                format!("{prefix} › {}", n.name)
            };
            out.push((format!("category:{}", n.id), name.clone()));
            flatten(&n.children, &name, out);
        }
    }
    let tree = catalog::categories::tree(&state.db)
        .await
        .map_err(ApiError::from)?;
    let mut out = Vec::new();
    flatten(&tree, "", &mut out);
    Ok(out)
}

/// The scope select's value as the domain's scope, or the error beside the select.
fn parse_scope(raw: &str) -> Result<ScopeInput, FieldError> {
    let raw = raw.trim();
    let parsed = match raw.split_once(':') {
        _ if raw == "all" || raw.is_empty() => Some(ScopeInput::All),
        Some((kind, id)) => id.parse::<Uuid>().ok().and_then(|id| match kind {
            "campaign" => Some(ScopeInput::Campaign(id)),
            "vendor" => Some(ScopeInput::Vendor(id)),
            "category" => Some(ScopeInput::Category(id)),
            _ => None,
        }),
        None => None,
    };
    parsed.ok_or_else(|| FieldError::new("scope", "required", "적용 대상을 목록에서 골라 주세요"))
}

pub async fn new_form(cx: Ctx<MarketerSession>) -> PageResult<NewPage> {
    Ok(NewPage {
        chrome: cx.page.chrome("새 쿠폰"),
        scopes: scope_groups(&cx.state).await?,
        form: CouponForm {
            kind: "percent".into(),
            scope: "all".into(),
            min_order: "0".into(),
            vendor_share_bp: "0".into(),
            ..CouponForm::default()
        },
        errors: FormErrors::default(),
    })
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
    let scope = parse_scope(&f.scope).map_err(|e| errors.push(e)).ok();
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

pub async fn create(cx: Ctx<MarketerSession>, Form(pairs): Form<Pairs>) -> PageResult<Response> {
    let v = |k: &str| form::value(&pairs, k).to_owned();
    let f = CouponForm {
        code: v("code"),
        name: v("name"),
        kind: v("kind"),
        percent: v("percent"),
        cap: v("cap"),
        amount: v("amount"),
        min_order: v("min_order"),
        scope: v("scope"),
        starts_at: v("starts_at"),
        ends_at: v("ends_at"),
        total_uses: v("total_uses"),
        per_customer_limit: v("per_customer_limit"),
        budget: v("budget"),
        vendor_share_bp: v("vendor_share_bp"),
    };
    let mut errors = FormErrors::default();
    let checked = parse_coupon(&f, &mut errors);
    form::made_or_shown_again(
        checked,
        errors,
        async |new| {
            in_txn(&cx.state, async |txn| {
                coupons::create(txn, cx.actor(), new).await
            })
            .await
        },
        |c| format!("/console/marketer/coupons/{}?done=created", c.id),
        async |errors| {
            Ok(NewPage {
                chrome: cx.page.chrome("새 쿠폰"),
                scopes: scope_groups(&cx.state).await?,
                form: f,
                errors,
            })
        },
    )
    .await
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
    typed: form::Sent,
}

async fn coupon_page(
    cx: &Ctx<MarketerSession>,
    id: Uuid,
    errors: FormErrors,
    errors_for: &str,
    typed: Pairs,
) -> PageResult<CouponPage> {
    let state = &cx.state;
    let c = coupons::get(&state.db, id).await?;
    let drops = promotions::drops::of_coupon(&state.db, id).await?;
    let scope = scope_name(state, ScopeInput::of(&c)).await?;
    Ok(CouponPage {
        chrome: cx.page.chrome(&c.name),
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
        typed: form::Sent(typed),
    })
}

/// What a coupon is limited to, by name (its id only if the target has gone).
async fn scope_name(state: &AppState, scope: ScopeInput) -> Result<String, ApiError> {
    Ok(match scope {
        ScopeInput::All => "전체 상품".to_owned(),
        ScopeInput::Campaign(id) => match promotions::campaigns::get(&state.db, id).await {
            Ok(c) => format!("기획전 · {}", c.title),
            Err(_) => format!("기획전 {id}"),
        },
        ScopeInput::Vendor(id) => match catalog::admin_actions::vendor(state, id).await {
            Ok(v) => format!("판매자 · {}", v.trade_name),
            Err(_) => format!("판매자 {id}"),
        },
        ScopeInput::Category(id) => {
            let value = format!("category:{id}");
            let found = category_names(state)
                .await?
                .into_iter()
                .find(|(v, _)| *v == value)
                .map(|(_, name)| name);
            match found {
                Some(name) => format!("분류 · {name}"),
                None => format!("분류 {id}"),
            }
        }
    })
}

pub async fn show(cx: Ctx<MarketerSession>, Path(id): Path<Uuid>) -> PageResult<CouponPage> {
    coupon_page(&cx, id, FormErrors::default(), "", Vec::new()).await
}

/// The outcome of one change on the coupon's page: back to it with a notice, or the page
/// with the form's errors.
async fn outcome<T>(
    cx: &Ctx<MarketerSession>,
    id: Uuid,
    result: Result<T, ApiError>,
    errors_for: &str,
    done: &str,
    typed: Pairs,
) -> PageResult<Response> {
    form::redirect_or_shown_again(
        result,
        &format!("/console/marketer/coupons/{id}?done={done}"),
        async |errors| coupon_page(cx, id, errors, errors_for, typed).await,
    )
    .await
}

pub async fn disable(cx: Ctx<MarketerSession>, Path(id): Path<Uuid>) -> PageResult<Response> {
    let r = in_txn(&cx.state, async |txn| {
        coupons::disable(txn, cx.actor(), id).await
    })
    .await
    .map_err(ApiError::from);
    outcome(&cx, id, r, "status", "disabled", Vec::new()).await
}

pub async fn issue(
    cx: Ctx<MarketerSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    // One customer e-mail per line (commas and spaces separate too).
    let r = match customers_by_email(&cx.state, form::value(&pairs, "emails")).await? {
        Ok(ids) => in_txn(&cx.state, async |txn| {
            coupons::issue(txn, cx.actor(), id, &ids).await
        })
        .await
        .map_err(ApiError::from),
        Err(e) => Err(ApiError::validation(vec![e])),
    };
    outcome(&cx, id, r, "issue", "issued", pairs).await
}

/// The customer accounts of the typed e-mail addresses, or the error beside the field
/// naming the addresses that are malformed or belong to no customer.
async fn customers_by_email(
    state: &AppState,
    raw: &str,
) -> Result<Result<Vec<Uuid>, FieldError>, ApiError> {
    use platform::accounts::input::Email;
    use platform::accounts::service::{role_of, users_by_emails};
    let words: Vec<&str> = raw
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() || words.len() > 200 {
        return Ok(Err(FieldError::new(
            "emails",
            "invalid_length",
            "고객 이메일을 1~200개, 한 줄에 하나씩 입력해 주세요",
        )));
    }
    let parsed: Vec<Option<Email>> = words
        .iter()
        .map(|w| Email::parse(w, "emails").ok())
        .collect();
    let valid: Vec<Email> = parsed.iter().flatten().cloned().collect();
    let customers: HashMap<String, Uuid> = users_by_emails(&state.db, &valid)
        .await?
        .into_iter()
        .filter(|u| role_of(u) == platform::auth::Role::Customer)
        .map(|u| (u.email, u.id))
        .collect();
    let mut ids = Vec::new();
    let mut unknown = Vec::new();
    for (w, e) in words.iter().zip(&parsed) {
        match e.as_ref().and_then(|e| customers.get(e.as_str())) {
            Some(id) => ids.push(*id),
            None => unknown.push(*w),
        }
    }
    if !unknown.is_empty() {
        return Ok(Err(FieldError::new(
            "emails",
            "unknown_customer",
            format!("이 이메일의 고객이 없습니다: {}", unknown.join(", ")),
        )));
    }
    Ok(Ok(ids))
}

pub async fn create_drop(
    cx: Ctx<MarketerSession>,
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
            in_txn(&cx.state, async |txn| {
                coupons::create_drop(txn, cx.actor(), id, new).await
            })
            .await
            .map_err(ApiError::from)
        }
        _ => return form::refused(coupon_page(&cx, id, errors, "drop", pairs).await?),
    };
    outcome(&cx, id, r, "drop", "created", pairs).await
}
