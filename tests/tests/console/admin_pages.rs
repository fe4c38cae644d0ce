//! The admin's pages added for suspensions and penalty strikes, certifications, the
//! category tree, organisations and accounts, without a browser: admins get each page,
//! marketers and vendors the role guard, anonymous visitors the login page, no POST
//! passes without its CSRF token or with another role, and refused forms show their
//! errors beside the fields.

use jikgu_tests::console::{ConsoleClient, Login};
use jikgu_tests::{TestApp, spawn_app};
use platform::auth::Role;
use uuid::Uuid;

const PAGES: &[&str] = &[
    "/console/admin/vendors/{vendor}",
    "/console/admin/certifications",
    "/console/admin/categories",
    "/console/admin/organisations",
    "/console/admin/organisations?status=",
    "/console/admin/organisations?status=approved",
    "/console/admin/organisations/{org}",
    "/console/admin/accounts",
    "/console/admin/accounts?role=vendor",
    "/console/admin/accounts/audit",
    "/console/admin/settlements",
];

const POSTS: &[&str] = &[
    "/console/admin/vendors/{vendor}/suspend",
    "/console/admin/vendors/{vendor}/reinstate",
    "/console/admin/vendors/{vendor}/penalties",
    "/console/admin/certifications/{cert}/verify",
    "/console/admin/categories",
    "/console/admin/organisations/{org}/approve",
    "/console/admin/organisations/{org}/reject",
    "/console/admin/organisations/{org}/credit-limit",
    "/console/admin/accounts",
    "/console/admin/settlements/close",
    "/console/admin/settlements/payouts/send",
    "/console/admin/settlements/holds",
    "/console/admin/settlements/holds/{vendor}/release",
    "/console/admin/settlements/payouts/{vendor}/paid",
    "/console/admin/settlements/payouts/{vendor}/failed",
    "/console/admin/settlements/statements/{vendor}/payout",
];

/// An organisation that applied and waits for review.
async fn pending_organisation(app: &TestApp, seed: u32) -> Uuid {
    use platform::organisations::service::{self, NewOrganisation};
    let applicant = app.login_account(Role::Customer).await;
    service::apply(
        &app.state.db,
        applicant.user_id,
        NewOrganisation {
            kind: platform::organisations::OrganisationKind::PublicInstitution,
            name: "강화군청".into(),
            business_number: platform::business_number::BusinessNumber::parse(
                &jikgu_tests::fixtures::business_number(4242 + seed),
            )
            .expect("business number"),
            representative: "군수".into(),
            address: "인천광역시 강화군 강화읍 강화대로 394".into(),
            tax_invoice_email: platform::accounts::input::Email::parse(
                "tax@ganghwa.example",
                "email",
            )
            .expect("email"),
        },
    )
    .await
    .expect("apply")
    .id
}

struct Fixture {
    vendor: Uuid,
    cert: Uuid,
    org: Uuid,
}

impl Fixture {
    fn fill(&self, p: &str) -> String {
        p.replace("{vendor}", &self.vendor.to_string())
            .replace("{cert}", &self.cert.to_string())
            .replace("{org}", &self.org.to_string())
    }
}

async fn fixture(app: &TestApp, vendor: &Login) -> Fixture {
    let v = vendor.vendor_id.expect("vendor id");
    Fixture {
        vendor: v,
        cert: app.submitted_certification(v).await,
        org: pending_organisation(app, 0).await,
    }
}

