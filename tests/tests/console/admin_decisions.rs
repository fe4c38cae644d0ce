//! The admin's decisions in the console: rejecting a certification with a reason,
//! editing and moving a category, an account's role and disable/enable. Without a
//! browser: status and role guard per page, CSRF refusal on every new POST, one flow
//! per screen.

use jikgu_tests::spawn_app;
use platform::auth::Role;
use uuid::Uuid;

#[tokio::test]
async fn the_new_forms_open_for_admins_only_and_every_post_needs_its_csrf_token() {
    let app = spawn_app().await;
    let admin = app.login_account(Role::Admin).await;
    let marketer = app.login_account(Role::Marketer).await;
    let vendor_login = app.vendor_login("강화순무농원").await;
    let cert = app
        .submitted_certification(vendor_login.vendor_id.expect("vendor"))
        .await;
    let cat = app.category("kimchi", None, &["원산지"]).await;
    let target = app.login_account(Role::Customer).await;
    let mut a = app.console_as(&admin).await;
    let mut m = app.console_as(&marketer).await;
    let mut v = app.console_as(&vendor_login).await;

    let edit = format!("/console/admin/categories?edit={cat}");
    let page = a.get(&edit).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("id=\"category-edit-form\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("원산지</textarea>"),
        "prefilled: {}",
        page.body
    );
    assert_eq!(m.get(&edit).await.status, 403);
    assert_eq!(v.get(&edit).await.status, 403);
    let certs = a.get("/console/admin/certifications").await.body;
    assert!(certs.contains(&format!("/console/admin/certifications/{cert}/reject")));
    let accounts = a.get("/console/admin/accounts").await.body;
    assert!(accounts.contains(&format!(
        "/console/admin/accounts/{}/disable",
        target.user_id
    )));
    assert!(accounts.contains(&format!("/console/admin/accounts/{}/role", target.user_id)));
    assert!(
        !accounts.contains(&format!(
            "/console/admin/accounts/{}/disable",
            admin.user_id
        )),
        "no disable button on one's own row"
    );
    // Every input of the new forms has its label.
    for body in [&certs, &accounts, &a.get(&edit).await.body] {
        for id in body.split("<input id=\"").skip(1) {
            let id = id.split('"').next().unwrap_or_default();
            assert!(body.contains(&format!("for=\"{id}\"")), "no label for {id}");
        }
    }

    let posts = [
        format!("/console/admin/certifications/{cert}/reject"),
        format!("/console/admin/categories/{cat}"),
        format!("/console/admin/accounts/{}/role", target.user_id),
        format!("/console/admin/accounts/{}/disable", target.user_id),
        format!("/console/admin/accounts/{}/enable", target.user_id),
    ];
    let fields = [
        ("reason", "번호가 명단에 없습니다"),
        ("name", "김치"),
        ("parent_id", ""),
        ("position", "0"),
        ("role", "admin"),
    ];
    a.get("/console/admin").await;
    m.get("/console/marketer").await;
    v.get("/console/vendor").await;
    for path in &posts {
        assert_eq!(a.post_raw(path, &[]).await.status, 403, "{path}");
        assert_eq!(
            a.post_raw(path, &[("_csrf", "forged")]).await.status,
            403,
            "{path}"
        );
        assert_eq!(m.post(path, &fields).await.status, 403, "{path}");
        assert_eq!(v.post(path, &fields).await.status, 403, "{path}");
    }
    // Nothing changed.
    let certs = a.get("/console/admin/certifications").await.body;
    assert!(certs.contains(&format!("cert-{cert}")), "still pending");
    let u = platform::accounts::service::find_user(&app.state.db, target.user_id)
        .await
        .expect("user");
    assert_eq!((u.role.as_str(), u.status.as_str()), ("customer", "active"));
}

