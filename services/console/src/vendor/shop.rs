//! The vendor's shop: its profile (story, customer-service contacts), its shipping policy
//! and its certifications, through the catalog functions behind `/v1/vendor/profile` and
//! `/v1/vendor/certifications`.

use crate::error::PageResult;
use crate::form::{self, FormErrors, Pairs};
use crate::guard::{Ctx, VendorSession};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::response::{IntoResponse, Redirect, Response};
use catalog::certifications::{self, NewCertification};
use catalog::store::{certification, vendor};
use catalog::vendor_actions;
use catalog::vendors::ProfileUpdate;
use platform::ApiError;
use platform::error::FieldError;

#[derive(Template, WebTemplate)]
#[template(path = "vendor/shop.html")]
pub struct ShopPage {
    chrome: Chrome,
    vendor: vendor::Model,
    /// The profile form as typed (a refused form comes back as it was).
    profile: Pairs,
    certifications: Vec<certification::Model>,
    cert_form: Pairs,
    errors: FormErrors,
    errors_for: &'static str,
}

impl ShopPage {
    fn field(&self, name: &str) -> String {
        let typed = form::value(&self.profile, name);
        if !self.profile.is_empty() {
            return typed.to_owned();
        }
        let v = &self.vendor;
        match name {
            "story" => v.story.clone(),
            "cs_phone" => v.cs_phone.clone(),
            "cs_email" => v.cs_email.clone(),
            "shipping_base_fee" => v.shipping_base_fee.to_string(),
            "shipping_free_threshold" => v
                .shipping_free_threshold
                .map(|t| t.to_string())
                .unwrap_or_default(),
            _ => String::new(),
        }
    }

    fn cert(&self, name: &str) -> &str {
        form::value(&self.cert_form, name)
    }
}

pub fn vendor_status_label(s: &str) -> &'static str {
    match s {
        "pending" => "심사 중",
        "approved" => "판매 중",
        "rejected" => "반려",
        "suspended" => "판매 정지",
        _ => "",
    }
}

async fn shop_page(
    cx: &Ctx<VendorSession>,
    profile: Pairs,
    cert_form: Pairs,
    errors: FormErrors,
    errors_for: &'static str,
) -> PageResult<ShopPage> {
    let vendor = vendor_actions::own_vendor(&cx.state, cx.who.vendor_id)
        .await
        .map_err(ApiError::from)?;
    let certifications = certifications::of_vendor(&cx.state.db, cx.who.vendor_id)
        .await
        .map_err(ApiError::from)?;
    Ok(ShopPage {
        chrome: cx.page.chrome("상점 정보"),
        vendor,
        profile,
        certifications,
        cert_form,
        errors,
        errors_for,
    })
}

pub async fn show(cx: Ctx<VendorSession>) -> PageResult<ShopPage> {
    shop_page(&cx, Vec::new(), Vec::new(), FormErrors::default(), "").await
}

pub async fn update(cx: Ctx<VendorSession>, Form(pairs): Form<Pairs>) -> PageResult<Response> {
    let mut errors = FormErrors::default();
    let base = form::number::<i64>(
        &mut errors,
        "shipping_base_fee",
        form::value(&pairs, "shipping_base_fee"),
    );
    let never_free = form::value(&pairs, "shipping_never_free") == "on";
    let threshold = form::optional_number::<i64>(
        &mut errors,
        "shipping_free_threshold",
        form::value(&pairs, "shipping_free_threshold"),
    );
    let outcome = match (base, threshold) {
        (Some(base), Some(threshold)) => {
            let up = ProfileUpdate {
                story: Some(form::value(&pairs, "story").to_owned()),
                cs_phone: Some(form::value(&pairs, "cs_phone").to_owned()),
                cs_email: Some(form::value(&pairs, "cs_email").to_owned()),
                shipping_base_fee: Some(base),
                // An empty threshold means the shipping is never free.
                shipping_never_free: never_free || threshold.is_none(),
                shipping_free_threshold: threshold,
            };
            vendor_actions::update_profile(&cx.state, cx.who.vendor_id, up)
                .await
                .map_err(ApiError::from)
        }
        _ => Err(ApiError::validation(Vec::new())),
    };
    match outcome {
        Ok(_) => Ok(Redirect::to("/console/vendor/shop?done=saved").into_response()),
        Err(e) => {
            if errors.is_empty() {
                errors = FormErrors::from_api(e)?;
            }
            form::refused(shop_page(&cx, pairs, Vec::new(), errors, "profile").await?)
        }
    }
}

fn date(errors: &mut FormErrors, field: &str, raw: &str) -> Option<chrono::NaiveDate> {
    match raw.parse() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError::new(field, "required", "a date (YYYY-MM-DD)"));
            None
        }
    }
}

pub async fn submit_certification(
    cx: Ctx<VendorSession>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let mut errors = FormErrors::default();
    let issued = date(&mut errors, "issued_on", form::value(&pairs, "issued_on"));
    let expires = date(&mut errors, "expires_on", form::value(&pairs, "expires_on"));
    let checked = match (issued, expires) {
        (Some(issued_on), Some(expires_on)) => Some(NewCertification {
            kind: form::value(&pairs, "kind").to_owned(),
            class: form::value(&pairs, "class").to_owned(),
            number: form::value(&pairs, "number").to_owned(),
            issued_on,
            expires_on,
        }),
        _ => None,
    };
    form::made_or_shown_again(
        checked,
        errors,
        async |c| certifications::submit(&cx.state.db, cx.who.vendor_id, c).await,
        |_| "/console/vendor/shop?done=submitted".to_owned(),
        async |errors| shop_page(&cx, Vec::new(), pairs, errors, "certification").await,
    )
    .await
}
