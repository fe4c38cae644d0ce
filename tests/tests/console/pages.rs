//! Every console page: the right role gets it, nobody else does, and no POST passes
//! without its CSRF token.

use jikgu_tests::console::Login;
use jikgu_tests::spawn_app;
use platform::auth::Role;
use sea_orm::EntityTrait;

/// Every vendor page that a GET opens (`{product}` is the vendor's own product).
const VENDOR_PAGES: &[&str] = &[
    "/console/vendor",
    "/console/vendor/products",
    "/console/vendor/products?status=draft",
    "/console/vendor/products/new",
    "/console/vendor/products/{product}",
    "/console/vendor/orders",
    "/console/vendor/orders?status=all",
    "/console/vendor/returns",
    "/console/vendor/returns?status=all",
    "/console/vendor/products/import",
    "/console/vendor/campaigns",
    "/console/vendor/settlements",
    "/console/vendor/shop",
];

/// Every vendor form target (ids do not matter: the token is checked before anything).
const VENDOR_POSTS: &[&str] = &[
    "/console/logout",
    "/console/vendor/products/new",
    "/console/vendor/products/{product}",
    "/console/vendor/products/{product}/publish",
    "/console/vendor/products/{product}/archive",
    "/console/vendor/products/{product}/variants",
    "/console/vendor/variants/{variant}",
    "/console/vendor/variants/{variant}/stock",
    "/console/vendor/variants/{variant}/stock-adjustment",
    "/console/vendor/orders/ship",
    "/console/vendor/orders/{variant}/deliver",
    "/console/vendor/returns/{variant}/accept",
    "/console/vendor/products/import",
    "/console/vendor/campaigns/applications",
    "/console/vendor/shop",
    "/console/vendor/shop/certifications",
];

async fn own_product(app: &jikgu_tests::TestApp, login: &Login) -> (String, String) {
    let cat = app.category("kimchi", None, &[]).await;
    let (p, v) = app
        .vendor_product(login, cat, "강화순무김치 1kg", "SUNMU-1KG", 12900, 20)
        .await;
    (p.to_string(), v.to_string())
}

fn fill(path: &str, ids: &(String, String)) -> String {
    path.replace("{product}", &ids.0)
        .replace("{variant}", &ids.1)
}

#[tokio::test]
async fn vendor_pages_open_for_a_vendor_only() {
    let app = spawn_app().await;
    let vendor = app.vendor_login("강화순무농원").await;
    let marketer = app.login_account(Role::Marketer).await;
    let mut anonymous = app.console();
    let mut v = app.console();
    v.sign_in(&vendor).await;
    let mut m = app.console();
    m.sign_in(&marketer).await;
    let ids = own_product(&app, &vendor).await;
    for path in VENDOR_PAGES {
        let path = &fill(path, &ids);
        let page = v.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.body.contains("<html lang=\"ko\">"), "{path}");
        page.assert_post_forms_carry_the_token(path);
        anonymous
            .get(path)
            .await
            .assert_redirect_to("/console/login?next=");
        assert_eq!(m.get(path).await.status, 403, "{path} for a marketer");
    }
}

#[tokio::test]
async fn every_vendor_post_needs_its_csrf_token() {
    let app = spawn_app().await;
    let vendor = app.vendor_login("강화순무농원").await;
    let mut v = app.console();
    v.sign_in(&vendor).await;
    let ids = own_product(&app, &vendor).await;
    for path in VENDOR_POSTS {
        let path = &fill(path, &ids);
        let page = v.post_raw(path, &[]).await;
        assert_eq!(page.status, 403, "{path}: {}", page.body);
        let header_only = v.post_raw(path, &[("_csrf", "forged")]).await;
        assert_eq!(header_only.status, 403, "{path}");
    }
    // The session survived the refusals.
    assert_eq!(v.get("/console/vendor").await.status, 200);
}

#[tokio::test]
async fn another_vendors_product_and_variant_are_not_found() {
    let app = spawn_app().await;
    let mine = app.vendor_login("강화순무농원").await;
    let theirs = app.vendor_login("교동쌀").await;
    let ids = own_product(&app, &theirs).await;
    let mut v = app.console();
    v.sign_in(&mine).await;
    let page = v.get(&format!("/console/vendor/products/{}", ids.0)).await;
    assert_eq!(page.status, 404);
    assert!(!page.body.contains("강화순무김치"));
    for path in [
        "/console/vendor/products/{product}",
        "/console/vendor/products/{product}/publish",
        "/console/vendor/products/{product}/archive",
        "/console/vendor/variants/{variant}/stock-adjustment",
    ] {
        let page = v.post(&fill(path, &ids), &[("delta", "5")]).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
    }
    let stock = v
        .post(
            &fill("/console/vendor/variants/{variant}/stock", &ids),
            &[("expected_on_hand", "20"), ("on_hand", "0")],
        )
        .await;
    assert_eq!(stock.status, 404);
    // Their stock is untouched.
    let vid: uuid::Uuid = ids.1.parse().expect("uuid");
    let theirs_now = catalog::store::variant::Entity::find_by_id(vid)
        .one(&app.state.db)
        .await
        .expect("read")
        .expect("variant");
    assert_eq!(theirs_now.on_hand, 20);
}

