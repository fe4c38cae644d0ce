//! The marketer's review, coupon, deal, policy, report and audit pages without a browser:
//! marketers and admins get each page, vendors the role guard (a customer account cannot
//! sign in to the console at all: `sign_in.rs`), nobody gets
//! through a POST without its CSRF token, and each form does what it says (errors beside
//! the fields, the same messages as the API's 422).

use jikgu_tests::console::{ConsoleClient, Login};
use jikgu_tests::{TestApp, spawn_app};
use platform::auth::Role;
use promotions::audit::Actor;
use promotions::prices::PriceKind;
use uuid::Uuid;

const PAGES: &[&str] = &[
    "/console/marketer/applications",
    "/console/marketer/applications?campaign={campaign}&status=pending",
    "/console/marketer/campaigns/{campaign}/stats",
    "/console/marketer/coupons",
    "/console/marketer/coupons/new",
    "/console/marketer/coupons/{coupon}",
    "/console/marketer/deals",
    "/console/marketer/stacking",
    "/console/marketer/reports",
    "/console/marketer/reports?kind=quarter&quarter=2026Q4&by1=channel&by2=district",
    "/console/marketer/reports?kind=range&from=2026-10-01&to=2026-11-30&by1=month",
    "/console/marketer/reports/chart.svg?kind=quarter&quarter=2026Q4&chart=district_share",
    "/console/marketer/reports/uploads",
    "/console/marketer/audit",
    "/console/marketer/audit?entity=coupon&entity_id={coupon}",
];

const POSTS: &[&str] = &[
    "/console/marketer/applications/{application}/approve",
    "/console/marketer/applications/{application}/reject",
    "/console/marketer/coupons/new",
    "/console/marketer/coupons/{coupon}/disable",
    "/console/marketer/coupons/{coupon}/issues",
    "/console/marketer/coupons/{coupon}/drops",
    "/console/marketer/deals",
    "/console/marketer/stacking",
    "/console/marketer/reports/exports",
    "/console/marketer/reports/uploads",
];

/// The id at the end of a redirect to `prefix{id}?…`.
fn id_after(location: Option<String>, prefix: &str) -> String {
    location
        .expect("location")
        .trim_start_matches(prefix)
        .split('?')
        .next()
        .expect("id")
        .to_owned()
}

/// A scheduled campaign made through the console; returns its id.
pub(crate) async fn scheduled_campaign(m: &mut ConsoleClient, slug: &str) -> String {
    m.get("/console/marketer/campaigns/new").await;
    let made = m
        .post(
            "/console/marketer/campaigns/new",
            &[
                ("title", "설 선물 기획전"),
                ("slug", slug),
                ("theme", "설"),
                ("description", ""),
                ("starts_at", "2027-01-20T10:00"),
                ("ends_at", "2027-02-05T23:59"),
                ("vendor_share_bp", "5000"),
            ],
        )
        .await;
    made.assert_redirect_to("/console/marketer/campaigns/");
    let id = id_after(made.location, "/console/marketer/campaigns/");
    m.post(&format!("/console/marketer/campaigns/{id}/schedule"), &[])
        .await
        .assert_redirect_to("/console/marketer/campaigns/");
    id
}

/// A coupon made through the console's form; returns its id.
async fn coupon(m: &mut ConsoleClient, code: &str) -> String {
    m.get("/console/marketer/coupons/new").await;
    let made = m
        .post(
            "/console/marketer/coupons/new",
            &[
                ("name", "설맞이 10% 쿠폰"),
                ("code", code),
                ("kind", "percent"),
                ("percent", "10"),
                ("cap", "5,000"),
                ("amount", ""),
                ("min_order", "20000"),
                ("scope", "all"),
                ("starts_at", "2027-01-20T10:00"),
                ("ends_at", "2027-02-05T23:59"),
                ("total_uses", "100"),
                ("per_customer_limit", "1"),
                ("budget", ""),
                ("vendor_share_bp", "0"),
            ],
        )
        .await;
    made.assert_redirect_to("/console/marketer/coupons/");
    id_after(made.location, "/console/marketer/coupons/")
}

