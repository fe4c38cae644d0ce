use futures::future::join_all;
use jikgu_tests::{spawn_app, spawn_app_with};
use platform::auth::Role;
use serde_json::{Value, json};

async fn signup(app: &jikgu_tests::TestApp, email: &str) -> Value {
    let r = app
        .client
        .post(
            "/v1/auth/signup",
            &json!({"email": email, "password": "강화순무김치-맛있다", "display_name": "김인천"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json
}

#[tokio::test]
async fn signup_login_and_me() {
    let app = spawn_app().await;
    let created = signup(&app, "Kim@Incheon.kr").await;
    assert_eq!(created["account"]["email"], "kim@incheon.kr");
    assert_eq!(created["account"]["role"], "customer");
    assert_eq!(created["token_type"], "Bearer");

    let r = app
        .client
        .post(
            "/v1/auth/login",
            &json!({"email": "kim@incheon.kr", "password": "강화순무김치-맛있다"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.json["access_token"].as_str().expect("access token");
    let me = app.client.with_token(token).get("/v1/me").await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json["email"], "kim@incheon.kr");
    assert_eq!(me.json["display_name"], "김인천");
    assert!(me.json.get("password_hash").is_none());
}

#[tokio::test]
async fn me_needs_a_valid_token() {
    let app = spawn_app().await;
    app.client
        .get("/v1/me")
        .await
        .assert_problem(401, "unauthenticated");
    app.client
        .with_token("not.a.jwt")
        .get("/v1/me")
        .await
        .assert_problem(401, "invalid_token");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_401() {
    let app = spawn_app().await;
    signup(&app, "lee@incheon.kr").await;
    let wrong = app
        .client
        .post(
            "/v1/auth/login",
            &json!({"email": "lee@incheon.kr", "password": "wrong-password"}),
        )
        .await;
    wrong.assert_problem(401, "invalid_credentials");
    let unknown = app
        .client
        .post(
            "/v1/auth/login",
            &json!({"email": "nobody@incheon.kr", "password": "wrong-password"}),
        )
        .await;
    unknown.assert_problem(401, "invalid_credentials");
    assert_eq!(wrong.json["detail"], unknown.json["detail"]);
}

#[tokio::test]
async fn signup_validates_fields_and_refuses_a_taken_email() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(
            "/v1/auth/signup",
            &json!({"email": "not-an-email", "password": "short", "display_name": ""}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = r.json["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["email", "password", "display_name"]);

    signup(&app, "park@incheon.kr").await;
    let again = app
        .client
        .post(
            "/v1/auth/signup",
            &json!({"email": "PARK@incheon.kr", "password": "another-long-one", "display_name": "박"}),
        )
        .await;
    again.assert_problem(409, "email_taken");
}

#[tokio::test]
async fn a_burst_of_failed_logins_is_rate_limited() {
    let app = spawn_app_with(jikgu::Service::All, |cfg| cfg.login_max_failures = 3).await;
    signup(&app, "choi@incheon.kr").await;
    let bad = json!({"email": "choi@incheon.kr", "password": "guess-guess-guess"});
    for _ in 0..3 {
        app.client
            .post("/v1/auth/login", &bad)
            .await
            .assert_problem(401, "invalid_credentials");
    }
    let limited = app.client.post("/v1/auth/login", &bad).await;
    limited.assert_problem(429, "rate_limited");
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry > 0 && retry <= 900, "retry-after {retry}");
    // Even the right password waits out the window: the limit protects the account.
    let good = json!({"email": "choi@incheon.kr", "password": "강화순무김치-맛있다"});
    app.client
        .post("/v1/auth/login", &good)
        .await
        .assert_problem(429, "rate_limited");
}

#[tokio::test]
async fn failures_spread_over_accounts_are_limited_per_address() {
    let app = spawn_app_with(jikgu::Service::All, |cfg| cfg.login_max_failures = 2).await;
    // 2 × 4 = 8 failures per address, each account below its own limit of 2.
    for i in 0..8 {
        let r = app
            .client
            .post(
                "/v1/auth/login",
                &json!({"email": format!("u{i}@incheon.kr"), "password": "nope-nope-nope"}),
            )
            .await;
        r.assert_problem(401, "invalid_credentials");
    }
    let r = app
        .client
        .post(
            "/v1/auth/login",
            &json!({"email": "fresh@incheon.kr", "password": "nope-nope-nope"}),
        )
        .await;
    r.assert_problem(429, "rate_limited");
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_replay_revokes_the_family() {
    let app = spawn_app().await;
    let first = signup(&app, "jung@incheon.kr").await;
    let r1 = first["refresh_token"].as_str().expect("refresh").to_owned();

    let second = app
        .client
        .post("/v1/auth/refresh", &json!({"refresh_token": r1}))
        .await;
    assert_eq!(second.status, 200, "{}", second.body);
    let r2 = second.json["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    assert_ne!(r1, r2);
    let access = second.json["access_token"].as_str().expect("access");
    assert_eq!(
        app.client.with_token(access).get("/v1/me").await.status,
        200
    );

    // The spent token comes back: refused, and the whole family goes with it.
    app.client
        .post("/v1/auth/refresh", &json!({"refresh_token": r1}))
        .await
        .assert_problem(401, "refresh_token_reused");
    app.client
        .post("/v1/auth/refresh", &json!({"refresh_token": r2}))
        .await
        .assert_problem(401, "refresh_token_invalid");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let s = signup(&app, "han@incheon.kr").await;
    let token = s["refresh_token"].as_str().expect("refresh");
    let r = app
        .client
        .post("/v1/auth/logout", &json!({"refresh_token": token}))
        .await;
    assert_eq!(r.status, 204);
    app.client
        .post("/v1/auth/refresh", &json!({"refresh_token": token}))
        .await
        .assert_problem(401, "refresh_token_invalid");
    // Logging out twice is fine.
    assert_eq!(
        app.client
            .post("/v1/auth/logout", &json!({"refresh_token": token}))
            .await
            .status,
        204
    );
}

/// Twenty clients race to refresh one token: exactly one gets a new pair, and since the
/// rest are replays, the family ends revoked.
#[tokio::test]
async fn concurrent_refreshes_of_one_token_succeed_once() {
    let app = spawn_app().await;
    let s = signup(&app, "yoon@incheon.kr").await;
    let token = s["refresh_token"].as_str().expect("refresh").to_owned();
    let replies = join_all((0..20).map(|_| {
        let client = app.client.clone();
        let body = json!({"refresh_token": token});
        async move { client.post("/v1/auth/refresh", &body).await }
    }))
    .await;
    let ok: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        ok.len(),
        1,
        "statuses: {:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(
        replies
            .iter()
            .filter(|r| r.status != 200)
            .all(|r| r.status == 401)
    );
    let winner = ok[0].json["refresh_token"].as_str().expect("refresh");
    assert_eq!(
        app.client
            .post("/v1/auth/refresh", &json!({"refresh_token": winner}))
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn admins_create_staff_accounts_and_vendor_accounts_need_a_vendor() {
    let app = spawn_app().await;
    let (admin, _) = app.account(Role::Admin, None).await;
    let r = admin
        .post(
            "/v1/admin/accounts",
            &json!({"email": "mk@incheon.go.kr", "password": "marketing-2026", "display_name": "마케터", "role": "marketer"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json["role"], "marketer");

    let r = admin
        .post(
            "/v1/admin/accounts",
            &json!({"email": "v@sunmu.kr", "password": "vendor-pass-123", "display_name": "순무", "role": "vendor"}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.json["errors"][0]["field"], "vendor_id");

    let vendor_id = uuid::Uuid::now_v7();
    let r = admin
        .post(
            "/v1/admin/accounts",
            &json!({"email": "v@sunmu.kr", "password": "vendor-pass-123", "display_name": "순무", "role": "vendor", "vendor_id": vendor_id}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // The vendor binding travels in the token.
    let login = app
        .client
        .post(
            "/v1/auth/login",
            &json!({"email": "v@sunmu.kr", "password": "vendor-pass-123"}),
        )
        .await;
    let me = app
        .client
        .with_token(login.json["access_token"].as_str().expect("token"))
        .get("/v1/me")
        .await;
    assert_eq!(me.json["vendor_id"], vendor_id.to_string());

    let list = admin.get("/v1/admin/accounts?role=marketer").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn account_lists_page_with_cursors() {
    let app = spawn_app().await;
    let (admin, _) = app.account(Role::Admin, None).await;
    for i in 0..4 {
        signup(&app, &format!("page{i}@incheon.kr")).await;
    }
    let mut seen = Vec::new();
    let mut path = "/v1/admin/accounts?limit=2&role=customer".to_owned();
    loop {
        let r = admin.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.body);
        for item in r.json["items"].as_array().expect("items") {
            seen.push(item["email"].as_str().expect("email").to_owned());
        }
        match r.json["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/admin/accounts?limit=2&role=customer&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "page3@incheon.kr",
            "page2@incheon.kr",
            "page1@incheon.kr",
            "page0@incheon.kr"
        ]
    );
}