#[tokio::test]
async fn a_refused_product_form_shows_the_domain_errors_beside_the_fields() {
    let app = spawn_app().await;
    let vendor = app.vendor_login("강화순무농원").await;
    let cat = app.category("kimchi", None, &["원산지"]).await;
    let mut v = app.console();
    v.sign_in(&vendor).await;
    v.get(&format!("/console/vendor/products/new?category_id={cat}"))
        .await;
    let cat = cat.to_string();
    let page = v
        .post(
            "/console/vendor/products/new",
            &[
                ("category_id", cat.as_str()),
                ("title", ""),
                ("variants[0].sku", "has space"),
                ("variants[0].name", "1kg"),
                ("variants[0].price", "12900"),
                ("variants[0].compare_at_price", "100"),
                ("variants[0].stock", "5"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    for field in ["title", "variants[0].sku", "variants[0].compare_at_price"] {
        assert!(
            page.body.contains(&format!("id=\"e-{field}\"")),
            "{field} has its error beside it"
        );
    }
    // The typed values come back.
    assert!(page.body.contains("value=\"has space\""));
    let not_a_number = v
        .post(
            "/console/vendor/products/new",
            &[
                ("category_id", cat.as_str()),
                ("title", "순무"),
                ("variants[0].sku", "S1"),
                ("variants[0].name", "1kg"),
                ("variants[0].price", "만원"),
                ("variants[0].stock", "5"),
            ],
        )
        .await;
    assert_eq!(not_a_number.status, 422);
    assert!(not_a_number.body.contains("id=\"e-variants[0].price\""));
}

#[tokio::test]
async fn a_csv_import_reports_every_row() {
    let app = spawn_app().await;
    let vendor = app.vendor_login("강화순무농원").await;
    app.category("kimchi", None, &[]).await;
    let mut v = app.console();
    v.sign_in(&vendor).await;
    let form = v.get("/console/vendor/products/import").await;
    let token = form.csrf().expect("token");
    let csv = "product_key,title,category,sku,variant_name,price,stock\n\
               k1,순무김치,kimchi,K1-1KG,1kg,12900,10\n\
               k2,나쁜 줄,kimchi,K2 BAD,1kg,0,10\n";
    let multipart = |token: &str| {
        reqwest::multipart::Form::new()
            .text("_csrf", token.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
                    .file_name("products.csv")
                    .mime_str("text/csv")
                    .expect("mime"),
            )
    };
    let started = v
        .post_multipart("/console/vendor/products/import", multipart(&token))
        .await;
    // The upload does not wait for the import: it answers with where its progress is.
    started.assert_redirect_to("/console/vendor/products/import?job=");
    let job = started.location.expect("location");
    // Another vendor cannot look at it.
    let mut other = app.console();
    other.sign_in(&app.vendor_login("교동쌀").await).await;
    assert_eq!(other.get(&job).await.status, 404);
    // The page shows progress until the report replaces it (what the vendor sees, not
    // a fixed wait).
    let mut page = v.get(&job).await;
    for _ in 0..600 {
        assert_eq!(page.status, 200, "{}", page.body);
        if !page.body.contains("id=\"import-progress\"") {
            break;
        }
        assert!(page.body.contains("가져오는 중"), "{}", page.body);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        page = v.get(&job).await;
    }
    assert!(
        page.body.contains("상품 1개를 만들었습니다"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("1개는 잘못된 줄이 있어"),
        "{}",
        page.body
    );
    let refused = v
        .post_multipart("/console/vendor/products/import", multipart("forged"))
        .await;
    assert_eq!(refused.status, 403);
}

#[tokio::test]
async fn the_shop_profile_and_shipping_policy_are_saved_with_the_apis_validation() {
    let app = spawn_app().await;
    let vendor = app.vendor_login("강화순무농원").await;
    let mut v = app.console();
    v.sign_in(&vendor).await;
    v.get("/console/vendor/shop").await;
    let bad = v
        .post(
            "/console/vendor/shop",
            &[
                ("story", "3대째"),
                ("cs_phone", "032-930-0000"),
                ("cs_email", "cs@example.kr"),
                ("shipping_base_fee", "-1"),
                ("shipping_free_threshold", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body.contains("id=\"e-shipping_base_fee\""),
        "{}",
        bad.body
    );
    let ok = v
        .post(
            "/console/vendor/shop",
            &[
                ("story", "강화에서 3대째"),
                ("cs_phone", "032-930-0000"),
                ("cs_email", "cs@example.kr"),
                ("shipping_base_fee", "3,500"),
                ("shipping_free_threshold", "50000"),
            ],
        )
        .await;
    ok.assert_redirect_to("/console/vendor/shop?done=saved");
    let profile = app
        .client
        .get(&format!(
            "/v1/vendors/{}",
            vendor.vendor_id.expect("vendor")
        ))
        .await;
    assert!(profile.body.contains("강화에서 3대째"), "{}", profile.body);
    assert!(profile.body.contains("3500"), "{}", profile.body);
}

#[tokio::test]
async fn another_vendors_statement_is_not_found() {
    let app = spawn_app().await;
    let vendor = app.vendor_login("강화순무농원").await;
    let mut v = app.console();
    v.sign_in(&vendor).await;
    let page = v
        .get(&format!(
            "/console/vendor/settlements/statements/{}/download",
            uuid::Uuid::now_v7()
        ))
        .await;
    assert_eq!(page.status, 404);
}
