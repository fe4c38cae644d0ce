//! An admin's work on vendors in a real browser (headless Chromium): suspending a vendor
//! takes its products off the storefront, reinstating brings them back. A failing test
//! leaves a screenshot (path printed).

use jikgu_tests::browser::Browser;
use jikgu_tests::{TestApp, spawn_app};
use platform::auth::Role;
use uuid::Uuid;

/// Whether `GET /v1/products` lists `product`.
async fn on_storefront(app: &TestApp, product: Uuid) -> bool {
    app.settle().await;
    let listed = app.client.get("/v1/products?limit=50").await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    listed.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|p| p["id"] == product.to_string())
}

#[tokio::test]
async fn an_admin_suspends_a_vendor_and_its_products_leave_the_storefront() {
    let app = spawn_app().await;
    let Some(b) = Browser::start(&format!("http://{}", app.addr)).await else {
        return;
    };
    let admin = app.login_account(Role::Admin).await;
    let vendor = app.vendor_login("강화순무농원").await;
    let vendor_id = vendor.vendor_id.expect("vendor");
    let cat = app.category("kimchi", None, &[]).await;
    let (product, _) = app
        .vendor_product(&vendor, cat, "강화순무김치 1kg", "SUNMU-1KG", 20000, 20)
        .await;
    assert!(on_storefront(&app, product).await, "on sale before");
    b.run("admin_suspends", || async {
        b.sign_in(&admin.email, &admin.password).await;
        // Approved vendors, then the vendor's page.
        b.open("/console/admin?status=approved").await;
        b.click(&format!("a[href='/console/admin/vendors/{vendor_id}']"))
            .await;
        b.find("#suspend-form").await;
        // Without a reason it is refused beside the field.
        b.click("#suspend").await;
        b.find("#e-reason").await;
        b.fill("#suspend-form #f-reason", "원산지 허위 표시 조사 중")
            .await;
        b.click("#suspend").await;
        b.wait_for_text_of("#vendor-status", "정지").await;
        assert!(
            b.main_text()
                .await
                .contains("상품이 판매 화면에서 내려갔습니다")
        );
    })
    .await;
    assert!(
        !on_storefront(&app, product).await,
        "a suspended vendor's product is not sold"
    );
    b.run("admin_reinstates", || async {
        b.click("#reinstate").await;
        b.wait_for_text_of("#vendor-status", "승인").await;
    })
    .await;
    b.quit().await;
    assert!(on_storefront(&app, product).await, "back on sale");
}
