//! Time deals (타임딜): the list with units sold of units on offer (cursor pages) and a new
//! deal on one variant, named by its SKU (상품코드) as vendors and marketers know it.

use super::campaigns::parse_kst;
use crate::cursor::{Cursor, PageQuery};
use crate::error::PageResult;
use crate::form::{self, FormErrors, Pairs};
use crate::guard::{Ctx, MarketerSession};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::Query;
use axum::response::Response;
use platform::AppState;
use platform::error::FieldError;
use promotions::deals::{self, NewTimeDeal};
use uuid::Uuid;

pub struct Row {
    pub product: String,
    pub price: String,
    pub window: String,
    pub sold: String,
    pub per_customer: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "marketer/deals.html")]
pub struct DealsPage {
    chrome: Chrome,
    rows: Vec<Row>,
    next: Option<String>,
    errors: FormErrors,
    typed: form::Sent,
}

async fn deals_page(
    cx: &Ctx<MarketerSession>,
    cursor: Option<String>,
    errors: FormErrors,
    typed: Pairs,
) -> PageResult<DealsPage> {
    let at = Cursor::of(cursor)?;
    // Newest first: the next page holds the ids below the cursor.
    let rows = deals::page(&cx.state.db, at.after, at.fetch()).await?;
    let (rows, next) = at.split(rows, |d| d.id);
    let ids: Vec<Uuid> = rows.iter().map(|d| d.product_id).collect();
    let titles = catalog::listing::product_titles(&cx.state.db, &ids).await?;
    Ok(DealsPage {
        chrome: cx.page.chrome("타임딜"),
        rows: rows
            .into_iter()
            .map(|d| Row {
                product: titles.get(&d.product_id).cloned().unwrap_or_default(),
                price: crate::fmt::won(d.deal_price),
                window: crate::fmt::kst_window(&d.starts_at, &d.ends_at),
                sold: format!("{} / {}", d.sold, d.quantity),
                per_customer: d
                    .per_customer_limit
                    .map_or("제한 없음".into(), |l| l.to_string()),
            })
            .collect(),
        next,
        errors,
        typed: form::Sent(typed),
    })
}

pub async fn list(cx: Ctx<MarketerSession>, Query(q): Query<PageQuery>) -> PageResult<DealsPage> {
    deals_page(&cx, q.cursor, FormErrors::default(), Vec::new()).await
}

/// The one variant with this SKU, or the reason there is none.
async fn variant_of(
    state: &AppState,
    errors: &mut FormErrors,
    sku: &str,
) -> PageResult<Option<Uuid>> {
    let found = catalog::listing::variants_by_sku(&state.db, &[sku.trim().to_owned()]).await?;
    Ok(match found.as_slice() {
        [one] => Some(one.variant_id),
        [] => {
            errors.push(FieldError::new("sku", "not_found", "없는 상품코드입니다"));
            None
        }
        _ => {
            errors.push(FieldError::new(
                "sku",
                "ambiguous_sku",
                "여러 판매자가 쓰는 상품코드입니다",
            ));
            None
        }
    })
}

pub async fn create(cx: Ctx<MarketerSession>, Form(pairs): Form<Pairs>) -> PageResult<Response> {
    let v = |k: &str| form::value(&pairs, k);
    let mut errors = FormErrors::default();
    let variant = variant_of(&cx.state, &mut errors, v("sku")).await?;
    let campaign_id = match v("campaign_id").trim() {
        "" => Some(None),
        raw => raw.parse::<Uuid>().ok().map(Some).or_else(|| {
            errors.push(FieldError::new(
                "campaign_id",
                "invalid_id",
                "기획전 ID(UUID)를 확인해 주세요",
            ));
            None
        }),
    };
    let price = form::number::<i64>(&mut errors, "deal_price", v("deal_price"));
    let starts = parse_kst(&mut errors, "starts_at", v("starts_at"));
    let ends = parse_kst(&mut errors, "ends_at", v("ends_at"));
    let quantity = form::number::<i32>(&mut errors, "quantity", v("quantity"));
    let per_customer =
        form::optional_number::<i32>(&mut errors, "per_customer_limit", v("per_customer_limit"));
    let share = form::optional_number::<i32>(&mut errors, "vendor_share_bp", v("vendor_share_bp"));
    let checked = match (
        variant,
        campaign_id,
        price,
        starts,
        ends,
        quantity,
        per_customer,
        share,
        errors.is_empty(),
    ) {
        (
            Some(variant_id),
            Some(campaign_id),
            Some(deal_price),
            Some(starts_at),
            Some(ends_at),
            Some(quantity),
            Some(per_customer_limit),
            Some(vendor_share_bp),
            true,
        ) => Some(NewTimeDeal {
            variant_id,
            campaign_id,
            deal_price,
            starts_at,
            ends_at,
            quantity,
            per_customer_limit,
            vendor_share_bp,
        }),
        _ => None,
    };
    form::made_or_shown_again(
        checked,
        errors,
        async |new| {
            super::priced_change(&cx.state, async |txn| {
                deals::create(txn, cx.actor(), new).await
            })
            .await
        },
        |_| "/console/marketer/deals?done=created".to_owned(),
        async |errors| deals_page(&cx, None, errors, pairs).await,
    )
    .await
}
