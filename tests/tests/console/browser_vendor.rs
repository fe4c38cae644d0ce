//! A vendor's work in a real browser (headless Chromium): each test signs in through the
//! login form and does what a vendor does on a phone, then checks the outcome where a
//! customer would see it. A failing test leaves a screenshot (path printed).

use jikgu_tests::browser::Browser;
use jikgu_tests::{TestApp, spawn_app};

async fn browser(app: &TestApp) -> Option<Browser> {
    Browser::start(&format!("http://{}", app.addr)).await
}

#[tokio::test]
async fn a_vendor_signs_in_in_the_browser_and_sees_today() {
    let app = spawn_app().await;
    let Some(b) = browser(&app).await else {
        return;
    };
    let login = app.vendor_login("강화순무농원").await;
    let cat = app.category("kimchi", None, &[]).await;
    let (_, variant) = app
        .vendor_product(&login, cat, "강화순무김치 1kg", "SUNMU-1KG", 12900, 20)
        .await;
    app.paid_order(variant, 1).await;
    b.run("vendor_signs_in", || async {
        b.sign_in(&login.email, &login.password).await;
        b.find("#stat-to-ship").await;
        assert_eq!(b.path().await, "/console/vendor");
        let text = b.main_text().await;
        assert!(text.contains("오늘 할 일"), "{text}");
        assert!(
            text.contains("강화순무김치 1kg"),
            "the order to ship is listed: {text}"
        );
        // `CONSOLE_SCREENSHOTS=1` refreshes the README's pictures of this page.
        if std::env::var_os("CONSOLE_SCREENSHOTS").is_some() {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
            b.screenshot(&dir.join("console-vendor-home.png")).await;
            b.resize(390, 844).await;
            b.screenshot(&dir.join("console-vendor-home-phone.png"))
                .await;
        }
    })
    .await;
    b.quit().await;
}

#[tokio::test]
async fn a_vendor_creates_a_product_with_its_notice_fields_publishes_it_and_it_is_on_sale() {
    let app = spawn_app().await;
    let Some(b) = browser(&app).await else {
        return;
    };
    let login = app.vendor_login("강화순무농원").await;
    let cat = app.category("kimchi", None, &["원산지", "제조일자"]).await;
    b.run("vendor_creates_product", || async {
        b.sign_in(&login.email, &login.password).await;
        b.click("nav a[href='/console/vendor/products']").await;
        b.click("#new-product").await;
        b.click(&format!("#c-category_id option[value='{cat}']"))
            .await;
        b.click("#choose-category button").await;
        // The category's notice fields are now on the form.
        b.find("[name='notice.원산지']").await;
        b.fill("#f-title", "강화순무 물김치 2kg").await;
        b.fill("[name='notice.원산지']", "국내산 (강화)").await;
        b.fill("[name='variants[0].sku']", "MULKIMCHI-2KG").await;
        b.fill("[name='variants[0].name']", "2kg").await;
        b.fill("[name='variants[0].price']", "18,900").await;
        b.fill("[name='variants[0].stock']", "30").await;
        b.click("#save-product").await;
        b.find("#publish").await;
        b.wait_for_text("만들었습니다").await;

        // 제조일자 is missing: publishing is refused and the field says so.
        b.click("#publish").await;
        let err = b.find("#e-notice\\.제조일자").await;
        assert!(
            err.text()
                .await
                .unwrap_or_default()
                .contains("꼭 입력해야 합니다"),
            "the error is beside the field"
        );
        b.fill("[name='notice.제조일자']", "주문 후 제조").await;
        b.click("#save-product").await;
        b.wait_for_text("저장했습니다").await;
        b.click("#publish").await;
        b.wait_for_text_of("#product-status", "판매 중").await;
    })
    .await;
    b.quit().await;

    app.settle().await;
    let listed = app.client.get("/v1/products?limit=50").await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let found = listed.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["title"] == "강화순무 물김치 2kg")
        .unwrap_or_else(|| panic!("the product is on sale: {}", listed.body));
    assert_eq!(found["price"], 18900, "{found}");
}

