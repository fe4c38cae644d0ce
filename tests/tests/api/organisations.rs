//! Buyer organisations: applying (business number checked), admin approval, members and
//! the organisation context (a non-member gets 404, a pending organisation cannot buy).

use jikgu_tests::organisations::application;
use jikgu_tests::spawn_app;
use platform::auth::Role;
use serde_json::json;

#[tokio::test]
async fn a_business_number_with_a_wrong_check_digit_is_refused() {
    let app = spawn_app().await;
    let (client, _) = app.account(Role::Customer, None).await;
    let mut body = application("company", "주식회사 강화상사");
    body["business_number"] = json!("120-81-47522");
    let r = client.post("/v1/organisations", &body).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.json["errors"][0]["field"], "business_number");
    assert_eq!(r.json["errors"][0]["code"], "invalid_business_number");

    body["business_number"] = json!("120-81-47521");
    let ok = client.post("/v1/organisations", &body).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.json["business_number"], "120-81-47521");
    assert_eq!(ok.json["status"], "pending");
    // The same business number twice is a conflict.
    let again = client.post("/v1/organisations", &body).await;
    again.assert_problem(409, "conflict");
}

#[tokio::test]
async fn an_admin_approves_and_only_then_members_can_act() {
    let app = spawn_app().await;
    let (applicant, _) = app.account(Role::Customer, None).await;
    let applied = applicant
        .post(
            "/v1/organisations",
            &application("public_institution", "인천광역시 미추홀구청"),
        )
        .await;
    assert_eq!(applied.status, 201, "{}", applied.body);
    let id = applied.json["id"].as_str().unwrap_or_default().to_owned();

    // Pending: the applicant sees it but cannot act for it yet.
    let seen = applicant.get(&format!("/v1/organisations/{id}")).await;
    assert_eq!(seen.json["status"], "pending");
    applicant
        .get(&format!("/v1/organisations/{id}/members"))
        .await
        .assert_problem(409, "organisation_not_approved");

    // Only an admin decides.
    applicant
        .post(
            &format!("/v1/admin/organisations/{id}/approve"),
            &json!({"credit_limit": 1}),
        )
        .await
        .assert_problem(403, "forbidden");
    let (admin, _) = app.account(Role::Admin, None).await;
    let pending = admin.get("/v1/admin/organisations?status=pending").await;
    assert_eq!(pending.status, 200);
    assert!(
        pending.json["items"]
            .as_array()
            .is_some_and(|a| a.iter().any(|o| o["id"] == id.as_str()))
    );
    let approved = admin
        .post(
            &format!("/v1/admin/organisations/{id}/approve"),
            &json!({"credit_limit": 5_000_000}),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.json["status"], "approved");
    assert_eq!(approved.json["credit_limit"], 5_000_000);
    // Decided once.
    admin
        .post(
            &format!("/v1/admin/organisations/{id}/reject"),
            &json!({"reason": "x"}),
        )
        .await
        .assert_problem(409, "illegal_transition");

    let members = applicant
        .get(&format!("/v1/organisations/{id}/members"))
        .await;
    assert_eq!(members.status, 200, "{}", members.body);
    assert_eq!(members.json[0]["role"], "approver");
    let mine = applicant.get("/v1/organisations").await;
    assert_eq!(mine.json[0]["organisation"]["id"], id.as_str());
}

#[tokio::test]
async fn a_rejected_organisation_stays_out() {
    let app = spawn_app().await;
    let (applicant, _) = app.account(Role::Customer, None).await;
    let applied = applicant
        .post("/v1/organisations", &application("company", "유령상사"))
        .await;
    let id = applied.json["id"].as_str().unwrap_or_default().to_owned();
    let (admin, _) = app.account(Role::Admin, None).await;
    let r = admin
        .post(
            &format!("/v1/admin/organisations/{id}/reject"),
            &json!({"reason": "서류 미비"}),
        )
        .await;
    assert_eq!(r.json["status"], "rejected");
    applicant
        .get(&format!("/v1/organisations/{id}/quotations"))
        .await
        .assert_problem(409, "organisation_not_approved");
}

#[tokio::test]
async fn members_of_one_organisation_never_see_another() {
    let app = spawn_app().await;
    let a = app
        .organisation("public_institution", "인천교통공사", 0)
        .await;
    let b = app.organisation("company", "주식회사 부평", 0).await;
    for path in [
        format!("/v1/organisations/{}", b.id),
        format!("/v1/organisations/{}/members", b.id),
        format!("/v1/organisations/{}/quotations", b.id),
        format!("/v1/organisations/{}/orders", b.id),
    ] {
        a.approver.get(&path).await.assert_problem(404, "not_found");
    }
    // A buyer may not manage members.
    let (buyer, _) = app.org_member(&a, "buyer").await;
    buyer
        .put(
            &format!("/v1/organisations/{}/members", a.id),
            &json!({"email": "nobody@example.kr", "role": "approver"}),
        )
        .await
        .assert_problem(403, "not_approver");
}

#[tokio::test]
async fn the_demo_seeds_organisations_with_quotations_in_every_state() {
    let app = spawn_app().await;
    jikgu::seed::seed_demo(&app.state).await.expect("seed");
    jikgu::seed::seed_demo(&app.state)
        .await
        .expect("seed again");
    let login = |email: &str| {
        let client = app.client.clone();
        let email = email.to_owned();
        async move {
            let r = client
                .post(
                    "/v1/auth/login",
                    &json!({"email": email, "password": "jikgu-org-demo"}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            client.with_token(r.json["access_token"].as_str().unwrap_or_default())
        }
    };
    let gu = login("approver@michuhol.go.kr").await;
    let mine = gu.get("/v1/organisations").await;
    assert_eq!(
        mine.json.as_array().map(Vec::len),
        Some(1),
        "seeded once: {}",
        mine.body
    );
    let org = mine.json[0]["organisation"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let qs = gu
        .get(&format!("/v1/organisations/{org}/quotations?limit=100"))
        .await;
    let states: std::collections::BTreeSet<String> = qs.json["items"]
        .as_array()
        .expect("present")
        .iter()
        .map(|q| q["status"].as_str().unwrap_or_default().to_owned())
        .collect();
    for s in [
        "requested",
        "partially_answered",
        "answered",
        "accepted",
        "expired",
        "withdrawn",
        "declined",
    ] {
        assert!(states.contains(s), "{s} missing from {states:?}");
    }
    let overdue = gu
        .get(&format!("/v1/organisations/{org}/invoices?state=overdue"))
        .await;
    assert!(
        !overdue.json.as_array().expect("present").is_empty(),
        "{}",
        overdue.body
    );
    let paid = gu
        .get(&format!("/v1/organisations/{org}/invoices?state=paid"))
        .await;
    assert!(
        !paid.json.as_array().expect("present").is_empty(),
        "{}",
        paid.body
    );
    let now = chrono::Utc::now() + chrono::Duration::hours(9);
    let disclosure = app
        .client
        .get(&format!(
            "/v1/reports/public-purchases?year={}&half={}",
            chrono::Datelike::year(&now),
            if chrono::Datelike::month(&now) <= 6 {
                1
            } else {
                2
            }
        ))
        .await;
    assert_eq!(
        disclosure.json["institutions"].as_array().map(Vec::len),
        Some(2),
        "{}",
        disclosure.body
    );
}