/// A vendor's pending application to `campaign`: `percent` off its product.
pub(crate) async fn application(
    app: &TestApp,
    vendor: &Login,
    product: Uuid,
    campaign: &str,
    percent: i64,
) -> Uuid {
    promotions::applications::apply(
        &app.state.db,
        Actor {
            id: Some(vendor.user_id),
            role: "vendor",
        },
        vendor.vendor_id.expect("vendor"),
        campaign.parse().expect("campaign id"),
        promotions::applications::NewApplication {
            product_id: product,
            discount_kind: PriceKind::Percent,
            discount_value: percent,
            note: "설 특가로 참여합니다".into(),
        },
    )
    .await
    .expect("apply")
    .id
}

#[tokio::test]
async fn the_new_marketer_pages_open_for_marketers_and_admins_only() {
    let app = spawn_app().await;
    let marketer = app.login_account(Role::Marketer).await;
    let admin = app.login_account(Role::Admin).await;
    let vendor = app.vendor_login("강화순무농원").await;
    let mut m = app.console_as(&marketer).await;
    let mut a = app.console_as(&admin).await;
    let mut v = app.console_as(&vendor).await;
    let mut anonymous = app.console();
    let campaign = scheduled_campaign(&mut m, "seol-2027").await;
    let coupon = coupon(&mut m, "SEOL10").await;
    for path in PAGES {
        let path = &path
            .replace("{campaign}", &campaign)
            .replace("{coupon}", &coupon);
        let page = m.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        if !path.contains(".svg") {
            assert!(page.body.contains("<html lang=\"ko\">"), "{path}");
            page.assert_post_forms_carry_the_token(path);
            assert!(
                page.body.contains("aria-current=\"page\""),
                "{path}: a section is marked"
            );
        }
        assert_eq!(a.get(path).await.status, 200, "{path} for an admin");
        assert_eq!(v.get(path).await.status, 403, "{path} for a vendor");
        anonymous
            .get(path)
            .await
            .assert_redirect_to("/console/login?next=");
    }
    let chart = m
        .get(
            "/console/marketer/reports/chart.svg?kind=quarter&quarter=2026Q4&chart=channel_monthly",
        )
        .await;
    assert_eq!(
        chart
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/svg+xml")
    );
    assert!(chart.body.contains("<svg"), "{}", chart.body);
    // The menu names every section.
    let home = m.get("/console/marketer").await;
    for label in [
        "참여 신청",
        "쿠폰",
        "타임딜",
        "중복 할인",
        "실적",
        "변경 기록",
    ] {
        assert!(home.body.contains(label), "{label}");
    }
    assert_eq!(
        m.get("/console/marketer/coupons/00000000-0000-0000-0000-000000000000")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn every_new_marketer_post_needs_its_csrf_token_and_its_role() {
    let app = spawn_app().await;
    let marketer = app.login_account(Role::Marketer).await;
    let vendor = app.vendor_login("강화순무농원").await;
    let cat = app.category("kimchi", None, &[]).await;
    let (product, _) = app
        .vendor_product(&vendor, cat, "강화순무김치 1kg", "SUNMU-1KG", 20000, 20)
        .await;
    let mut m = app.console_as(&marketer).await;
    let mut v = app.console_as(&vendor).await;
    let campaign = scheduled_campaign(&mut m, "seol-2027").await;
    let coupon = coupon(&mut m, "SEOL10").await;
    let app_id = application(&app, &vendor, product, &campaign, 10)
        .await
        .to_string();
    let fill = |p: &str| {
        p.replace("{coupon}", &coupon)
            .replace("{application}", &app_id)
    };
    for path in POSTS {
        let path = &fill(path);
        assert_eq!(m.post_raw(path, &[]).await.status, 403, "{path}");
        assert_eq!(
            m.post_raw(path, &[("_csrf", "forged")]).await.status,
            403,
            "{path}"
        );
        // A vendor with its own valid token is refused by the role guard.
        v.get("/console/vendor").await;
        assert_eq!(
            v.post(path, &[("reason", "x")]).await.status,
            403,
            "{path} for a vendor"
        );
    }
    // Nothing happened: the application still waits, the coupon still works.
    let list = m
        .get(&format!(
            "/console/marketer/applications?campaign={campaign}"
        ))
        .await;
    assert!(list.body.contains("검토 대기"), "{}", list.body);
    let shown = m.get(&format!("/console/marketer/coupons/{coupon}")).await;
    assert!(shown.body.contains("사용 가능"), "{}", shown.body);
}

#[tokio::test]
async fn a_marketer_approves_and_rejects_applications_with_a_reason() {
    let app = spawn_app().await;
    let marketer = app.login_account(Role::Marketer).await;
    let vendor = app.vendor_login("강화순무농원").await;
    let cat = app.category("kimchi", None, &[]).await;
    let (first, _) = app
        .vendor_product(&vendor, cat, "강화순무김치 1kg", "SUNMU-1KG", 20000, 20)
        .await;
    let (second, _) = app
        .vendor_product(&vendor, cat, "강화섬쌀 10kg", "SSAL-10KG", 40000, 20)
        .await;
    let mut m = app.console_as(&marketer).await;
    let campaign = scheduled_campaign(&mut m, "seol-2027").await;
    let approve_me = application(&app, &vendor, first, &campaign, 10).await;
    let reject_me = application(&app, &vendor, second, &campaign, 10).await;
    let list = format!("/console/marketer/applications?campaign={campaign}");
    let page = m.get(&list).await;
    assert!(page.body.contains("강화순무농원"), "{}", page.body);
    assert!(page.body.contains("강화순무김치 1kg"));
    assert!(page.body.contains("10% 할인"));
    assert!(page.body.contains("설 특가로 참여합니다"));

    // No reason: refused, the message beside the reason of that application.
    let refused = m
        .post(
            &format!("/console/marketer/applications/{reject_me}/reject"),
            &[("campaign", &campaign), ("status", ""), ("reason", " ")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("id=\"e-reason\""), "{}", refused.body);
    m.post(
        &format!("/console/marketer/applications/{reject_me}/reject"),
        &[
            ("campaign", &campaign),
            ("status", ""),
            ("reason", "할인율이 기획전 기준보다 낮습니다"),
        ],
    )
    .await
    .assert_redirect_to(&format!(
        "/console/marketer/applications?campaign={campaign}"
    ));
    m.post(
        &format!("/console/marketer/applications/{approve_me}/approve"),
        &[("campaign", &campaign), ("status", "")],
    )
    .await
    .assert_redirect_to(&format!(
        "/console/marketer/applications?campaign={campaign}"
    ));

    // The approved discount became the campaign's price.
    let page = m
        .get(&format!("/console/marketer/campaigns/{campaign}"))
        .await;
    assert!(page.body.contains("percent"), "{}", page.body);
    // Filters: only the approved one, only the rejected one with its reason.
    let approved = m.get(&format!("{list}&status=approved")).await;
    assert!(approved.body.contains("강화순무김치 1kg"));
    assert!(!approved.body.contains("강화섬쌀 10kg"));
    let rejected = m.get(&format!("{list}&status=rejected")).await;
    assert!(rejected.body.contains("강화섬쌀 10kg"));
    assert!(rejected.body.contains("할인율이 기획전 기준보다 낮습니다"));
    assert!(!rejected.body.contains("강화순무김치 1kg"));
    // Deciding twice is a conflict shown on the list, not an error page.
    let again = m
        .post(
            &format!("/console/marketer/applications/{approve_me}/approve"),
            &[("campaign", &campaign), ("status", "")],
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("지금 상태에서는 할 수 없는 작업입니다"));
    // Both decisions are in the audit trail.
    let audit = m
        .get("/console/marketer/audit?entity=campaign_application")
        .await;
    assert!(audit.body.contains("application.approve"), "{}", audit.body);
    assert!(audit.body.contains("application.reject"));
    assert!(!audit.body.contains("campaign.create"), "the filter holds");
}

#[tokio::test]
async fn coupons_drops_and_deals_are_made_and_shown() {
    let app = spawn_app().await;
    let marketer = app.login_account(Role::Marketer).await;
    let customer = app.login_account(Role::Customer).await;
    let vendor = app.vendor_login("강화순무농원").await;
    let cat = app.category("kimchi", None, &[]).await;
    app.vendor_product(&vendor, cat, "강화순무김치 1kg", "SUNMU-1KG", 20000, 20)
        .await;
    let mut m = app.console_as(&marketer).await;

    // A coupon form with a percent out of range: the API's message beside the field.
    m.get("/console/marketer/coupons/new").await;
    let bad = m
        .post(
            "/console/marketer/coupons/new",
            &[
                ("name", "잘못된 쿠폰"),
                ("code", "BAD"),
                ("kind", "percent"),
                ("percent", "150"),
                ("starts_at", "2027-01-20T10:00"),
                ("ends_at", "이천이십칠년"),
                ("scope", "all"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"e-ends_at\""), "{}", bad.body);
    assert!(
        bad.body.contains("잘못된 쿠폰"),
        "the typed text comes back"
    );

    let id = coupon(&mut m, "seol10").await;
    let page = format!("/console/marketer/coupons/{id}");
    let shown = m.get(&page).await;
    assert!(
        shown.body.contains("SEOL10"),
        "the code is stored upper-case"
    );
    assert!(shown.body.contains("최대 5,000원"), "{}", shown.body);
    let list = m.get("/console/marketer/coupons").await;
    assert!(list.body.contains("설맞이 10% 쿠폰"));

    // The scope is chosen by name: the form lists campaigns, vendors and categories.
    let campaign = scheduled_campaign(&mut m, "seol-2027").await;
    let form = m.get("/console/marketer/coupons/new").await;
    let vendor_id = vendor.vendor_id.expect("vendor");
    for (value, name) in [
        (format!("campaign:{campaign}"), "설 선물 기획전"),
        (format!("vendor:{vendor_id}"), "강화순무농원"),
        (format!("category:{cat}"), "kimchi"),
    ] {
        assert!(
            form.body.contains(&format!("<option value=\"{value}\"")),
            "{value}: {}",
            form.body
        );
        assert!(form.body.contains(name), "{name}");
    }
    let fields = |scope: &'static str| {
        vec![
            ("name", "강화순무농원 전용"),
            ("code", ""),
            ("kind", "amount_off"),
            ("amount", "2000"),
            ("min_order", "0"),
            ("scope", scope),
            ("starts_at", "2027-01-20T10:00"),
            ("ends_at", "2027-02-05T23:59"),
            ("vendor_share_bp", "0"),
        ]
    };
    let bad = m
        .post("/console/marketer/coupons/new", &fields("vendor:강화"))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"e-scope\""), "{}", bad.body);
    let scope = format!("vendor:{vendor_id}");
    let mut good = fields("all");
    good[5] = ("scope", &scope);
    let made = m.post("/console/marketer/coupons/new", &good).await;
    made.assert_redirect_to("/console/marketer/coupons/");
    let shown = m.get(made.location.as_deref().expect("location")).await;
    assert!(
        shown.body.contains("판매자 · 강화순무농원"),
        "{}",
        shown.body
    );

    // Issue: by the customer's e-mail. A word that is no address, an address of nobody
    // and a vendor's address are refused beside the field, naming them; nothing is issued.
    let vendor_email = app.vendor_login("교동섬농원").await.email;
    for (typed, named) in [
        ("홍길동", "홍길동"),
        ("nobody@jikgu.kr", "nobody@jikgu.kr"),
        (vendor_email.as_str(), vendor_email.as_str()),
    ] {
        let bad = m
            .post(
                &format!("{page}/issues"),
                &[("emails", &format!("{}\n{typed}", customer.email))],
            )
            .await;
        assert_eq!(bad.status, 422, "{typed}");
        assert!(bad.body.contains("id=\"e-emails\""), "{}", bad.body);
        assert!(bad.body.contains(named), "{}", bad.body);
    }
    m.post(
        &format!("{page}/issues"),
        &[("emails", &customer.email.to_uppercase())],
    )
    .await
    .assert_redirect_to(&page);

    // A drop; its last day before its first is the domain's error beside the field.
    let bad = m
        .post(
            &format!("{page}/drops"),
            &[
                ("daily_quota", "5"),
                ("opens_at", "10:00"),
                ("first_day", "2027-01-25"),
                ("last_day", "2027-01-20"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"e-last_day\""), "{}", bad.body);
    let today = promotions::seoul::day(chrono::Utc::now());
    m.post(
        &format!("{page}/drops"),
        &[
            ("daily_quota", "5"),
            ("opens_at", "00:00"),
            ("first_day", &today.to_string()),
            ("last_day", &(today + chrono::Days::new(3)).to_string()),
        ],
    )
    .await
    .assert_redirect_to(&page);
    // A customer claims today's coupon: the page shows the day's claims.
    let drops = promotions::drops::of_coupon(&app.state.db, id.parse().expect("id"))
        .await
        .expect("drops");
    let other = app.login_account(Role::Customer).await;
    promotions::drops::claim(
        &app.state.db,
        drops[0].drop.id,
        other.user_id,
        chrono::Utc::now(),
    )
    .await
    .expect("claim");
    let shown = m.get(&page).await;
    assert!(shown.body.contains("하루 5장"), "{}", shown.body);
    assert!(shown.body.contains("1 / 5"), "{}", shown.body);

    // Stop it.
    m.post(&format!("{page}/disable"), &[])
        .await
        .assert_redirect_to(&page);
    assert!(m.get(&page).await.body.contains("중지됨"));

    // A time deal named by SKU; an unknown SKU is an error beside the field.
    m.get("/console/marketer/deals").await;
    let deal = |sku: &'static str, price: &'static str| {
        vec![
            ("sku", sku),
            ("campaign_id", ""),
            ("deal_price", price),
            ("starts_at", "2027-01-20T10:00"),
            ("ends_at", "2027-01-20T12:00"),
            ("quantity", "30"),
            ("per_customer_limit", "2"),
            ("vendor_share_bp", ""),
        ]
    };
    let bad = m
        .post("/console/marketer/deals", &deal("NOPE-1", "15000"))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"e-sku\""), "{}", bad.body);
    let not_cheaper = m
        .post("/console/marketer/deals", &deal("SUNMU-1KG", "25000"))
        .await;
    assert_eq!(not_cheaper.status, 422);
    assert!(
        not_cheaper.body.contains("id=\"e-deal_price\""),
        "{}",
        not_cheaper.body
    );
    m.post("/console/marketer/deals", &deal("SUNMU-1KG", "15,000"))
        .await
        .assert_redirect_to("/console/marketer/deals");
    let deals = m.get("/console/marketer/deals").await;
    assert!(deals.body.contains("강화순무김치 1kg"), "{}", deals.body);
    assert!(deals.body.contains("15,000원"));
    assert!(deals.body.contains("0 / 30"));
}