#[tokio::test]
async fn setting_stock_that_another_session_changed_meanwhile_shows_the_conflict() {
    let app = spawn_app().await;
    let Some(a) = browser(&app).await else {
        return;
    };
    let Some(other) = browser(&app).await else {
        return;
    };
    let login = app.vendor_login("강화순무농원").await;
    let cat = app.category("kimchi", None, &[]).await;
    let (product, _) = app
        .vendor_product(&login, cat, "순무 깍두기", "KKAK-1", 9900, 10)
        .await;
    let page = format!("/console/vendor/products/{product}");
    a.run("stock_conflict", || async {
        a.sign_in(&login.email, &login.password).await;
        a.open(&page).await;
        a.wait_for_text_of("#on-hand-KKAK-1", "10").await;

        other.sign_in(&login.email, &login.password).await;
        other.open(&page).await;
        other.fill(".set-stock-input", "7").await;
        other.click(".set-stock").await;
        other.wait_for_text_of("#on-hand-KKAK-1", "7").await;

        // The first page still says 10: its change is refused, not applied over 7.
        a.fill(".set-stock-input", "12").await;
        a.click(".set-stock").await;
        a.wait_for_text("그 사이 다른 곳에서 재고가 바뀌었습니다")
            .await;
        a.wait_for_text_of("#on-hand-KKAK-1", "7").await;
        // Against the current number it goes through.
        a.fill(".set-stock-input", "12").await;
        a.click(".set-stock").await;
        a.wait_for_text_of("#on-hand-KKAK-1", "12").await;
    })
    .await;
    a.quit().await;
    other.quit().await;
}

#[tokio::test]
async fn a_vendor_ships_an_order_with_a_tracking_number() {
    let app = spawn_app().await;
    let Some(b) = browser(&app).await else {
        return;
    };
    let login = app.vendor_login("강화순무농원").await;
    let cat = app.category("kimchi", None, &[]).await;
    let (_, variant) = app
        .vendor_product(&login, cat, "강화순무김치 1kg", "SUNMU-1KG", 12900, 20)
        .await;
    let number = app.paid_order(variant, 2).await;
    b.run("vendor_ships", || async {
        b.sign_in(&login.email, &login.password).await;
        b.click("nav a[href='/console/vendor/orders']").await;
        b.wait_for_text(&number).await;
        // Without a tracking number it is refused beside the field.
        b.click(".ship-one").await;
        b.find("[id^='e-tracking.']").await;
        b.fill("[id^='tracking-']", "6543210987").await;
        b.click(".ship-one").await;
        b.wait_for_text("발송 처리했습니다").await;
    })
    .await;
    b.quit().await;
    let vendor_id = login.vendor_id.expect("vendor");
    let shipped = orders::views::vendor_orders(&app.state.db, vendor_id, None, None, 10)
        .await
        .expect("orders");
    assert_eq!(shipped[0].status.to_string(), "shipped");
    assert_eq!(shipped[0].tracking_number.as_deref(), Some("6543210987"));
    assert_eq!(shipped[0].courier.as_deref(), Some("CJ대한통운"));
}

#[tokio::test]
async fn a_vendor_cannot_open_another_vendors_product_by_url() {
    let app = spawn_app().await;
    let Some(b) = browser(&app).await else {
        return;
    };
    let mine = app.vendor_login("강화순무농원").await;
    let theirs = app.vendor_login("교동쌀").await;
    let cat = app.category("kimchi", None, &[]).await;
    let (their_product, _) = app
        .vendor_product(&theirs, cat, "교동 쌀 10kg", "RICE-10", 39000, 5)
        .await;
    b.run("other_vendors_product", || async {
        b.sign_in(&mine.email, &mine.password).await;
        b.open(&format!("/console/vendor/products/{their_product}"))
            .await;
        let text = b.main_text().await;
        assert!(text.contains("찾을 수 없습니다"), "{text}");
        assert!(!text.contains("교동 쌀 10kg"), "{text}");
    })
    .await;
    b.quit().await;
}