#[tokio::test]
async fn an_admin_rejects_a_certification_with_a_reason() {
    let app = spawn_app().await;
    let admin = app.login_account(Role::Admin).await;
    let vendor_login = app.vendor_login("강화순무농원").await;
    let cert = app
        .submitted_certification(vendor_login.vendor_id.expect("vendor"))
        .await;
    let mut a = app.console_as(&admin).await;
    a.get("/console/admin/certifications").await;
    let path = format!("/console/admin/certifications/{cert}/reject");
    let refused = a.post(&path, &[("reason", " ")]).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains(&format!("id=\"e-reason-{cert}\"")),
        "beside that row's reason: {}",
        refused.body
    );
    a.post(&path, &[("reason", "발급 기관 명단에 없는 번호입니다")])
        .await
        .assert_redirect_to("/console/admin/certifications?done=cert_rejected");
    let list = a
        .get("/console/admin/certifications?done=cert_rejected")
        .await
        .body;
    assert!(list.contains("인증을 반려했습니다"), "{list}");
    assert!(!list.contains(&format!("cert-{cert}")), "left the list");
    let again = a.post(&path, &[("reason", "또")]).await;
    assert_eq!(again.status, 409, "{}", again.body);
    let verify = a
        .post(&format!("/console/admin/certifications/{cert}/verify"), &[])
        .await;
    assert_eq!(
        verify.status, 409,
        "a rejected certification is not verified later"
    );
    // The vendor sees why on its shop page.
    let mut v = app.console_as(&vendor_login).await;
    let shop = v.get("/console/vendor/shop").await.body;
    assert!(
        shop.contains("반려: 발급 기관 명단에 없는 번호입니다"),
        "{shop}"
    );
}