#[tokio::test]
async fn new_admin_pages_open_for_admins_only() {
    let app = spawn_app().await;
    let admin = app.login_account(Role::Admin).await;
    let marketer = app.login_account(Role::Marketer).await;
    let vendor_login = app.vendor_login("강화순무농원").await;
    let f = fixture(&app, &vendor_login).await;
    let mut a = app.console_as(&admin).await;
    let mut m = app.console_as(&marketer).await;
    let mut v = app.console_as(&vendor_login).await;
    let mut anonymous = app.console();
    for path in PAGES {
        let path = &f.fill(path);
        let page = a.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.body.contains("<html lang=\"ko\">"), "{path}");
        page.assert_post_forms_carry_the_token(path);
        assert_eq!(m.get(path).await.status, 403, "{path} for a marketer");
        assert_eq!(v.get(path).await.status, 403, "{path} for a vendor");
        anonymous
            .get(path)
            .await
            .assert_redirect_to("/console/login?next=");
    }
    // Every input has its label.
    for path in [
        "/console/admin/categories",
        "/console/admin/accounts",
        "/console/admin/organisations/{org}",
        "/console/admin/vendors/{vendor}",
    ] {
        let body = a.get(&f.fill(path)).await.body;
        for id in body.split("<input id=\"").skip(1) {
            let id = id.split('"').next().unwrap_or_default();
            assert!(
                body.contains(&format!("for=\"{id}\"")),
                "{path}: no label for {id}"
            );
        }
    }
    // What each list shows.
    let certs = a.get("/console/admin/certifications").await.body;
    assert!(certs.contains("인천 품질우수제품"), "{certs}");
    assert!(certs.contains("강화순무농원"), "{certs}");
    let orgs = a.get("/console/admin/organisations").await.body;
    assert!(orgs.contains("강화군청"), "{orgs}");
    assert!(orgs.contains("공공기관"), "{orgs}");
    let accounts = a.get("/console/admin/accounts?role=marketer").await.body;
    assert!(accounts.contains(&marketer.email), "{accounts}");
    assert!(!accounts.contains(&admin.email), "filtered by role");
    // The nav reaches every section.
    for href in [
        "/console/admin/certifications",
        "/console/admin/categories",
        "/console/admin/organisations",
        "/console/admin/accounts",
        "/console/admin/settlements",
    ] {
        assert!(certs.contains(&format!("href=\"{href}\"")), "{href}");
    }
    assert_eq!(
        a.get("/console/admin/organisations/00000000-0000-0000-0000-000000000000")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn every_new_admin_post_needs_its_csrf_token_and_the_admin_role() {
    let app = spawn_app().await;
    let admin = app.login_account(Role::Admin).await;
    let marketer = app.login_account(Role::Marketer).await;
    let vendor_login = app.vendor_login("강화순무농원").await;
    let f = fixture(&app, &vendor_login).await;
    let mut a = app.console_as(&admin).await;
    let mut m = app.console_as(&marketer).await;
    let mut v = app.console_as(&vendor_login).await;
    a.get("/console/admin").await;
    for path in POSTS {
        let path = &f.fill(path);
        assert_eq!(a.post_raw(path, &[]).await.status, 403, "{path}");
        assert_eq!(
            a.post_raw(path, &[("_csrf", "forged")]).await.status,
            403,
            "{path}"
        );
    }
    // With their own token, a marketer and a vendor are still refused.
    m.get("/console/marketer").await;
    v.get("/console/vendor").await;
    let fields = [
        ("reason", "원산지 표시 위반"),
        ("strikes", "3"),
        ("credit_limit", "1000000"),
        ("name", "김치"),
        ("slug", "kimchi"),
        ("email", "x@example.com"),
        ("password", "long enough password 1"),
        ("display_name", "누구"),
        ("role", "admin"),
    ];
    for path in POSTS {
        let path = &f.fill(path);
        assert_eq!(m.post(path, &fields).await.status, 403, "{path}");
        assert_eq!(v.post(path, &fields).await.status, 403, "{path}");
    }
    // Nothing changed.
    let vendor = catalog::admin_actions::vendor(&app.state, f.vendor)
        .await
        .expect("vendor");
    assert_eq!(vendor.status, "approved");
    assert!(
        catalog::admin_actions::penalties(&app.state, f.vendor)
            .await
            .expect("penalties")
            .is_empty()
    );
    let certs = a.get("/console/admin/certifications").await.body;
    assert!(certs.contains("인천 품질우수제품"));
    let org = a
        .get(&f.fill("/console/admin/organisations/{org}"))
        .await
        .body;
    assert!(org.contains("심사 대기"), "{org}");
    assert!(
        !a.get("/console/admin/accounts")
            .await
            .body
            .contains("x@example.com")
    );
}

#[tokio::test]
async fn an_admin_suspends_reinstates_and_gives_strikes_until_the_vendor_is_suspended() {
    let app = spawn_app().await;
    let admin = app.login_account(Role::Admin).await;
    let vendor_login = app.vendor_login("강화순무농원").await;
    let vendor = vendor_login.vendor_id.expect("vendor");
    let mut a = app.console_as(&admin).await;
    let page = format!("/console/admin/vendors/{vendor}");
    a.get(&page).await;
    // No reason: refused beside the field.
    let refused = a.post(&format!("{page}/suspend"), &[("reason", "")]).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("id=\"e-reason\""), "{}", refused.body);
    a.post(
        &format!("{page}/suspend"),
        &[("reason", "원산지 허위 표시 조사 중")],
    )
    .await
    .assert_redirect_to(&page);
    let shown = a.get(&format!("{page}?done=suspended")).await.body;
    assert!(shown.contains("정지"), "{shown}");
    assert!(shown.contains("원산지 허위 표시 조사 중"), "{shown}");
    assert!(shown.contains("id=\"reinstate\""), "{shown}");
    // Suspending twice is a conflict on the page.
    let again = a
        .post(&format!("{page}/suspend"), &[("reason", "또")])
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    a.post(&format!("{page}/reinstate"), &[])
        .await
        .assert_redirect_to(&page);
    assert_eq!(
        catalog::admin_actions::vendor(&app.state, vendor)
            .await
            .expect("vendor")
            .status,
        "approved"
    );
    // Strikes: out of range and empty reason both beside their fields.
    let bad = a
        .post(
            &format!("{page}/penalties"),
            &[("penalty_reason", " "), ("strikes", "4")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"e-strikes\""), "{}", bad.body);
    assert!(bad.body.contains("id=\"e-penalty_reason\""), "{}", bad.body);
    assert!(
        !bad.body.contains("id=\"e-reason\""),
        "not beside the suspension's reason"
    );
    let nan = a
        .post(
            &format!("{page}/penalties"),
            &[("penalty_reason", "지연 발송"), ("strikes", "두")],
        )
        .await;
    assert_eq!(nan.status, 422, "{}", nan.body);
    a.post(
        &format!("{page}/penalties"),
        &[("penalty_reason", "지연 발송"), ("strikes", "1")],
    )
    .await
    .assert_redirect_to(&page);
    let one = a.get(&page).await.body;
    assert!(one.contains("지연 발송"), "{one}");
    assert!(one.contains("1점"), "{one}");
    // Two more reach the limit: suspended by the strikes.
    a.post(
        &format!("{page}/penalties"),
        &[("penalty_reason", "원산지 표시 위반"), ("strikes", "2")],
    )
    .await
    .assert_redirect_to(&page);
    let v = catalog::admin_actions::vendor(&app.state, vendor)
        .await
        .expect("vendor");
    assert_eq!(v.status, "suspended");
    let three = a.get(&page).await.body;
    assert!(three.contains("3점"), "{three}");
    assert!(three.contains("id=\"reinstate\""), "{three}");
}