#[tokio::test]
async fn the_stacking_policy_form_shows_the_apis_errors_beside_its_fields() {
    let app = spawn_app().await;
    let marketer = app.login_account(Role::Marketer).await;
    let mut m = app.console_as(&marketer).await;
    m.get("/console/marketer/stacking").await;
    let bad = m
        .post(
            "/console/marketer/stacking",
            &[
                ("max_order_coupons", "9"),
                ("max_shipping_coupons", "-1"),
                ("coupons_on_promoted_lines", "on"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    // Both counts at once, with the API's own words ("from 0 to 5").
    assert!(
        bad.body.contains("id=\"e-max_order_coupons\""),
        "{}",
        bad.body
    );
    assert!(
        bad.body.contains("id=\"e-max_shipping_coupons\""),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("from 0 to 5"), "{}", bad.body);
    m.post(
        "/console/marketer/stacking",
        &[
            ("max_order_coupons", "2"),
            ("max_shipping_coupons", "0"),
            ("time_deal_beats_campaign", "on"),
        ],
    )
    .await
    .assert_redirect_to("/console/marketer/stacking");
    let row = promotions::stacking::row(&app.state.db)
        .await
        .expect("row")
        .expect("policy");
    assert_eq!(row.max_order_coupons, 2);
    assert_eq!(row.max_shipping_coupons, 0);
    assert!(row.time_deal_beats_campaign);
    assert!(
        !row.order_and_shipping_coupons_combine,
        "an unchecked box is false"
    );
    assert!(!row.coupons_on_promoted_lines);
    let shown = m.get("/console/marketer/stacking").await;
    assert!(shown.body.contains("value=\"2\""), "{}", shown.body);
}

#[tokio::test]
async fn the_report_page_prepares_downloads_without_waiting_and_reads_uploads() {
    let app = spawn_app().await;
    let marketer = app.login_account(Role::Marketer).await;
    let other = app.login_account(Role::Marketer).await;
    let vendor = app.vendor_login("강화순무농원").await;
    let cat = app.category("kimchi", None, &[]).await;
    app.vendor_product(&vendor, cat, "강화순무김치 1kg", "SUNMU-1KG", 20000, 20)
        .await;
    let mut m = app.console_as(&marketer).await;

    let bad = m
        .get("/console/marketer/reports?kind=quarter&quarter=2026Q9&by1=channel")
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"e-quarter\""), "{}", bad.body);
    let bad = m
        .get("/console/marketer/reports?kind=range&from=2026-12-01&to=2026-11-01")
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"e-to\""), "{}", bad.body);
    let page = m
        .get("/console/marketer/reports?kind=quarter&quarter=2026Q4&by1=channel")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("2026Q4"), "{}", page.body);
    assert!(page.body.contains("id=\"total-net\""));
    assert!(
        page.body
            .contains("hx-post=\"/console/marketer/reports/exports\"")
    );
    assert!(
        page.body
            .contains("quarter=2026Q4&amp;chart=channel_monthly\" alt=\"월별 채널 순매출\""),
        "{}",
        page.body
    );

    // Started without htmx: to the job's page, which shows the link once the file is ready.
    let started = m
        .post(
            "/console/marketer/reports/exports",
            &[
                ("kind", "quarter"),
                ("quarter", "2026Q4"),
                ("from", ""),
                ("to", ""),
                ("by1", "channel"),
                ("by2", ""),
                ("format", "xlsx"),
            ],
        )
        .await;
    started.assert_redirect_to("/console/marketer/reports/exports/");
    let job = started.location.expect("job");
    let mut ready = None;
    for _ in 0..100 {
        let p = m.get(&job).await;
        assert_eq!(p.status, 200, "{}", p.body);
        if p.body.contains("id=\"export-link\"") {
            ready = Some(p);
            break;
        }
        assert!(p.body.contains("준비하고 있습니다"), "{}", p.body);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let ready = ready.expect("the file is ready within 10 s");
    assert!(
        ready
            .body
            .contains("performance-2026-10-01-2026-12-31.xlsx"),
        "{}",
        ready.body
    );
    let file = m.get(&format!("{job}/file")).await;
    assert_eq!(file.status, 200);
    assert_eq!(
        file.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some(platform::download::XLSX)
    );
    assert!(file.body.starts_with("PK"), "a zip (XLSX) file");
    // Only the account that started it may fetch it.
    let mut o = app.console_as(&other).await;
    assert_eq!(o.get(&job).await.status, 404);
    assert_eq!(o.get(&format!("{job}/file")).await.status, 404);
    // A bad period is refused at once, not in the background.
    let refused = m
        .post(
            "/console/marketer/reports/exports",
            &[("kind", "quarter"), ("quarter", "soon"), ("format", "csv")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);

    // An open-market export with one SKU the catalog does not know.
    let page = m.get("/console/marketer/reports/uploads").await;
    let token = page.csrf().expect("token");
    let csv = "주문일,상품코드,수량,판매금액,환불금액\n2026-11-02,SUNMU-1KG,2,36000,0\n2026-11-03,NOPE-9,1,9000,0\n";
    let form = reqwest::multipart::Form::new()
        .text("_csrf", token.clone())
        .text("channel", "11st")
        .text("from", "2026-11-01")
        .text("to", "2026-11-30")
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
                .file_name("11st.csv")
                .mime_str("text/csv")
                .expect("mime"),
        );
    let done = m
        .post_multipart("/console/marketer/reports/uploads", form)
        .await;
    assert_eq!(done.status, 201, "{}", done.body);
    assert!(done.body.contains("id=\"unmatched\""), "{}", done.body);
    assert!(done.body.contains("NOPE-9"));
    assert!(done.body.contains("2줄 중 1줄 반영"), "{}", done.body);
    assert!(done.body.contains("11번가"));
    // No channel: beside the field.
    let form = reqwest::multipart::Form::new()
        .text("_csrf", token)
        .text("channel", "")
        .text("from", "2026-11-01")
        .text("to", "2026-11-30")
        .text("file", csv);
    let bad = m
        .post_multipart("/console/marketer/reports/uploads", form)
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"e-channel\""), "{}", bad.body);
}
