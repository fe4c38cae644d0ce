//! A marketer's and an admin's work in a real browser (headless Chromium). A failing test
//! leaves a screenshot (path printed). With CONSOLE_SCREENSHOTS set, each role's first
//! page is saved into docs/screenshots/ for the README.

use jikgu_tests::browser::Browser;
use jikgu_tests::{TestApp, spawn_app};
use platform::auth::Role;

async fn browser(app: &TestApp) -> Option<Browser> {
    Browser::start(&format!("http://{}", app.addr)).await
}

async fn keep_screenshot(b: &Browser, name: &str) {
    if std::env::var_os("CONSOLE_SCREENSHOTS").is_some() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
        b.screenshot(&dir.join(name)).await;
    }
}

/// `datetime-local` inputs take typed text differently per locale: set the value.
async fn set_value(b: &Browser, css: &str, value: &str) {
    let e = b.find(css).await;
    b.driver
        .execute(
            "arguments[0].value = arguments[1];",
            vec![
                serde_json::to_value(&e).expect("element"),
                serde_json::Value::String(value.to_owned()),
            ],
        )
        .await
        .expect("set value");
}

#[tokio::test]
async fn a_marketer_creates_schedules_and_previews_a_campaign_at_its_start() {
    let app = spawn_app().await;
    let Some(b) = browser(&app).await else {
        return;
    };
    let marketer = app.login_account(Role::Marketer).await;
    let vendor = app.vendor_login("강화순무농원").await;
    let cat = app.category("kimchi", None, &[]).await;
    let (product, _) = app
        .vendor_product(&vendor, cat, "강화순무김치 1kg", "SUNMU-1KG", 20000, 20)
        .await;
    b.run("marketer_campaign", || async {
        b.sign_in(&marketer.email, &marketer.password).await;
        b.find("#new-campaign").await;
        assert_eq!(b.path().await, "/console/marketer");
        b.click("#new-campaign").await;
        b.fill("#f-title", "설 선물 기획전").await;
        b.fill("#f-slug", "seol-2027").await;
        set_value(&b, "#f-starts_at", "2027-01-20T10:00").await;
        set_value(&b, "#f-ends_at", "2027-02-05T23:59").await;
        b.click("#save-campaign").await;
        b.wait_for_text("만들었습니다").await;

        // A section with the product, and the product's campaign price.
        b.fill("#section-form #f-title", "설 선물").await;
        b.click(&format!("#f-product_ids option[value='{product}']"))
            .await;
        b.click("#add-section").await;
        b.wait_for_text("저장했습니다").await;
        assert!(b.main_text().await.contains("강화순무김치 1kg"));
        b.click(&format!("#f-product_id option[value='{product}']"))
            .await;
        b.click("#f-kind option[value='fixed_price']").await;
        b.fill("#price-form #f-value", "15000").await;
        b.click("#add-price").await;
        b.wait_for_text("저장했습니다").await;

        // Scheduled: it goes live by itself at the start.
        b.click("#schedule").await;
        b.wait_for_text_of("#campaign-status", "예약됨").await;

        // The storefront at the start instant shows the campaign price.
        b.click("#preview-start").await;
        b.find("#preview-at").await;
        let text = b.main_text().await;
        assert!(text.contains("2027-01-20 10:00"), "{text}");
        assert!(text.contains("진행 중"), "{text}");
        let row = b
            .find(".preview-product")
            .await
            .text()
            .await
            .unwrap_or_default();
        assert!(row.contains("강화순무김치 1kg"), "{row}");
        assert!(row.contains("15,000원"), "the campaign price: {row}");
        assert!(row.contains("20,000원"), "the list price: {row}");
        b.open("/console/marketer").await;
        b.find("#new-campaign").await;
        keep_screenshot(&b, "console-marketer-home.png").await;
    })
    .await;
    b.quit().await;
}

#[tokio::test]
async fn an_admin_approves_a_pending_vendor() {
    let app = spawn_app().await;
    let Some(b) = browser(&app).await else {
        return;
    };
    let admin = app.login_account(Role::Admin).await;
    let applicant = app.login_account(Role::Customer).await;
    let pending = catalog::vendors::apply(
        &app.state.db,
        applicant.user_id,
        jikgu_tests::fixtures::application("교동도 쌀방앗간", "23009"),
    )
    .await
    .expect("apply");
    b.run("admin_approves", || async {
        b.sign_in(&admin.email, &admin.password).await;
        b.find("table").await;
        assert_eq!(b.path().await, "/console/admin");
        keep_screenshot(&b, "console-admin-home.png").await;
        b.click(&format!("a[href='/console/admin/vendors/{}']", pending.id))
            .await;
        assert!(b.main_text().await.contains(&pending.business_number));
        b.click("#approve").await;
        b.wait_for_text_of("#vendor-status", "승인").await;
        assert!(b.main_text().await.contains("입점을 승인했습니다"));
    })
    .await;
    b.quit().await;
    let v = catalog::admin_actions::vendor(&app.state, pending.id)
        .await
        .expect("vendor");
    assert_eq!(v.status, "approved");
}
