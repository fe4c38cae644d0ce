use jikgu_tests::fixtures::{application, business_number};
use jikgu_tests::spawn_app;
use platform::auth::Role;
use serde_json::{Value, json};

fn app_json(trade: &str, postal: &str, number: &str) -> Value {
    let mut v =
        serde_json::to_value(ApplicationShape::from(application(trade, postal))).expect("json");
    v["business_number"] = json!(number);
    v
}

/// The application as JSON (the domain type only deserialises).
#[derive(serde::Serialize)]
struct ApplicationShape {
    trade_name: String,
    representative: String,
    business_number: String,
    mail_order_number: Option<String>,
    postal_code: String,
    address: String,
    cs_phone: String,
    cs_email: String,
    bank_name: String,
    bank_account_number: String,
    bank_account_holder: String,
}

impl From<catalog::vendors::Application> for ApplicationShape {
    fn from(a: catalog::vendors::Application) -> Self {
        ApplicationShape {
            trade_name: a.trade_name,
            representative: a.representative,
            business_number: a.business_number,
            mail_order_number: a.mail_order_number,
            postal_code: a.postal_code,
            address: a.address,
            cs_phone: a.cs_phone,
            cs_email: a.cs_email,
            bank_name: a.bank_name,
            bank_account_number: a.bank_account_number,
            bank_account_holder: a.bank_account_holder,
        }
    }
}

