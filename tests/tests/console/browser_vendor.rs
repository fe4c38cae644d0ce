//! A vendor's work in a real browser (headless Chromium).

use jikgu_tests::browser::Browser;
use jikgu_tests::spawn_app;

#[tokio::test]
async fn a_vendor_signs_in_in_the_browser_and_sees_today() {
    let app = spawn_app().await;
    let Some(b) = Browser::start(&format!("http://{}", app.addr)).await else {
        return;
    };
    let login = app.vendor_login("강화순무농원").await;
    b.run("vendor_signs_in", || async {
        b.sign_in(&login.email, &login.password).await;
        b.find("#stat-to-ship").await;
        assert_eq!(b.path().await, "/console/vendor");
        assert!(b.main_text().await.contains("오늘 할 일"));
        if std::env::var_os("CONSOLE_SCREENSHOTS").is_some() {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
            b.screenshot(&dir.join("vendor-home.png")).await;
        }
    })
    .await;
    b.quit().await;
}
