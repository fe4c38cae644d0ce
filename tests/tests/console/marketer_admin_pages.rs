//! The marketer's and admin's pages without a browser: the right roles get each page,
//! everyone else the role guard, no POST passes without its CSRF token, and a refused form
//! shows its errors beside the fields.

use jikgu_tests::console::ConsoleClient;
use jikgu_tests::{TestApp, spawn_app};
use platform::auth::Role;
use uuid::Uuid;

const MARKETER_PAGES: &[&str] = &[
    "/console/marketer",
    "/console/marketer?status=draft",
    "/console/marketer/campaigns/new",
    "/console/marketer/campaigns/{campaign}",
    "/console/marketer/campaigns/{campaign}/preview",
    "/console/marketer/campaigns/{campaign}/preview?at=2027-01-20T10:00",
];

const MARKETER_POSTS: &[&str] = &[
    "/console/marketer/campaigns/new",
    "/console/marketer/campaigns/{campaign}/sections",
    "/console/marketer/campaigns/{campaign}/prices",
    "/console/marketer/campaigns/{campaign}/schedule",
    "/console/marketer/campaigns/{campaign}/end",
    "/console/marketer/campaigns/{campaign}",
    "/console/marketer/campaigns/{campaign}/sections/{section}",
    "/console/marketer/campaigns/{campaign}/sections/{section}/delete",
    "/console/marketer/campaigns/{campaign}/sections/{section}/move",
    "/console/marketer/campaigns/{campaign}/prices/{price}",
    "/console/marketer/campaigns/{campaign}/prices/{price}/delete",
];

const ADMIN_PAGES: &[&str] = &[
    "/console/admin",
    "/console/admin?status=",
    "/console/admin?status=approved",
    "/console/admin/vendors/{vendor}",
];

const ADMIN_POSTS: &[&str] = &[
    "/console/admin/vendors/{vendor}/approve",
    "/console/admin/vendors/{vendor}/reject",
];

/// A draft campaign made through the console's own form; returns its id.
async fn draft_campaign(c: &mut ConsoleClient) -> String {
    c.get("/console/marketer/campaigns/new").await;
    let page = c
        .post(
            "/console/marketer/campaigns/new",
            &[
                ("title", "설 선물 기획전"),
                ("slug", "seol-2027"),
                ("theme", "설"),
                ("description", "인천의 설 선물"),
                ("starts_at", "2027-01-20T10:00"),
                ("ends_at", "2027-02-05T23:59"),
                ("vendor_share_bp", "5000"),
            ],
        )
        .await;
    page.assert_redirect_to("/console/marketer/campaigns/");
    let to = page.location.expect("location");
    to.trim_start_matches("/console/marketer/campaigns/")
        .split('?')
        .next()
        .expect("id")
        .to_owned()
}

/// A section and a price on `campaign` made through the promotions functions; their ids.
async fn section_and_price(app: &TestApp, campaign: &str) -> (String, String) {
    let vendor = app.vendor_login("교동섬농원").await;
    let cat = app.category("rice", None, &[]).await;
    let (product, _) = app
        .vendor_product(&vendor, cat, "교동섬쌀 10kg", "GYODONG-10KG", 40000, 20)
        .await;
    let campaign: Uuid = campaign.parse().expect("campaign id");
    let actor = promotions::audit::Actor::SYSTEM;
    let section = promotions::campaigns::add_section(
        &app.state.db,
        actor,
        campaign,
        promotions::campaigns::NewSection {
            title: "쌀".into(),
            position: 0,
            product_ids: vec![product],
        },
    )
    .await
    .expect("section");
    let price = promotions::prices::add(
        &app.state.db,
        actor,
        campaign,
        promotions::prices::NewCampaignPrice {
            product_id: product,
            variant_id: None,
            kind: promotions::prices::PriceKind::Percent,
            value: 10,
            floor: 0,
        },
        None,
    )
    .await
    .expect("price");
    (section.section.id.to_string(), price.id.to_string())
}

/// A vendor that applied and waits for review; returns its id.
async fn pending_vendor(app: &TestApp) -> Uuid {
    let applicant = app.login_account(Role::Customer).await;
    catalog::vendors::apply(
        &app.state.db,
        applicant.user_id,
        jikgu_tests::fixtures::application("교동도 쌀방앗간", "23009"),
    )
    .await
    .expect("apply")
    .id
}

