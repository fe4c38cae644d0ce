//! Admin decisions beyond vendor applications: rejecting a certification, editing and
//! moving a category, and an account's role and status, with the audit trail and the
//! re-check that takes admin power away at once.

use jikgu_tests::{Client, TestApp, spawn_app};
use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

async fn submitted_certification(app: &TestApp) -> (jikgu_tests::fixtures::Vendor, String) {
    let v = app.vendor("강화순무").await;
    let c = v
        .client
        .post(
            "/v1/vendor/certifications",
            &json!({"kind": "인천 품질우수제품", "number": "제2025-009호", "issued_on": "2025-01-01", "expires_on": "2099-12-31"}),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.body);
    (v, c.json["id"].as_str().expect("id").to_owned())
}

#[tokio::test]
async fn a_rejected_certification_counts_as_certified_nowhere() {
    let app = spawn_app().await;
    let cat = app.category("kimchi", None, &[]).await;
    let (v, cert) = submitted_certification(&app).await;
    let pid = app
        .product(&v, cat, "강화순무김치", &[], &[("SM-1", 15000, 5)])
        .await;
    let (admin, _) = app.account(Role::Admin, None).await;
    let path = format!("/v1/admin/certifications/{cert}/reject");

    for (body, field) in [
        (json!({"reason": "  "}), "reason"),
        (json!({"reason": "가".repeat(501)}), "reason"),
    ] {
        let r = admin.post(&path, &body).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.json["errors"][0]["field"], field);
    }

    let r = admin
        .post(
            &path,
            &json!({"reason": "발급 기관 명단에 없는 번호입니다"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["verified"], false);
    assert_eq!(r.json["valid"], false);
    assert_eq!(
        r.json["rejection_reason"],
        "발급 기관 명단에 없는 번호입니다"
    );

    // Decided once: neither a second rejection nor a verification.
    admin
        .post(&path, &json!({"reason": "again"}))
        .await
        .assert_problem(409, "illegal_transition");
    admin
        .post(
            &format!("/v1/admin/certifications/{cert}/verify"),
            &json!({}),
        )
        .await
        .assert_problem(409, "illegal_transition");

    // The vendor sees why; the storefront shows no badge and no certified facet.
    let mine = v.client.get("/v1/vendor/certifications").await;
    assert_eq!(
        mine.json[0]["rejection_reason"],
        "발급 기관 명단에 없는 번호입니다"
    );
    let page = app.client.get(&format!("/v1/products/{pid}")).await;
    assert_eq!(page.json["badges"], json!([]), "{}", page.body);
    let certified = app.client.get("/v1/products?certified=true").await;
    assert_eq!(certified.json["items"], json!([]), "{}", certified.body);

    admin
        .post(
            &format!("/v1/admin/certifications/{}/reject", Uuid::now_v7()),
            &json!({"reason": "x"}),
        )
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_verified_certification_cannot_be_rejected() {
    let app = spawn_app().await;
    let (_v, cert) = submitted_certification(&app).await;
    let (admin, _) = app.account(Role::Admin, None).await;
    let r = admin
        .post(
            &format!("/v1/admin/certifications/{cert}/verify"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    admin
        .post(
            &format!("/v1/admin/certifications/{cert}/reject"),
            &json!({"reason": "too late"}),
        )
        .await
        .assert_problem(409, "illegal_transition");
}

async fn tree(client: &Client) -> Value {
    let r = client.get("/v1/categories").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json
}

#[tokio::test]
async fn a_category_moves_with_its_subtree_but_never_under_itself() {
    let app = spawn_app().await;
    let food = app.category("food", None, &["원산지"]).await;
    let kimchi = app.category("kimchi", Some(food), &[]).await;
    let radish = app.category("radish-kimchi", Some(kimchi), &[]).await;
    let crafts = app.category("crafts", None, &[]).await;
    let (admin, _) = app.account(Role::Admin, None).await;

    // Under itself, or under its own grandchild: refused, nothing changes.
    for parent in [kimchi, radish] {
        let r = admin
            .put(
                &format!("/v1/admin/categories/{kimchi}"),
                &json!({"name": "김치", "parent_id": parent, "position": 0}),
            )
            .await;
        r.assert_problem(422, "category_cycle");
        assert_eq!(r.json["errors"][0]["field"], "parent_id");
        assert_eq!(r.json["errors"][0]["code"], "category_cycle");
    }
    for body in [
        json!({"name": " ", "parent_id": null, "position": 0}),
        json!({"name": "김치", "parent_id": Uuid::now_v7(), "position": 0}),
        json!({"name": "김치", "parent_id": null, "position": 10_001}),
    ] {
        let r = admin
            .put(&format!("/v1/admin/categories/{kimchi}"), &body)
            .await;
        assert_eq!(r.status, 422, "{body}: {}", r.body);
    }

    // Moved under crafts, renamed, with notice fields of its own.
    let r = admin
        .put(
            &format!("/v1/admin/categories/{kimchi}"),
            &json!({"name": "김치류", "parent_id": crafts, "position": 3, "notice_fields": ["제조연월일", " "]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["name"], "김치류");
    let t = tree(&app.client).await;
    let crafts_node = t
        .as_array()
        .expect("tree")
        .iter()
        .find(|n| n["id"] == crafts.to_string())
        .expect("crafts");
    assert_eq!(crafts_node["children"][0]["id"], kimchi.to_string());
    assert_eq!(
        crafts_node["children"][0]["children"][0]["id"],
        radish.to_string(),
        "the subtree moves along"
    );
    // The grandchild's path is rewritten: it now inherits from its new ancestors.
    let fields = catalog::categories::required_notice_fields(&app.state.db, radish)
        .await
        .expect("fields");
    assert_eq!(fields, vec!["제조연월일".to_owned()]);
    let row = catalog::store::category::Entity::find_by_id(radish)
        .one(&app.state.db)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(row.ancestors, vec![crafts, kimchi]);

    // Now food may go under the former child's old parent chain without a cycle.
    let r = admin
        .put(
            &format!("/v1/admin/categories/{food}"),
            &json!({"name": "식품", "parent_id": radish, "position": 0}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    admin
        .put(
            &format!("/v1/admin/categories/{}", Uuid::now_v7()),
            &json!({"name": "x", "parent_id": null, "position": 0}),
        )
        .await
        .assert_problem(404, "not_found");
}

use sea_orm::EntityTrait;

/// An account with a known password, and its login reply (access and refresh token).
async fn signed_in(app: &TestApp, role: Role) -> (Uuid, Value) {
    let login = app.login_account(role).await;
    let r = app
        .client
        .post(
            "/v1/auth/login",
            &json!({"email": login.email, "password": login.password}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    (login.user_id, r.json)
}

fn bearer(app: &TestApp, login: &Value) -> Client {
    app.client
        .with_token(login["access_token"].as_str().expect("token"))
}

#[tokio::test]
async fn account_changes_need_an_admin() {
    let app = spawn_app().await;
    let (_, target) = app.account(Role::Customer, None).await;
    for role in [Role::Customer, Role::Marketer] {
        let (c, _) = app.account(role, None).await;
        c.put(
            &format!("/v1/admin/accounts/{target}/role"),
            &json!({"role": "admin"}),
        )
        .await
        .assert_problem(403, "forbidden");
        for action in ["disable", "enable"] {
            c.post(&format!("/v1/admin/accounts/{target}/{action}"), &json!({}))
                .await
                .assert_problem(403, "forbidden");
        }
        c.get("/v1/admin/accounts/audit")
            .await
            .assert_problem(403, "forbidden");
    }
    let v = app.vendor("강화인삼").await;
    v.client
        .post(&format!("/v1/admin/accounts/{target}/disable"), &json!({}))
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_or_refresh_and_leaves_an_audit_row() {
    let app = spawn_app().await;
    let (admin, admin_id) = app.account(Role::Admin, None).await;
    let login = app.login_account(Role::Marketer).await;
    let session = app
        .client
        .post(
            "/v1/auth/login",
            &json!({"email": login.email, "password": login.password}),
        )
        .await;
    assert_eq!(session.status, 200, "{}", session.body);

    let r = admin
        .post(
            &format!("/v1/admin/accounts/{}/disable", login.user_id),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["status"], "disabled");

    app.client
        .post(
            "/v1/auth/login",
            &json!({"email": login.email, "password": login.password}),
        )
        .await
        .assert_problem(403, "account_disabled");
    app.client
        .post(
            "/v1/auth/refresh",
            &json!({"refresh_token": session.json["refresh_token"]}),
        )
        .await
        .assert_problem(401, "refresh_token_invalid");

    // Enabled again: signs in (the old session stays revoked).
    let r = admin
        .post(
            &format!("/v1/admin/accounts/{}/enable", login.user_id),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["status"], "active");
    let again = app
        .client
        .post(
            "/v1/auth/login",
            &json!({"email": login.email, "password": login.password}),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);

    let audit = admin
        .get(&format!(
            "/v1/admin/accounts/audit?account_id={}",
            login.user_id
        ))
        .await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    let items = audit.json["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{}", audit.body);
    assert_eq!(items[0]["action"], "enabled");
    assert_eq!(items[0]["before"], json!({"status": "disabled"}));
    assert_eq!(items[0]["after"], json!({"status": "active"}));
    assert_eq!(items[1]["action"], "disabled");
    assert_eq!(items[1]["actor_id"], admin_id.to_string());
    let page = admin.get("/v1/admin/accounts/audit?limit=1").await;
    assert!(page.json["next_cursor"].is_string(), "{}", page.body);
    admin
        .get("/v1/admin/accounts/audit?cursor=nope")
        .await
        .assert_problem(422, "invalid_cursor");
}

#[tokio::test]
async fn an_admin_cannot_disable_or_demote_their_own_account() {
    let app = spawn_app().await;
    let (admin, admin_id) = app.account(Role::Admin, None).await;
    admin
        .post(
            &format!("/v1/admin/accounts/{admin_id}/disable"),
            &json!({}),
        )
        .await
        .assert_problem(409, "own_account");
    admin
        .put(
            &format!("/v1/admin/accounts/{admin_id}/role"),
            &json!({"role": "marketer"}),
        )
        .await
        .assert_problem(409, "own_account");
    // Setting one's own role to what it is changes nothing and is allowed.
    let r = admin
        .put(
            &format!("/v1/admin/accounts/{admin_id}/role"),
            &json!({"role": "admin"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let audit = admin.get("/v1/admin/accounts/audit").await;
    assert_eq!(audit.json["items"], json!([]), "{}", audit.body);
}

#[tokio::test]
async fn role_changes_are_validated() {
    let app = spawn_app().await;
    let (admin, _) = app.account(Role::Admin, None).await;
    let (_, customer) = app.account(Role::Customer, None).await;
    let path = format!("/v1/admin/accounts/{customer}/role");
    let r = admin.put(&path, &json!({"role": "vendor"})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.json["errors"][0]["field"], "vendor_id");
    assert_eq!(r.json["errors"][0]["code"], "vendor_binding");
    let r = admin.put(&path, &json!({"role": "overlord"})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    admin
        .put(
            &format!("/v1/admin/accounts/{}/role", Uuid::now_v7()),
            &json!({"role": "marketer"}),
        )
        .await
        .assert_problem(404, "not_found");
    let r = admin.put(&path, &json!({"role": "marketer"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["role"], "marketer");
    let audit = admin.get("/v1/admin/accounts/audit").await;
    assert_eq!(audit.json["items"][0]["action"], "role_changed");
    assert_eq!(
        audit.json["items"][0]["before"],
        json!({"role": "customer"})
    );
    assert_eq!(audit.json["items"][0]["after"], json!({"role": "marketer"}));
}

#[tokio::test]
async fn a_demoted_or_disabled_admin_loses_admin_access_at_once() {
    let app = spawn_app().await;
    let (boss, _) = app.account(Role::Admin, None).await;
    let (demoted_id, demoted) = signed_in(&app, Role::Admin).await;
    let (disabled_id, disabled) = signed_in(&app, Role::Admin).await;
    let demoted = bearer(&app, &demoted);
    let disabled = bearer(&app, &disabled);
    for c in [&demoted, &disabled] {
        assert_eq!(c.get("/v1/admin/accounts").await.status, 200);
    }

    let r = boss
        .put(
            &format!("/v1/admin/accounts/{demoted_id}/role"),
            &json!({"role": "marketer"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = boss
        .post(
            &format!("/v1/admin/accounts/{disabled_id}/disable"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Their access tokens still say admin; the next admin request is refused anyway.
    demoted
        .get("/v1/admin/accounts")
        .await
        .assert_problem(403, "forbidden");
    disabled
        .get("/v1/admin/accounts")
        .await
        .assert_problem(403, "account_disabled");
    // A demoted admin who is now a marketer keeps marketer access; a disabled one not.
    assert_eq!(demoted.get("/v1/marketing/campaigns").await.status, 200);
    disabled
        .get("/v1/marketing/campaigns")
        .await
        .assert_problem(403, "account_disabled");
}

async fn campaign(m: &Client, slug: &str) -> String {
    let r = m
        .post(
            "/v1/marketing/campaigns",
            &json!({"title": format!("기획전 {slug}"), "slug": slug,
                    "starts_at": "2030-01-01T10:00:00+09:00", "ends_at": "2030-01-10T10:00:00+09:00"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn the_marketing_audit_filters_by_actor_entity_and_instants() {
    let app = spawn_app().await;
    let (m1, m1_id) = app.account(Role::Marketer, None).await;
    let (m2, _) = app.account(Role::Marketer, None).await;
    let c1 = campaign(&m1, "seol").await;
    campaign(&m2, "chuseok").await;
    let count = |r: &jikgu_tests::Reply| r.json["items"].as_array().map_or(0, Vec::len);

    let mine = m2
        .get(&format!("/v1/marketing/audit?actor_id={m1_id}"))
        .await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert_eq!(count(&mine), 1, "{}", mine.body);
    assert_eq!(mine.json["items"][0]["entity_id"], c1);
    let campaigns = m1.get("/v1/marketing/audit?entity=campaign").await;
    assert_eq!(count(&campaigns), 2, "{}", campaigns.body);
    assert_eq!(count(&m1.get("/v1/marketing/audit?entity=coupon").await), 0);
    let r = m1.get("/v1/marketing/audit?entity=vendor").await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.json["errors"][0]["field"], "entity");

    let hour_ago = (chrono::Utc::now() - chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let in_an_hour = (chrono::Utc::now() + chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(
        count(
            &m1.get(&format!("/v1/marketing/audit?from={hour_ago}"))
                .await
        ),
        2
    );
    assert_eq!(
        count(
            &m1.get(&format!("/v1/marketing/audit?from={in_an_hour}"))
                .await
        ),
        0
    );
    assert_eq!(
        count(&m1.get(&format!("/v1/marketing/audit?to={hour_ago}")).await),
        0
    );
    let r = m1
        .get(&format!(
            "/v1/marketing/audit?from={hour_ago}&to={in_an_hour}&actor_id={m1_id}&entity=campaign&limit=1"
        ))
        .await;
    assert_eq!(count(&r), 1, "{}", r.body);
    assert!(r.json["next_cursor"].is_null(), "{}", r.body);
    assert_eq!(
        m1.get("/v1/marketing/audit?from=yesterday").await.status,
        422
    );
}

#[tokio::test]
async fn payouts_are_listed_by_cursor_pages() {
    let app = spawn_app().await;
    jikgu::seed::seed_demo(&app.state).await.expect("seed");
    app.more_payouts(3, "test").await;
    let (admin, _) = app.account(Role::Admin, None).await;
    let all = admin.get("/v1/admin/settlements/payouts?limit=100").await;
    assert_eq!(all.status, 200, "{}", all.body);
    let total = all.json["items"].as_array().expect("items").len();
    assert!(total >= 4, "{}", all.body);
    assert!(all.json["next_cursor"].is_null());

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => "/v1/admin/settlements/payouts?limit=2".to_owned(),
            Some(c) => format!("/v1/admin/settlements/payouts?limit=2&cursor={c}"),
        };
        let page = admin.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        for p in page.json["items"].as_array().expect("items") {
            seen.push(p["id"].as_str().expect("id").to_owned());
        }
        match page.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let expected: Vec<String> = all.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(seen, expected, "newest first, each once");
    let other = admin
        .get(&format!(
            "/v1/admin/settlements/payouts?vendor_id={}",
            Uuid::now_v7()
        ))
        .await;
    assert_eq!(other.json["items"], json!([]));
    admin
        .get("/v1/admin/settlements/payouts?cursor=bogus")
        .await
        .assert_problem(422, "invalid_cursor");
}
