//! Signing in and out of the console, and what the session cookie looks like.

use jikgu_tests::spawn_app;
use platform::auth::Role;

#[tokio::test]
async fn a_vendor_signs_in_sees_its_home_and_signs_out() {
    let app = spawn_app().await;
    let login = app.vendor_login("강화순무농원").await;
    let mut c = app.console();

    let form = c.get("/console/login").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("로그인"), "{}", form.body);
    assert!(form.csrf().is_some(), "the login form carries a CSRF token");

    let signed_in = c.sign_in(&login).await;
    signed_in.assert_redirect_to("/console/vendor");
    let cookie = signed_in
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("jikgu_console="))
        .expect("a session cookie")
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/console"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP from no trusted proxy: {cookie}"
    );

    let home = c.get("/console/vendor").await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("오늘 할 일"));
    let root = c.get("/console").await;
    root.assert_redirect_to("/console/vendor");

    let out = c.post("/console/logout", &[]).await;
    out.assert_redirect_to("/console/login");
    assert!(!c.has_cookie("jikgu_console"));
    c.get("/console/vendor")
        .await
        .assert_redirect_to("/console/login?next=%2Fconsole%2Fvendor");
}

#[tokio::test]
async fn the_cookie_is_secure_behind_a_trusted_tls_proxy() {
    let app = jikgu_tests::spawn_app_with(jikgu::Service::All, |c| {
        c.trusted_proxies = platform::client_addr::parse_list("127.0.0.1").expect("list");
    })
    .await;
    let resp = reqwest::Client::new()
        .get(format!("http://{}/console/login", app.addr))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .expect("GET");
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn a_wrong_password_is_shown_on_the_form_and_the_api_login_limit_applies() {
    let app = spawn_app().await;
    let login = app.vendor_login("교동쌀").await;
    let mut c = app.console();
    let wrong = c
        .post(
            "/console/login",
            &[("email", &login.email), ("password", "not-the-password")],
        )
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(wrong.body.contains("이메일 또는 비밀번호가 맞지 않습니다"));
    assert!(!c.has_cookie("jikgu_console"));
    // Five attempts per account per window, counted with the API's logins.
    for _ in 0..3 {
        c.post(
            "/console/login",
            &[
                ("email", &login.email),
                ("password", "still-wrong-password"),
            ],
        )
        .await;
    }
    let api = app
        .client
        .post(
            "/v1/auth/login",
            &serde_json::json!({"email": login.email, "password": "wrong-via-the-api"}),
        )
        .await;
    assert_eq!(api.status, 401, "{}", api.body);
    let limited = c
        .post(
            "/console/login",
            &[("email", &login.email), ("password", &login.password)],
        )
        .await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert!(limited.headers.contains_key("retry-after"));
    assert!(limited.body.contains("시도가 너무 많습니다"));
}

#[tokio::test]
async fn a_customer_account_has_no_console() {
    let app = spawn_app().await;
    let customer = app.login_account(Role::Customer).await;
    let mut c = app.console();
    c.get("/console/login").await;
    let page = c
        .post(
            "/console/login",
            &[("email", &customer.email), ("password", &customer.password)],
        )
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
}

#[tokio::test]
async fn a_login_without_its_csrf_token_is_refused() {
    let app = spawn_app().await;
    let login = app.vendor_login("석모도젓갈").await;
    let mut c = app.console();
    c.get("/console/login").await;
    let forged = c
        .post_raw(
            "/console/login",
            &[("email", &login.email), ("password", &login.password)],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(forged.body.contains("보안 확인에 실패했습니다"));
    let wrong = c
        .post_raw(
            "/console/login",
            &[
                ("_csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                ("email", &login.email),
                ("password", &login.password),
            ],
        )
        .await;
    assert_eq!(wrong.status, 403);
    assert!(!c.has_cookie("jikgu_console"));
}

#[tokio::test]
async fn an_expired_access_token_is_renewed_from_the_refresh_token() {
    let app = jikgu_tests::spawn_app_with(jikgu::Service::All, |c| {
        c.access_token_ttl = std::time::Duration::from_secs(0);
    })
    .await;
    let login = app.vendor_login("강화약쑥").await;
    let mut c = app.console();
    c.sign_in(&login).await;
    // Tokens are accepted 5 s past their expiry (clock leeway).
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let home = c.get("/console/vendor").await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(
        home.headers
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().is_ok_and(|s| s.starts_with("jikgu_console="))),
        "the renewed pair is set"
    );
    assert_eq!(c.get("/console/vendor").await.status, 200);
}

#[tokio::test]
async fn static_assets_are_served_from_the_binary_with_long_caching() {
    let app = spawn_app().await;
    let mut c = app.console();
    let page = c.get("/console/login").await;
    for needle in ["/console/assets/htmx-", "/console/assets/console-"] {
        let at = page.body.find(needle).expect("asset link");
        let end = page.body[at..].find('"').expect("end of link");
        let href = &page.body[at..at + end];
        let asset = c.get(href).await;
        assert_eq!(asset.status, 200, "{href}");
        assert!(
            asset.headers["cache-control"]
                .to_str()
                .is_ok_and(|v| v.contains("immutable")),
            "{href}"
        );
    }
    assert_eq!(c.get("/console/assets/nope.js").await.status, 404);
}

/// Sessions are cookies and the login limiter lets requests through without Redis: with
/// Redis unreachable a vendor still signs in and works.
#[tokio::test]
async fn the_console_works_while_redis_is_down() {
    let app = jikgu_tests::spawn_app_without_redis().await;
    let login = app.vendor_login("무레디스상회").await;
    let cat = app.category("kimchi", None, &[]).await.to_string();
    let mut c = app.console();
    c.sign_in(&login).await;
    assert_eq!(c.get("/console/vendor").await.status, 200);
    c.get(&format!("/console/vendor/products/new?category_id={cat}"))
        .await;
    let created = c
        .post(
            "/console/vendor/products/new",
            &[
                ("category_id", cat.as_str()),
                ("title", "레디스 없는 김치"),
                ("variants[0].sku", "R-1"),
                ("variants[0].name", "1kg"),
                ("variants[0].price", "9000"),
                ("variants[0].stock", "3"),
            ],
        )
        .await;
    created.assert_redirect_to("/console/vendor/products/");
    let list = c.get("/console/vendor/products").await;
    assert!(list.body.contains("레디스 없는 김치"), "{}", list.body);
}