#[tokio::test]
async fn an_admin_edits_and_moves_a_category_but_not_under_itself() {
    let app = spawn_app().await;
    let admin = app.login_account(Role::Admin).await;
    let food = app.category("food", None, &[]).await;
    let kimchi = app.category("kimchi", Some(food), &[]).await;
    let radish = app.category("radish-kimchi", Some(kimchi), &[]).await;
    let crafts = app.category("crafts", None, &[]).await;
    let mut a = app.console_as(&admin).await;
    a.get(&format!("/console/admin/categories?edit={kimchi}"))
        .await;
    let path = format!("/console/admin/categories/{kimchi}");
    let cycle = a
        .post(
            &path,
            &[
                ("name", "김치"),
                ("parent_id", &radish.to_string()),
                ("position", "0"),
            ],
        )
        .await;
    assert_eq!(cycle.status, 422, "{}", cycle.body);
    assert!(cycle.body.contains("id=\"e-parent_id\""), "{}", cycle.body);
    assert!(cycle.body.contains("하위 카테고리"), "{}", cycle.body);
    let nan = a
        .post(
            &path,
            &[("name", "김치"), ("parent_id", ""), ("position", "첫째")],
        )
        .await;
    assert_eq!(nan.status, 422, "{}", nan.body);
    assert!(nan.body.contains("id=\"e-position\""), "{}", nan.body);
    a.post(
        &path,
        &[
            ("name", "김치류"),
            ("parent_id", &crafts.to_string()),
            ("position", "2"),
            ("notice_fields", "제조연월일\n유통기한"),
        ],
    )
    .await
    .assert_redirect_to("/console/admin/categories?done=category_saved");
    let tree = a.get("/console/admin/categories").await.body;
    assert!(tree.contains("김치류"), "{tree}");
    assert!(tree.contains("제조연월일, 유통기한"), "{tree}");
    let row = catalog::categories::required_notice_fields(&app.state.db, radish)
        .await
        .expect("fields");
    assert_eq!(row, vec!["제조연월일".to_owned(), "유통기한".to_owned()]);
    assert_eq!(
        a.get(&format!(
            "/console/admin/categories?edit={}",
            Uuid::now_v7()
        ))
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn an_admin_changes_a_role_and_a_disabled_account_is_signed_out_at_once() {
    let app = spawn_app().await;
    let admin = app.login_account(Role::Admin).await;
    let marketer = app.login_account(Role::Marketer).await;
    let mut a = app.console_as(&admin).await;
    let mut m = app.console_as(&marketer).await;
    assert_eq!(m.get("/console/marketer").await.status, 200);
    a.get("/console/admin/accounts").await;

    // Own account: refused on the page.
    let own = a
        .post(
            &format!("/console/admin/accounts/{}/disable", admin.user_id),
            &[],
        )
        .await;
    assert_eq!(own.status, 409, "{}", own.body);
    assert!(own.body.contains("자기 계정"), "{}", own.body);
    let own = a
        .post(
            &format!("/console/admin/accounts/{}/role", admin.user_id),
            &[("role", "customer"), ("vendor_id", "")],
        )
        .await;
    assert_eq!(own.status, 409, "{}", own.body);
    // A vendor role needs a vendor.
    let unbound = a
        .post(
            &format!("/console/admin/accounts/{}/role", marketer.user_id),
            &[("role", "vendor"), ("vendor_id", "")],
        )
        .await;
    assert_eq!(unbound.status, 422, "{}", unbound.body);

    // Promoted to admin: the next page of their session already shows admin sections.
    a.post(
        &format!("/console/admin/accounts/{}/role", marketer.user_id),
        &[("role", "admin"), ("vendor_id", "")],
    )
    .await
    .assert_redirect_to("/console/admin/accounts?done=role_changed");
    assert_eq!(m.get("/console/admin/accounts").await.status, 200);
    // Demoted back: refused at once.
    a.post(
        &format!("/console/admin/accounts/{}/role", marketer.user_id),
        &[("role", "marketer"), ("vendor_id", "")],
    )
    .await
    .assert_redirect_to("/console/admin/accounts");
    assert_eq!(m.get("/console/admin/accounts").await.status, 403);

    // Disabled: their session stops working and they cannot sign in again.
    a.post(
        &format!("/console/admin/accounts/{}/disable", marketer.user_id),
        &[],
    )
    .await
    .assert_redirect_to("/console/admin/accounts?done=account_disabled");
    m.get("/console/marketer")
        .await
        .assert_redirect_to("/console/login");
    let mut fresh = app.console();
    fresh.get("/console/login").await;
    let refused = fresh
        .post(
            "/console/login",
            &[("email", &marketer.email), ("password", &marketer.password)],
        )
        .await;
    assert!(refused.status >= 400, "{}", refused.body);
    let list = a
        .get("/console/admin/accounts?done=account_disabled")
        .await
        .body;
    assert!(list.contains("계정 사용을 중지했습니다"), "{list}");
    assert!(list.contains(&format!(
        "/console/admin/accounts/{}/enable",
        marketer.user_id
    )));

    a.post(
        &format!("/console/admin/accounts/{}/enable", marketer.user_id),
        &[],
    )
    .await
    .assert_redirect_to("/console/admin/accounts?done=account_enabled");
    app.console_as(&marketer).await;
    use platform::accounts::entity::account_audit;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let audit = account_audit::Entity::find()
        .filter(account_audit::Column::AccountId.eq(marketer.user_id))
        .order_by_desc(account_audit::Column::Id)
        .all(&app.state.db)
        .await
        .expect("audit");
    let actions: Vec<&str> = audit.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["enabled", "disabled", "role_changed", "role_changed"]
    );
}

#[tokio::test]
async fn the_audit_log_names_the_actor_shows_a_field_table_and_filters() {
    let app = spawn_app().await;
    let (m1, m1_id) = app.account(Role::Marketer, None).await;
    let (m2, _) = app.account(Role::Marketer, None).await;
    for (m, slug) in [(&m1, "seol"), (&m2, "chuseok")] {
        let r = m
            .post(
                "/v1/marketing/campaigns",
                &serde_json::json!({"title": format!("기획전 {slug}"), "slug": slug,
                    "starts_at": "2030-01-01T10:00:00+09:00", "ends_at": "2030-01-10T10:00:00+09:00"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let m1_email = platform::accounts::service::find_user(&app.state.db, m1_id)
        .await
        .expect("user")
        .email;
    let marketer = app.login_account(Role::Marketer).await;
    let mut c = app.console_as(&marketer).await;

    let all = c.get("/console/marketer/audit").await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert!(
        all.body.contains("test marketer"),
        "the actor's name: {}",
        all.body
    );
    assert!(all.body.contains(&m1_email), "and email");
    assert!(
        all.body.contains("class=\"actor\">test marketer"),
        "a name, not an id, in the actor's cell"
    );
    assert!(
        all.body.contains("<code>title</code>"),
        "a field table: {}",
        all.body
    );
    assert!(all.body.contains("기획전 seol") && all.body.contains("기획전 chuseok"));
    assert!(!all.body.contains("&quot;title&quot;"), "no raw JSON");

    let mine = c
        .get(&format!(
            "/console/marketer/audit?actor={m1_email}&entity=campaign"
        ))
        .await
        .body;
    assert!(mine.contains("기획전 seol"), "{mine}");
    assert!(!mine.contains("기획전 chuseok"), "{mine}");
    let today = promotions::seoul::day(chrono::Utc::now());
    let in_range = c
        .get(&format!("/console/marketer/audit?from={today}&to={today}"))
        .await
        .body;
    assert!(in_range.contains("기획전 seol"), "{in_range}");
    let later = today.succ_opt().expect("tomorrow");
    let none = c
        .get(&format!("/console/marketer/audit?from={later}"))
        .await
        .body;
    assert!(none.contains("기록이 없습니다"), "{none}");
    // Mistakes stand beside their filters, never a 500.
    let bad = c
        .get("/console/marketer/audit?from=어제&actor=nobody@example.com")
        .await;
    assert_eq!(bad.status, 200, "{}", bad.body);
    assert!(bad.body.contains("id=\"e-from\""), "{}", bad.body);
    assert!(bad.body.contains("id=\"e-actor\""), "{}", bad.body);
    // A vendor is refused.
    let vendor_login = app.vendor_login("강화순무농원").await;
    let mut v = app.console_as(&vendor_login).await;
    assert_eq!(v.get("/console/marketer/audit").await.status, 403);
}

#[tokio::test]
async fn the_payouts_on_the_settlements_page_come_in_cursor_pages() {
    let app = spawn_app().await;
    jikgu::seed::seed_demo(&app.state).await.expect("seed");
    // More than a page (20): failed copies of a payout the demo made.
    app.more_payouts(21, "페이지 시험").await;
    let admin = app.login_account(Role::Admin).await;
    let mut a = app.console_as(&admin).await;
    let first = a.get("/console/admin/settlements").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let rows = |body: &str| body.matches("<tr id=\"payout-").count();
    assert_eq!(rows(&first.body), 20, "one page");
    let at = first.body.find("payouts_cursor=").expect("a next page") + "payouts_cursor=".len();
    let cursor: String = first.body[at..]
        .chars()
        .take_while(|c| *c != '#' && *c != '"')
        .collect();
    let second = a
        .get(&format!(
            "/console/admin/settlements?payouts_cursor={cursor}"
        ))
        .await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert!(rows(&second.body) >= 2, "the rest: {}", second.body);
    assert_eq!(
        a.get("/console/admin/settlements?payouts_cursor=bogus")
            .await
            .status,
        422
    );
}

#[tokio::test]
async fn the_account_audit_page_shows_who_changed_whose_role_to_admins_only() {
    let app = spawn_app().await;
    let admin = app.login_account(Role::Admin).await;
    let marketer = app.login_account(Role::Marketer).await;
    let vendor_login = app.vendor_login("강화순무농원").await;
    let target = app.login_account(Role::Customer).await;
    let mut a = app.console_as(&admin).await;
    let mut m = app.console_as(&marketer).await;
    let mut v = app.console_as(&vendor_login).await;

    let accounts = a.get("/console/admin/accounts").await.body;
    assert!(
        accounts.contains("href=\"/console/admin/accounts/audit\""),
        "{accounts}"
    );
    let own = format!(
        "/console/admin/accounts/audit?account_id={}",
        target.user_id
    );
    assert!(accounts.contains(&own), "{accounts}");
    a.post(
        &format!("/console/admin/accounts/{}/role", target.user_id),
        &[("role", "marketer"), ("vendor_id", "")],
    )
    .await
    .assert_redirect_to("/console/admin/accounts?done=role_changed");

    for path in ["/console/admin/accounts/audit", own.as_str()] {
        let page = a.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        let body = &page.body;
        assert!(body.contains("계정 변경 기록"), "{body}");
        assert!(body.contains(&admin.email), "actor: {body}");
        assert!(body.contains(&target.email), "account: {body}");
        assert!(body.contains("역할 변경"), "{body}");
        assert!(
            body.contains("<td data-label=\"전\">고객</td>"),
            "before: {body}"
        );
        assert!(
            body.contains("<td data-label=\"후\">마케터</td>"),
            "after: {body}"
        );
    }
    // Another account's trail has no such row.
    let other = a
        .get(&format!(
            "/console/admin/accounts/audit?account_id={}",
            marketer.user_id
        ))
        .await
        .body;
    assert!(other.contains("변경 기록이 없습니다"), "{other}");

    for path in ["/console/admin/accounts/audit", own.as_str()] {
        assert_eq!(m.get(path).await.status, 403, "{path} for a marketer");
        assert_eq!(v.get(path).await.status, 403, "{path} for a vendor");
        app.console()
            .get(path)
            .await
            .assert_redirect_to("/console/login?next=");
    }
}
