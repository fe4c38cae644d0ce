//! Long work started from a page (import, period close, download) keeps its progress in
//! Redis: a job started through one console replica is followed through another sharing
//! the database and Redis (no cookie affinity needed), and only by the account that
//! started it.

use jikgu_tests::console::{ConsoleClient, Login};
use jikgu_tests::{TestApp, replica, spawn_app};
use platform::auth::Role;
use std::time::Duration;

/// Poll `job` until its page no longer shows `running`; that last page.
async fn until_done(c: &mut ConsoleClient, job: &str, running: &str) -> String {
    for _ in 0..600 {
        let page = c.get(job).await;
        assert_eq!(page.status, 200, "{}", page.body);
        if !page.body.contains(running) {
            return page.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{job} never ended");
}

async fn on(app: &TestApp, login: &Login) -> ConsoleClient {
    app.console_as(login).await
}

#[tokio::test]
async fn an_import_started_on_one_replica_is_followed_on_another() {
    let app = spawn_app().await;
    let other = replica(&app).await;
    let vendor = app.vendor_login("강화순무농원").await;
    app.category("kimchi", None, &[]).await;
    let mut here = on(&app, &vendor).await;
    let form = here.get("/console/vendor/products/import").await;
    let token = form.csrf().expect("token");
    let csv = "product_key,title,category,sku,variant_name,price,stock\n\
               k1,순무김치,kimchi,K1-1KG,1kg,12900,10\n\
               k2,나쁜 줄,kimchi,K2 BAD,1kg,0,10\n";
    let started = here
        .post_multipart(
            "/console/vendor/products/import",
            reqwest::multipart::Form::new().text("_csrf", token).part(
                "file",
                reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
                    .file_name("products.csv")
                    .mime_str("text/csv")
                    .expect("mime"),
            ),
        )
        .await;
    started.assert_redirect_to("/console/vendor/products/import?job=");
    let job = started.location.expect("location");
    // The same vendor, signed in on the other replica, follows it to its report.
    let mut there = on(&other, &vendor).await;
    let report = until_done(&mut there, &job, "id=\"import-progress\"").await;
    assert!(report.contains("상품 1개를 만들었습니다"), "{report}");
    assert!(report.contains("1개는 잘못된 줄이 있어"), "{report}");
    // Another vendor cannot, on either replica.
    let stranger = app.vendor_login("교동쌀").await;
    assert_eq!(on(&other, &stranger).await.get(&job).await.status, 404);
    assert_eq!(on(&app, &stranger).await.get(&job).await.status, 404);
    // The job is kept in Redis for 30 minutes, not forever.
    let key = format!(
        "{}console:job:import:{}",
        app.redis().prefix(),
        job.rsplit('=').next().expect("job id")
    );
    let mut conn = app.redis().conn();
    let ttl: i64 = redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .expect("ttl");
    assert!((1..=1800).contains(&ttl), "ttl {ttl}");
}

#[tokio::test]
async fn a_period_close_started_on_one_replica_is_followed_on_another() {
    let app = spawn_app().await;
    let other = replica(&app).await;
    let admin = app.login_account(Role::Admin).await;
    let other_admin = app.login_account(Role::Admin).await;
    let vendor = app
        .vendor_login("강화순무농원")
        .await
        .vendor_id
        .expect("vendor");
    app.owe_vendor_12_345(vendor, admin.user_id).await;
    let mut here = on(&app, &admin).await;
    here.get("/console/admin/settlements").await;
    let end = (promotions::seoul::day(chrono::Utc::now()) + chrono::Days::new(30)).to_string();
    let started = here
        .post("/console/admin/settlements/close", &[("period_end", &end)])
        .await;
    started.assert_redirect_to("/console/admin/settlements/close?job=");
    let job = started.location.expect("location");
    let mut there = on(&other, &admin).await;
    let done = until_done(&mut there, &job, "id=\"close-running\"").await;
    assert!(done.contains("id=\"close-done\""), "{done}");
    assert!(done.contains("정산서 1건"), "{done}");
    assert!(done.contains("12,345"), "{done}");
    assert_eq!(on(&other, &other_admin).await.get(&job).await.status, 404);
}

#[tokio::test]
async fn a_download_prepared_on_one_replica_is_fetched_from_another() {
    let app = spawn_app().await;
    let other = replica(&app).await;
    let marketer = app.login_account(Role::Marketer).await;
    let mut here = on(&app, &marketer).await;
    here.get("/console/marketer/reports").await;
    let started = here
        .post(
            "/console/marketer/reports/exports",
            &[
                ("kind", "quarter"),
                ("quarter", "2026Q4"),
                ("by1", "channel"),
                ("format", "csv"),
            ],
        )
        .await;
    started.assert_redirect_to("/console/marketer/reports/exports/");
    let job = started.location.expect("job");
    let mut there = on(&other, &marketer).await;
    let ready = until_done(&mut there, &job, "준비하고 있습니다").await;
    assert!(ready.contains("id=\"export-link\""), "{ready}");
    let file = there.get(&format!("{job}/file")).await;
    assert_eq!(file.status, 200, "{}", file.body);
    assert_eq!(
        file.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some(platform::download::CSV)
    );
    let stranger = app.login_account(Role::Marketer).await;
    let mut s = on(&other, &stranger).await;
    assert_eq!(s.get(&job).await.status, 404);
    assert_eq!(s.get(&format!("{job}/file")).await.status, 404);
}

#[tokio::test]
async fn without_redis_an_import_is_refused_with_a_retry_and_nothing_is_imported() {
    let app = jikgu_tests::spawn_app_without_redis().await;
    let vendor = app.vendor_login("무레디스상회").await;
    app.category("kimchi", None, &[]).await;
    let mut c = on(&app, &vendor).await;
    let token = c
        .get("/console/vendor/products/import")
        .await
        .csrf()
        .expect("token");
    let refused = c
        .post_multipart(
            "/console/vendor/products/import",
            reqwest::multipart::Form::new().text("_csrf", token).part(
                "file",
                reqwest::multipart::Part::bytes(
                    "product_key,title,category,sku,variant_name,price,stock\nk1,순무김치,kimchi,K1-1KG,1kg,12900,10\n"
                        .as_bytes()
                        .to_vec(),
                )
                .file_name("products.csv")
                .mime_str("text/csv")
                .expect("mime"),
            ),
        )
        .await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    let list = c.get("/console/vendor/products").await;
    assert!(!list.body.contains("순무김치"), "{}", list.body);
}