#[tokio::test]
async fn applications_are_checked_for_locality_and_business_number() {
    let app = spawn_app().await;
    let (customer, _) = app.account(Role::Customer, None).await;

    let r = customer
        .post(
            "/v1/vendor-applications",
            &app_json("서울상회", "06236", &business_number(11)),
        )
        .await;
    r.assert_problem(422, "not_local_business");

    let r = customer
        .post(
            "/v1/vendor-applications",
            &app_json("강화상회", "23035", "120-81-47522"),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.json["errors"][0]["field"], "business_number");
    assert_eq!(r.json["errors"][0]["code"], "invalid_business_number");

    let r = customer
        .post(
            "/v1/vendor-applications",
            &app_json("강화상회", "23035", "124-81-00998"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json["status"], "pending");
    assert_eq!(r.json["seller"]["business_number"], "124-81-00998");

    let (other, _) = app.account(Role::Customer, None).await;
    other
        .post(
            "/v1/vendor-applications",
            &app_json("다른상회", "21554", "1248100998"),
        )
        .await
        .assert_problem(409, "business_number_taken");
}

#[tokio::test]
async fn approval_turns_the_applicant_into_the_vendor_account() {
    let app = spawn_app().await;
    let signup = app
        .client
        .post("/v1/auth/signup", &json!({"email": "sunmu@ganghwa.kr", "password": "강화순무-2026-!", "display_name": "순무"}))
        .await;
    let customer = app
        .client
        .with_token(signup.json["access_token"].as_str().expect("token"));
    let applied = customer
        .post(
            "/v1/vendor-applications",
            &app_json("강화순무농장", "23035", &business_number(42)),
        )
        .await;
    assert_eq!(applied.status, 201, "{}", applied.body);
    let vendor_id = applied.json["id"].as_str().expect("id").to_owned();
    // Not a vendor yet.
    customer
        .get("/v1/vendor/profile")
        .await
        .assert_problem(403, "forbidden");

    let (admin, _) = app.account(Role::Admin, None).await;
    let pending = admin.get("/v1/admin/vendors?status=pending").await;
    assert_eq!(pending.json["items"][0]["id"], vendor_id.as_str());
    let approved = admin
        .post(
            &format!("/v1/admin/vendors/{vendor_id}/approve"),
            &json!({}),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    admin
        .post(
            &format!("/v1/admin/vendors/{vendor_id}/approve"),
            &json!({}),
        )
        .await
        .assert_problem(409, "illegal_transition");

    // The new role arrives with the next token.
    let refreshed = app
        .client
        .post(
            "/v1/auth/refresh",
            &json!({"refresh_token": signup.json["refresh_token"]}),
        )
        .await;
    let vendor = app
        .client
        .with_token(refreshed.json["access_token"].as_str().expect("token"));
    let profile = vendor.get("/v1/vendor/profile").await;
    assert_eq!(profile.status, 200, "{}", profile.body);
    assert_eq!(profile.json["id"], vendor_id.as_str());

    let public = app.client.get(&format!("/v1/vendors/{vendor_id}")).await;
    assert_eq!(public.status, 200);
    assert_eq!(public.json["seller"]["representative"], "김인천");
    assert_eq!(
        public.json["seller"]["mail_order_number"],
        "제2026-인천강화-0001호"
    );
}

#[tokio::test]
async fn suspension_hides_the_vendors_products_at_once_and_reinstatement_restores_them() {
    let app = spawn_app().await;
    let cat = app.category("kimchi", None, &[]).await;
    let v = app.vendor("강화순무농장").await;
    let pid = app
        .product(
            &v,
            cat,
            "강화순무김치 2kg",
            &["김치"],
            &[("SM-2", 28900, 10)],
        )
        .await;
    // Warm the caches.
    assert_eq!(
        app.client.get(&format!("/v1/products/{pid}")).await.status,
        200
    );
    assert_eq!(
        app.client.get("/v1/products").await.json["items"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    let (admin, _) = app.account(Role::Admin, None).await;
    let r = admin
        .post(
            &format!("/v1/admin/vendors/{}/suspend", v.id),
            &json!({"reason": "원산지 표시 위반"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.client
        .get(&format!("/v1/products/{pid}"))
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        app.client.get("/v1/products").await.json["items"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    app.client
        .get(&format!("/v1/vendors/{}", v.id))
        .await
        .assert_problem(404, "not_found");

    let r = admin
        .post(&format!("/v1/admin/vendors/{}/reinstate", v.id), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        app.client.get(&format!("/v1/products/{pid}")).await.status,
        200
    );
    assert_eq!(
        app.client.get("/v1/products").await.json["items"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn three_strikes_suspend_a_vendor() {
    let app = spawn_app().await;
    let v = app.vendor("소래젓갈").await;
    let (admin, _) = app.account(Role::Admin, None).await;
    let path = format!("/v1/admin/vendors/{}/penalties", v.id);
    let r = admin.post(&path, &json!({"reason": "배송 지연"})).await;
    assert_eq!(r.json["status"], "approved", "{}", r.body);
    let r = admin
        .post(&path, &json!({"reason": "식품위생 위반", "strikes": 2}))
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json["status"], "suspended");
    let record = admin.get(&path).await;
    assert_eq!(record.json.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn certification_badges_show_only_when_verified_and_valid() {
    let app = spawn_app().await;
    let cat = app.category("ginseng", None, &[]).await;
    let v = app.vendor("강화인삼").await;
    let pid = app
        .product(&v, cat, "강화인삼정과", &[], &[("GS-1", 35000, 5)])
        .await;
    let valid = v
        .client
        .post(
            "/v1/vendor/certifications",
            &json!({"kind": "인천 품질우수제품", "class": "생활소비재", "number": "제2025-001호", "issued_on": "2025-01-01", "expires_on": "2099-12-31"}),
        )
        .await;
    assert_eq!(valid.status, 201, "{}", valid.body);
    let expired = v
        .client
        .post(
            "/v1/vendor/certifications",
            &json!({"kind": "HACCP", "number": "H-1", "issued_on": "2020-01-01", "expires_on": "2023-01-01"}),
        )
        .await;
    let page = app.client.get(&format!("/v1/products/{pid}")).await;
    assert_eq!(
        page.json["badges"],
        json!([]),
        "unverified certifications show no badge"
    );

    let (admin, _) = app.account(Role::Admin, None).await;
    for c in [&valid, &expired] {
        let r = admin
            .post(
                &format!(
                    "/v1/admin/certifications/{}/verify",
                    c.json["id"].as_str().expect("id")
                ),
                &json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let page = app.client.get(&format!("/v1/products/{pid}")).await;
    let badges = page.json["badges"].as_array().expect("badges");
    assert_eq!(badges.len(), 1, "{}", page.body);
    assert_eq!(badges[0]["kind"], "인천 품질우수제품");
    let certified = app.client.get("/v1/products?certified=true").await;
    assert_eq!(certified.json["items"][0]["id"], pid.to_string());
}
