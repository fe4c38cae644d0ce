//! The stacking policy (중복 할인 정책) every quote is made with: how many order and
//! shipping coupons an order may combine, and how coupons, campaign prices and time deals
//! meet. The form is checked by `promotions::stacking::replace`, so its messages beside
//! the fields are the API's 422 field errors.

use crate::error::PageResult;
use crate::form::{self, FormErrors, Pairs};
use crate::guard::{Ctx, MarketerSession};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::response::Response;
use platform::AppState;
use promotions::stacking::{self, PolicyInput};

pub struct PolicyForm {
    pub max_order_coupons: String,
    pub max_shipping_coupons: String,
    pub time_deal_beats_campaign: bool,
    pub order_and_shipping_coupons_combine: bool,
    pub coupons_on_promoted_lines: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "marketer/stacking.html")]
pub struct PolicyPage {
    chrome: Chrome,
    form: PolicyForm,
    updated: String,
    errors: FormErrors,
}

async fn updated_label(state: &AppState) -> PageResult<(Option<PolicyForm>, String)> {
    let row = stacking::row(&state.db).await?;
    Ok(match row {
        Some(r) => (
            Some(PolicyForm {
                max_order_coupons: r.max_order_coupons.to_string(),
                max_shipping_coupons: r.max_shipping_coupons.to_string(),
                time_deal_beats_campaign: r.time_deal_beats_campaign,
                order_and_shipping_coupons_combine: r.order_and_shipping_coupons_combine,
                coupons_on_promoted_lines: r.coupons_on_promoted_lines,
            }),
            crate::fmt::kst_minute(&r.updated_at),
        ),
        None => (None, String::new()),
    })
}

pub async fn show(cx: Ctx<MarketerSession>) -> PageResult<PolicyPage> {
    let (form, updated) = updated_label(&cx.state).await?;
    // Without a stored row the engine's defaults apply; show them.
    let d = promotions::pricing::StackingPolicy::default();
    Ok(PolicyPage {
        chrome: cx.page.chrome("중복 할인 정책"),
        form: form.unwrap_or(PolicyForm {
            max_order_coupons: d.max_order_coupons.to_string(),
            max_shipping_coupons: d.max_shipping_coupons.to_string(),
            time_deal_beats_campaign: d.time_deal_beats_campaign,
            order_and_shipping_coupons_combine: d.order_and_shipping_coupons_combine,
            coupons_on_promoted_lines: d.coupons_on_promoted_lines,
        }),
        updated,
        errors: FormErrors::default(),
    })
}

pub async fn save(cx: Ctx<MarketerSession>, Form(pairs): Form<Pairs>) -> PageResult<Response> {
    // An unchecked box is absent from the form: absent is false.
    let checked = |k: &str| !form::value(&pairs, k).is_empty();
    let f = PolicyForm {
        max_order_coupons: form::value(&pairs, "max_order_coupons").to_owned(),
        max_shipping_coupons: form::value(&pairs, "max_shipping_coupons").to_owned(),
        time_deal_beats_campaign: checked("time_deal_beats_campaign"),
        order_and_shipping_coupons_combine: checked("order_and_shipping_coupons_combine"),
        coupons_on_promoted_lines: checked("coupons_on_promoted_lines"),
    };
    let mut errors = FormErrors::default();
    let order = form::number::<i64>(&mut errors, "max_order_coupons", &f.max_order_coupons);
    let shipping =
        form::number::<i64>(&mut errors, "max_shipping_coupons", &f.max_shipping_coupons);
    let checked = match (order, shipping) {
        (Some(max_order_coupons), Some(max_shipping_coupons)) => Some(PolicyInput {
            max_order_coupons,
            max_shipping_coupons,
            time_deal_beats_campaign: f.time_deal_beats_campaign,
            order_and_shipping_coupons_combine: f.order_and_shipping_coupons_combine,
            coupons_on_promoted_lines: f.coupons_on_promoted_lines,
        }),
        _ => None,
    };
    form::made_or_shown_again(
        checked,
        errors,
        async |input| {
            super::priced_change(&cx.state, async |txn| {
                stacking::replace(txn, cx.actor(), input).await
            })
            .await
        },
        |_| "/console/marketer/stacking?done=saved".to_owned(),
        async |errors| {
            let (_, updated) = updated_label(&cx.state).await?;
            Ok(PolicyPage {
                chrome: cx.page.chrome("중복 할인 정책"),
                form: f,
                updated,
                errors,
            })
        },
    )
    .await
}
