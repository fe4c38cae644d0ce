//! A marketer's review and report work in a real browser (headless Chromium): approving
//! a vendor's application, and downloading the 실적 XLSX prepared in the background (the
//! page shows "preparing" and then the link, by htmx, without waiting on the request).

use crate::marketer_pages::{application, scheduled_campaign};
use jikgu_tests::browser::Browser;
use jikgu_tests::spawn_app;
use platform::auth::Role;

#[tokio::test]
async fn a_marketer_approves_an_application_and_downloads_the_report_xlsx() {
    let app = spawn_app().await;
    let Some(b) = Browser::start(&format!("http://{}", app.addr)).await else {
        return;
    };
    let marketer = app.login_account(Role::Marketer).await;
    let vendor = app.vendor_login("강화순무농원").await;
    let cat = app.category("kimchi", None, &[]).await;
    let (product, _) = app
        .vendor_product(&vendor, cat, "강화순무김치 1kg", "SUNMU-1KG", 20000, 20)
        .await;
    // A scheduled campaign (made through the console's forms) the vendor applied to.
    let mut m = app.console();
    m.sign_in(&marketer).await;
    let campaign = scheduled_campaign(&mut m, "seol-2027").await;
    let application = application(&app, &vendor, product, &campaign, 15).await;

    b.run("marketer_review_and_report", || async {
        b.sign_in(&marketer.email, &marketer.password).await;
        b.find("#new-campaign").await;
        b.click("nav a[href='/console/marketer/applications']").await;
        b.find(&format!("#approve-{application}")).await;
        let text = b.main_text().await;
        assert!(text.contains("강화순무농원"), "{text}");
        assert!(text.contains("15% 할인"), "{text}");
        b.click(&format!("#approve-{application}")).await;
        b.wait_for_text("참여 신청을 승인했습니다").await;
        b.wait_for_text_of(&format!("#status-{application}"), "승인")
            .await;

        // The report, then its XLSX: the button answers at once with "preparing", the
        // link follows when the file is ready.
        b.click("nav a[href='/console/marketer/reports']").await;
        b.find("#total-net").await;
        b.open("/console/marketer/reports?kind=quarter&quarter=2026Q4&by1=channel&by2=district")
            .await;
        b.find("#total-net").await;
        b.click("#f-format option[value='xlsx']").await;
        b.click("#start-export").await;
        let link = b.find("#export-link").await;
        assert_eq!(b.path().await, "/console/marketer/reports", "the page stayed");
        let name = link.attr("download").await.ok().flatten().unwrap_or_default();
        assert_eq!(name, "performance-2026-10-01-2026-12-31.xlsx");
        // Fetch it as the browser would (same session cookie): an XLSX (a zip).
        let got = b
            .driver
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 fetch(document.querySelector('#export-link').href)
                   .then(r => r.arrayBuffer().then(buf => {
                     const u = new Uint8Array(buf);
                     done([r.status, r.headers.get('content-type'), r.headers.get('content-disposition'), u[0], u[1], u.length]);
                   }))
                   .catch(e => done([0, String(e), '', 0, 0, 0]));",
                vec![],
            )
            .await
            .expect("fetch the file");
        let got = got.as_array().cloned().unwrap_or_default();
        assert_eq!(got.first().and_then(|v| v.as_u64()), Some(200), "{got:?}");
        assert_eq!(
            got.get(1).and_then(|v| v.as_str()),
            Some(platform::download::XLSX),
            "{got:?}"
        );
        assert!(
            got.get(2)
                .and_then(|v| v.as_str())
                .is_some_and(|d| d.starts_with("attachment")),
            "{got:?}"
        );
        assert_eq!(got.get(3).and_then(|v| v.as_u64()), Some(u64::from(b'P')));
        assert_eq!(got.get(4).and_then(|v| v.as_u64()), Some(u64::from(b'K')));
        assert!(got.get(5).and_then(|v| v.as_u64()).unwrap_or(0) > 1000, "{got:?}");
    })
    .await;
    b.quit().await;
}