#[tokio::test]
async fn marketer_pages_open_for_marketers_and_admins_only() {
    let app = spawn_app().await;
    let marketer = app.login_account(Role::Marketer).await;
    let admin = app.login_account(Role::Admin).await;
    let vendor = app.vendor_login("강화순무농원").await;
    let mut m = app.console_as(&marketer).await;
    let mut a = app.console_as(&admin).await;
    let mut v = app.console_as(&vendor).await;
    let mut anonymous = app.console();
    let campaign = draft_campaign(&mut m).await;
    for path in MARKETER_PAGES {
        let path = &path.replace("{campaign}", &campaign);
        let page = m.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.body.contains("<html lang=\"ko\">"), "{path}");
        page.assert_post_forms_carry_the_token(path);
        assert_eq!(a.get(path).await.status, 200, "{path} for an admin");
        assert_eq!(v.get(path).await.status, 403, "{path} for a vendor");
        anonymous
            .get(path)
            .await
            .assert_redirect_to("/console/login?next=");
    }
    // The marketer's first page is the campaign list, with the new campaign on it.
    let home = m.get("/console/marketer").await;
    assert!(home.body.contains("설 선물 기획전"), "{}", home.body);
    // Signing in lands a marketer on it.
    let mut fresh = app.console();
    let landed = fresh.sign_in(&marketer).await;
    assert_eq!(landed.location.as_deref(), Some("/console/marketer"));
    assert_eq!(
        m.get("/console/marketer/campaigns/00000000-0000-0000-0000-000000000000")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn every_marketer_and_admin_post_needs_its_csrf_token_and_its_role() {
    let app = spawn_app().await;
    let marketer = app.login_account(Role::Marketer).await;
    let admin = app.login_account(Role::Admin).await;
    let mut m = app.console_as(&marketer).await;
    let mut a = app.console_as(&admin).await;
    let campaign = draft_campaign(&mut m).await;
    let vendor = pending_vendor(&app).await.to_string();
    let (section, price) = section_and_price(&app, &campaign).await;
    let fill = |p: &str| {
        p.replace("{campaign}", &campaign)
            .replace("{vendor}", &vendor)
            .replace("{section}", &section)
            .replace("{price}", &price)
    };
    for path in MARKETER_POSTS.iter().chain(ADMIN_POSTS) {
        let path = &fill(path);
        assert_eq!(m.post_raw(path, &[]).await.status, 403, "{path}");
        assert_eq!(
            a.post_raw(path, &[("_csrf", "forged")]).await.status,
            403,
            "{path}"
        );
    }
    // With its token, the wrong role is still refused: a marketer cannot decide on vendors.
    m.get("/console/marketer").await;
    for path in ADMIN_POSTS {
        let page = m.post(&fill(path), &[("reason", "서류 미비")]).await;
        assert_eq!(page.status, 403, "{path}");
    }
    let still = a.get(&fill("/console/admin/vendors/{vendor}")).await;
    assert!(still.body.contains("심사 대기"), "{}", still.body);
    // A vendor with its own token is refused by the role guard on every marketer form.
    let vendor_login = app.vendor_login("강화순무농원").await;
    let mut v = app.console_as(&vendor_login).await;
    v.get("/console/vendor").await;
    for path in MARKETER_POSTS {
        let page = v.post(&fill(path), &[("title", "x")]).await;
        assert_eq!(page.status, 403, "{path} for a vendor");
    }
    // Nothing changed on the campaign either.
    let page = m.get(&fill("/console/marketer/campaigns/{campaign}")).await;
    assert!(page.body.contains("준비 중"));
    assert!(page.body.contains("설 선물 기획전"));
    assert!(page.body.contains(&format!("id=\"section-{section}\"")));
    assert!(page.body.contains(&format!("id=\"price-{price}\"")));
}

#[tokio::test]
async fn admin_pages_open_for_admins_only() {
    let app = spawn_app().await;
    let admin = app.login_account(Role::Admin).await;
    let marketer = app.login_account(Role::Marketer).await;
    let vendor_login = app.vendor_login("강화순무농원").await;
    let mut a = app.console_as(&admin).await;
    let mut m = app.console_as(&marketer).await;
    let mut v = app.console_as(&vendor_login).await;
    let mut anonymous = app.console();
    let vendor = pending_vendor(&app).await.to_string();
    for path in ADMIN_PAGES {
        let path = &path.replace("{vendor}", &vendor);
        let page = a.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        page.assert_post_forms_carry_the_token(path);
        assert_eq!(m.get(path).await.status, 403, "{path} for a marketer");
        assert_eq!(v.get(path).await.status, 403, "{path} for a vendor");
        anonymous
            .get(path)
            .await
            .assert_redirect_to("/console/login?next=");
    }
    // Pending applications first, with the business number and the district.
    let home = a.get("/console/admin").await;
    assert!(home.body.contains("교동도 쌀방앗간"), "{}", home.body);
    assert!(home.body.contains("강화군"), "{}", home.body);
    assert!(
        !home.body.contains("강화순무농원"),
        "approved vendors are not pending"
    );
    assert_eq!(
        a.get("/console/admin/vendors/00000000-0000-0000-0000-000000000000")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn an_admin_rejects_with_a_reason_and_approves_and_errors_stand_beside_fields() {
    let app = spawn_app().await;
    let admin = app.login_account(Role::Admin).await;
    let mut a = app.console_as(&admin).await;
    let vendor = pending_vendor(&app).await;
    let page = format!("/console/admin/vendors/{vendor}");
    a.get(&page).await;
    // No reason: refused, the message is beside the field.
    let refused = a.post(&format!("{page}/reject"), &[("reason", " ")]).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("id=\"e-reason\""), "{}", refused.body);
    let done = a
        .post(
            &format!("{page}/reject"),
            &[("reason", "통신판매업 신고번호를 확인해 주세요")],
        )
        .await;
    done.assert_redirect_to(&page);
    let shown = a.get(&page).await;
    assert!(shown.body.contains("반려"));
    assert!(shown.body.contains("통신판매업 신고번호를 확인해 주세요"));
    // A rejected application may still be approved.
    a.post(&format!("{page}/approve"), &[])
        .await
        .assert_redirect_to(&page);
    let v = catalog::admin_actions::vendor(&app.state, vendor)
        .await
        .expect("vendor");
    assert_eq!(v.status, "approved");
    // Approving twice is a conflict shown on the page, not an error page.
    let again = a.post(&format!("{page}/approve"), &[]).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("지금 상태에서는 할 수 없는 작업입니다"));
}

#[tokio::test]
async fn a_campaign_form_shows_field_errors_and_the_preview_prices_at_an_instant() {
    let app = spawn_app().await;
    let marketer = app.login_account(Role::Marketer).await;
    let vendor = app.vendor_login("강화순무농원").await;
    let cat = app.category("kimchi", None, &[]).await;
    let (product, _) = app
        .vendor_product(&vendor, cat, "강화순무김치 1kg", "SUNMU-1KG", 20000, 20)
        .await;
    let mut m = app.console_as(&marketer).await;
    m.get("/console/marketer/campaigns/new").await;
    let bad = m
        .post(
            "/console/marketer/campaigns/new",
            &[
                ("title", "설"),
                ("slug", "Not A Slug"),
                ("starts_at", "2027-02-05T10:00"),
                ("ends_at", "2027-01-20T10:00"),
                ("vendor_share_bp", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"e-slug\""), "{}", bad.body);
    assert!(bad.body.contains("id=\"e-ends_at\""), "{}", bad.body);
    assert!(bad.body.contains("Not A Slug"), "the typed text comes back");

    let id = draft_campaign(&mut m).await;
    let base = format!("/console/marketer/campaigns/{id}");
    m.get(&base).await;
    let p = product.to_string();
    m.post(
        &format!("{base}/sections"),
        &[("title", "설 선물"), ("position", "0"), ("product_ids", &p)],
    )
    .await
    .assert_redirect_to(&base);
    let bad_price = m
        .post(
            &format!("{base}/prices"),
            &[
                ("product_id", &p),
                ("kind", "fixed_price"),
                ("value", "열오천"),
                ("floor", ""),
            ],
        )
        .await;
    assert_eq!(bad_price.status, 422);
    assert!(
        bad_price.body.contains("id=\"e-value\""),
        "{}",
        bad_price.body
    );
    m.post(
        &format!("{base}/prices"),
        &[
            ("product_id", &p),
            ("kind", "fixed_price"),
            ("value", "15,000"),
            ("floor", ""),
        ],
    )
    .await
    .assert_redirect_to(&base);
    // Before the start the list price shows; at the start the campaign's price.
    let before = m.get(&format!("{base}/preview?at=2027-01-20T09:59")).await;
    assert!(before.body.contains("시작 전"), "{}", before.body);
    assert!(!before.body.contains("15,000원"), "{}", before.body);
    let at_start = m.get(&format!("{base}/preview?at=2027-01-20T10:00")).await;
    assert!(at_start.body.contains("진행 중"), "{}", at_start.body);
    assert!(at_start.body.contains("15,000원"), "{}", at_start.body);
    assert!(at_start.body.contains("25%"), "{}", at_start.body);
    let nonsense = m.get(&format!("{base}/preview?at=yesterday")).await;
    assert_eq!(nonsense.status, 422);
    assert!(nonsense.body.contains("id=\"e-at\""));
    // Schedule, then end.
    m.post(&format!("{base}/schedule"), &[])
        .await
        .assert_redirect_to(&base);
    assert!(m.get(&base).await.body.contains("예약됨"));
    m.post(&format!("{base}/end"), &[])
        .await
        .assert_redirect_to(&base);
    assert!(m.get(&base).await.body.contains("종료"));
}

#[tokio::test]
async fn the_photo_page_opens_for_its_vendor_only_and_its_posts_need_the_token() {
    let app = spawn_app().await;
    let vendor = app.vendor_login("강화순무농원").await;
    let other = app.vendor_login("교동쌀").await;
    let marketer = app.login_account(Role::Marketer).await;
    let cat = app.category("kimchi", None, &[]).await;
    let (product, _) = app
        .vendor_product(&vendor, cat, "강화순무김치 1kg", "SUNMU-1KG", 20000, 20)
        .await;
    let page = format!("/console/vendor/products/{product}/images");
    let mut v = app.console_as(&vendor).await;
    let shown = v.get(&page).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("accept=\"image/*\""));
    assert!(shown.body.contains("capture=\"environment\""));
    assert!(shown.body.contains("enctype=\"multipart/form-data\""));
    assert_eq!(app.console_as(&other).await.get(&page).await.status, 404);
    assert_eq!(app.console_as(&marketer).await.get(&page).await.status, 403);
    app.console()
        .get(&page)
        .await
        .assert_redirect_to("/console/login?next=");
    let img = Uuid::now_v7();
    for path in [
        page.clone(),
        format!("{page}/{img}/cover"),
        format!("{page}/{img}/delete"),
    ] {
        assert_eq!(v.post_raw(&path, &[]).await.status, 403, "{path}");
    }
    // With its token, another vendor's photo id is not found.
    v.get(&page).await;
    assert_eq!(
        v.post(&format!("{page}/{img}/delete"), &[]).await.status,
        404
    );
}

#[tokio::test]
async fn a_marketer_edits_the_campaign_its_sections_and_its_prices() {
    let app = spawn_app().await;
    let marketer = app.login_account(Role::Marketer).await;
    let vendor = app.vendor_login("강화순무농원").await;
    let cat = app.category("kimchi", None, &[]).await;
    let (kimchi, _) = app
        .vendor_product(&vendor, cat, "강화순무김치 1kg", "SUNMU-1KG", 20000, 20)
        .await;
    let (rice, _) = app
        .vendor_product(&vendor, cat, "강화섬쌀 10kg", "SSAL-10KG", 40000, 20)
        .await;
    let mut m = app.console_as(&marketer).await;
    let id = draft_campaign(&mut m).await;
    let base = format!("/console/marketer/campaigns/{id}");
    m.get(&base).await;

    // The campaign: a window that ends before it starts is refused beside the field, with
    // the typed text back; a good edit is saved through the API's update.
    let bad = m
        .post(
            &base,
            &[
                ("title", "설 선물 대잔치"),
                ("description", "고친 소개"),
                ("starts_at", "2027-01-20T10:00"),
                ("ends_at", "2027-01-19T10:00"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"e-ends_at\""), "{}", bad.body);
    assert!(
        bad.body.contains("설 선물 대잔치"),
        "the typed text comes back"
    );
    m.post(
        &base,
        &[
            ("title", "설 선물 대잔치"),
            ("description", "고친 소개"),
            ("starts_at", "2027-01-21T09:00"),
            ("ends_at", "2027-02-06T23:59"),
        ],
    )
    .await
    .assert_redirect_to(&base);
    let c = promotions::campaigns::get(&app.state.db, id.parse().expect("id"))
        .await
        .expect("campaign");
    assert_eq!(c.title, "설 선물 대잔치");
    assert_eq!(c.description, "고친 소개");
    assert_eq!(
        promotions::seoul::show(c.starts_at).to_rfc3339(),
        "2027-01-21T09:00:00+09:00",
        "typed in Korean time"
    );

    // Two sections; the second moves up, the first is renamed and refilled, then deleted.
    for title in ["김치", "쌀"] {
        m.post(
            &format!("{base}/sections"),
            &[
                ("title", title),
                ("position", "0"),
                ("product_ids", &kimchi.to_string()),
            ],
        )
        .await
        .assert_redirect_to(&base);
    }
    let sections = promotions::campaigns::sections(&app.state.db, id.parse().expect("id"))
        .await
        .expect("sections");
    let (first, second) = (sections[0].section.id, sections[1].section.id);
    m.post(
        &format!("{base}/sections/{second}/move"),
        &[("direction", "up")],
    )
    .await
    .assert_redirect_to(&base);
    let page = m.get(&base).await;
    let at = |needle: String| page.body.find(&needle).expect("section on the page");
    assert!(
        at(format!("id=\"section-{second}\"")) < at(format!("id=\"section-{first}\"")),
        "moved up"
    );
    let bad = m
        .post(
            &format!("{base}/sections/{first}"),
            &[("title", " "), ("product_ids", &rice.to_string())],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"e-title\""), "{}", bad.body);
    m.post(
        &format!("{base}/sections/{first}"),
        &[
            ("title", "김치와 쌀"),
            ("product_ids", &kimchi.to_string()),
            ("product_ids", &rice.to_string()),
        ],
    )
    .await
    .assert_redirect_to(&base);
    let sections = promotions::campaigns::sections(&app.state.db, id.parse().expect("id"))
        .await
        .expect("sections");
    let renamed = sections
        .iter()
        .find(|s| s.section.id == first)
        .expect("section");
    assert_eq!(renamed.section.title, "김치와 쌀");
    assert_eq!(renamed.product_ids, vec![kimchi, rice]);
    m.post(&format!("{base}/sections/{second}/delete"), &[])
        .await
        .assert_redirect_to(&base);
    assert!(
        !m.get(&base)
            .await
            .body
            .contains(&format!("id=\"section-{second}\""))
    );

    // A price: its value changed, a value out of range refused beside it, then removed.
    m.post(
        &format!("{base}/prices"),
        &[
            ("product_id", &kimchi.to_string()),
            ("kind", "percent"),
            ("value", "10"),
            ("floor", ""),
        ],
    )
    .await
    .assert_redirect_to(&base);
    let price = promotions::prices::of_campaign(&app.state.db, id.parse().expect("id"))
        .await
        .expect("prices")[0]
        .id;
    let bad = m
        .post(
            &format!("{base}/prices/{price}"),
            &[("value", "150"), ("floor", "0")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"e-value\""), "{}", bad.body);
    m.post(
        &format!("{base}/prices/{price}"),
        &[("value", "20"), ("floor", "15,000")],
    )
    .await
    .assert_redirect_to(&base);
    let p = &promotions::prices::of_campaign(&app.state.db, id.parse().expect("id"))
        .await
        .expect("prices")[0];
    assert_eq!((p.value, p.floor), (20, 15000));
    m.post(&format!("{base}/prices/{price}/delete"), &[])
        .await
        .assert_redirect_to(&base);
    assert!(
        promotions::prices::of_campaign(&app.state.db, id.parse().expect("id"))
            .await
            .expect("prices")
            .is_empty()
    );

    // Once ended, the edit forms are gone and a stale one is refused.
    m.post(&format!("{base}/schedule"), &[])
        .await
        .assert_redirect_to(&base);
    m.post(&format!("{base}/end"), &[])
        .await
        .assert_redirect_to(&base);
    let page = m.get(&base).await;
    assert!(!page.body.contains("id=\"campaign-form\""));
    let stale = m
        .post(
            &base,
            &[
                ("title", "다시"),
                ("description", ""),
                ("starts_at", "2027-01-21T09:00"),
                ("ends_at", "2027-02-06T23:59"),
            ],
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
}