#[tokio::test]
async fn an_admin_verifies_a_certification_and_it_leaves_the_list() {
    let app = spawn_app().await;
    let admin = app.login_account(Role::Admin).await;
    let vendor_login = app.vendor_login("강화순무농원").await;
    let cert = app
        .submitted_certification(vendor_login.vendor_id.expect("vendor"))
        .await;
    let mut a = app.console_as(&admin).await;
    a.get("/console/admin/certifications").await;
    a.post(&format!("/console/admin/certifications/{cert}/verify"), &[])
        .await
        .assert_redirect_to("/console/admin/certifications");
    let after = a
        .get("/console/admin/certifications?done=verified")
        .await
        .body;
    assert!(after.contains("인증을 확인했습니다"), "{after}");
    assert!(!after.contains("ICN-2026-0042"), "{after}");
    assert_eq!(
        a.post(
            "/console/admin/certifications/00000000-0000-0000-0000-000000000000/verify",
            &[]
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn an_admin_adds_categories_with_notice_fields_and_sees_the_tree() {
    let app = spawn_app().await;
    let admin = app.login_account(Role::Admin).await;
    let mut a = app.console_as(&admin).await;
    a.get("/console/admin/categories").await;
    let bad = a
        .post(
            "/console/admin/categories",
            &[
                ("name", "김치"),
                ("slug", "Not A Slug"),
                ("parent_id", ""),
                ("position", "-1"),
                ("notice_fields", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"e-position\""), "{}", bad.body);
    assert!(bad.body.contains("Not A Slug"), "the typed text comes back");
    let bad_slug = a
        .post(
            "/console/admin/categories",
            &[("name", "김치"), ("slug", "Not A Slug"), ("position", "")],
        )
        .await;
    assert_eq!(bad_slug.status, 422);
    assert!(bad_slug.body.contains("id=\"e-slug\""), "{}", bad_slug.body);
    a.post(
        "/console/admin/categories",
        &[
            ("name", "김치"),
            ("slug", "kimchi"),
            ("parent_id", ""),
            ("position", "1"),
            ("notice_fields", "원산지\r\n제조연월일\r\n\r\n유통기한"),
        ],
    )
    .await
    .assert_redirect_to("/console/admin/categories");
    let tree = catalog::admin_actions::all_categories(&app.state)
        .await
        .expect("tree");
    let parent = tree.iter().find(|c| c.slug == "kimchi").expect("kimchi");
    assert_eq!(parent.notice_fields, ["원산지", "제조연월일", "유통기한"]);
    let pid = parent.id.to_string();
    a.post(
        "/console/admin/categories",
        &[
            ("name", "순무김치"),
            ("slug", "sunmu-kimchi"),
            ("parent_id", &pid),
            ("position", ""),
            ("notice_fields", ""),
        ],
    )
    .await
    .assert_redirect_to("/console/admin/categories");
    let page = a.get("/console/admin/categories").await.body;
    assert!(
        page.contains("고시 항목: 원산지, 제조연월일, 유통기한"),
        "{page}"
    );
    assert!(page.contains("김치 › 순무김치"), "{page}");
    assert!(page.contains("상위 카테고리를 따름"), "{page}");
    // The same slug again is refused beside the field.
    let taken = a
        .post(
            "/console/admin/categories",
            &[("name", "김치 2"), ("slug", "kimchi")],
        )
        .await;
    assert_eq!(taken.status, 422, "{}", taken.body);
    assert!(taken.body.contains("id=\"e-slug\""), "{}", taken.body);
}

#[tokio::test]
async fn an_admin_approves_an_organisation_with_credit_and_changes_the_limit() {
    let app = spawn_app().await;
    let admin = app.login_account(Role::Admin).await;
    let org = pending_organisation(&app, 0).await;
    let rejected = pending_organisation(&app, 1).await;
    let mut a = app.console_as(&admin).await;
    let page = format!("/console/admin/organisations/{org}");
    a.get(&page).await;
    let bad = a
        .post(
            &format!("{page}/approve"),
            &[("credit_limit", "-5"), ("payment_terms_days", "181")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"e-credit_limit\""), "{}", bad.body);
    assert!(
        bad.body.contains("id=\"e-payment_terms_days\""),
        "{}",
        bad.body
    );
    a.post(
        &format!("{page}/approve"),
        &[("credit_limit", "5,000,000"), ("payment_terms_days", "")],
    )
    .await
    .assert_redirect_to(&page);
    let shown = a.get(&page).await.body;
    assert!(shown.contains("5,000,000"), "{shown}");
    assert!(shown.contains("30일"), "{shown}");
    a.post(
        &format!("{page}/credit-limit"),
        &[("credit_limit", "7000000")],
    )
    .await
    .assert_redirect_to(&page);
    assert!(a.get(&page).await.body.contains("7,000,000"));
    // Approving twice is a conflict on the page.
    let again = a
        .post(&format!("{page}/approve"), &[("credit_limit", "1")])
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    // Rejecting needs a reason.
    let other = format!("/console/admin/organisations/{rejected}");
    let no_reason = a.post(&format!("{other}/reject"), &[("reason", "")]).await;
    assert_eq!(no_reason.status, 422);
    assert!(no_reason.body.contains("id=\"e-reason\""));
    a.post(
        &format!("{other}/reject"),
        &[("reason", "사업자 확인 불가")],
    )
    .await
    .assert_redirect_to(&other);
    assert!(a.get(&other).await.body.contains("사업자 확인 불가"));
}

#[tokio::test]
async fn an_admin_creates_accounts_of_each_role_with_errors_beside_fields() {
    let app = spawn_app().await;
    let admin = app.login_account(Role::Admin).await;
    let vendor_login = app.vendor_login("강화순무농원").await;
    let mut a = app.console_as(&admin).await;
    a.get("/console/admin/accounts").await;
    let bad = a
        .post(
            "/console/admin/accounts",
            &[
                ("email", "not an email"),
                ("password", "x"),
                ("display_name", ""),
                ("role", "marketer"),
                ("vendor_id", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    for f in ["email", "password", "display_name"] {
        assert!(
            bad.body.contains(&format!("id=\"e-{f}\"")),
            "{f}: {}",
            bad.body
        );
    }
    assert!(
        bad.body.contains("not an email"),
        "the typed text comes back"
    );
    // A vendor account without its vendor is refused beside the vendor field.
    let unbound = a
        .post(
            "/console/admin/accounts",
            &[
                ("email", "staff@ganghwa.example"),
                ("password", "a long enough password 7"),
                ("display_name", "직원"),
                ("role", "vendor"),
                ("vendor_id", ""),
            ],
        )
        .await;
    assert_eq!(unbound.status, 422, "{}", unbound.body);
    assert!(
        unbound.body.contains("id=\"e-vendor_id\""),
        "{}",
        unbound.body
    );
    let vid = vendor_login.vendor_id.expect("vendor").to_string();
    a.post(
        "/console/admin/accounts",
        &[
            ("email", "staff@ganghwa.example"),
            ("password", "a long enough password 7"),
            ("display_name", "직원"),
            ("role", "vendor"),
            ("vendor_id", &vid),
        ],
    )
    .await
    .assert_redirect_to("/console/admin/accounts");
    let listed = a.get("/console/admin/accounts?role=vendor").await.body;
    assert!(listed.contains("staff@ganghwa.example"), "{listed}");
    // The new account signs in to its vendor's console.
    let mut staff = app.console();
    let landed = staff
        .sign_in(&Login {
            user_id: Uuid::nil(),
            email: "staff@ganghwa.example".into(),
            password: "a long enough password 7".into(),
            vendor_id: None,
        })
        .await;
    assert_eq!(landed.location.as_deref(), Some("/console/vendor"));
}

/// Polls the close's page as the admin's browser does until it says the close ended;
/// every look before that shows the progress.
async fn wait_for_close(a: &mut ConsoleClient, job: &str) -> String {
    for _ in 0..600 {
        let page = a.get(job).await;
        assert_eq!(page.status, 200, "{}", page.body);
        if page.body.contains("id=\"close-done\"") {
            return page.body;
        }
        assert!(page.body.contains("id=\"close-running\""), "{}", page.body);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the close never ended");
}

#[tokio::test]
async fn an_admin_closes_a_period_in_the_background_and_pays_the_statement() {
    let app = spawn_app().await;
    let admin = app.login_account(Role::Admin).await;
    let other_admin = app.login_account(Role::Admin).await;
    let vendor_login = app.vendor_login("강화순무농원").await;
    let vendor = vendor_login.vendor_id.expect("vendor");
    app.owe_vendor_12_345(vendor, admin.user_id).await;
    let mut a = app.console_as(&admin).await;
    let overview = a.get("/console/admin/settlements").await;
    assert!(overview.body.contains("12,345"), "owed: {}", overview.body);
    let bad = a
        .post(
            "/console/admin/settlements/close",
            &[("period_end", "어제")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"e-period_end\""), "{}", bad.body);
    let end = (promotions::seoul::day(chrono::Utc::now()) + chrono::Days::new(30)).to_string();
    let started = a
        .post("/console/admin/settlements/close", &[("period_end", &end)])
        .await;
    // The close does not block the answer: it says where its progress is.
    started.assert_redirect_to("/console/admin/settlements/close?job=");
    let job = started.location.expect("location");
    // Another admin's browser does not see this one's job.
    assert_eq!(
        app.console_as(&other_admin).await.get(&job).await.status,
        404
    );
    let done = wait_for_close(&mut a, &job).await;
    assert!(done.contains("정산서 1건"), "{done}");
    assert!(done.contains("12,345"), "{done}");
    // Closing again makes nothing new.
    let again = a
        .post("/console/admin/settlements/close", &[("period_end", &end)])
        .await;
    let again = wait_for_close(&mut a, &again.location.expect("location")).await;
    assert!(again.contains("정산서 0건"), "{again}");
    // The statement, then its payout.
    let statements = settlements::statements::list(&app.state.db, Some(vendor), None, 10)
        .await
        .expect("statements");
    assert_eq!(statements.len(), 1);
    let st = statements[0].id;
    let page = a
        .get(&format!("/console/admin/settlements/statements/{st}"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("배송 지연 보상 환급"), "{}", page.body);
    let scheduled = a
        .post(
            &format!("/console/admin/settlements/statements/{st}/payout"),
            &[],
        )
        .await;
    // The demo vendor may have no registered bank account: then the refusal is on the
    // page (not an error page); with one, the payout is scheduled.
    if scheduled.status == 303 {
        scheduled.assert_redirect_to("/console/admin/settlements?done=payout_scheduled");
        let sent = a.post("/console/admin/settlements/payouts/send", &[]).await;
        assert_eq!(sent.status, 200, "{}", sent.body);
        assert!(
            sent.headers
                .get("content-disposition")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("attachment")),
            "the bank file is a download"
        );
    } else {
        assert!(
            (400..500).contains(&scheduled.status),
            "{}: {}",
            scheduled.status,
            scheduled.body
        );
        assert!(
            scheduled.body.contains("class=\"alert error\""),
            "{}",
            scheduled.body
        );
    }
    // Holds: placed with a reason, then released.
    let no_reason = a
        .post(
            "/console/admin/settlements/holds",
            &[("vendor_id", &vendor.to_string()), ("reason", "")],
        )
        .await;
    assert_eq!(no_reason.status, 422, "{}", no_reason.body);
    a.post(
        "/console/admin/settlements/holds",
        &[
            ("vendor_id", &vendor.to_string()),
            ("reason", "분쟁 조사 중"),
        ],
    )
    .await
    .assert_redirect_to("/console/admin/settlements?done=held");
    let held = settlements::holds::list_open(&app.state.db)
        .await
        .expect("holds");
    assert_eq!(held.len(), 1);
    assert!(
        a.get("/console/admin/settlements")
            .await
            .body
            .contains("분쟁 조사 중")
    );
    a.post(
        &format!("/console/admin/settlements/holds/{}/release", held[0].id),
        &[],
    )
    .await
    .assert_redirect_to("/console/admin/settlements?done=released");
    assert!(
        settlements::holds::list_open(&app.state.db)
            .await
            .expect("holds")
            .is_empty()
    );
}
