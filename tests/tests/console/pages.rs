//! Every console page: the right role gets it, nobody else does, and no POST passes
//! without its CSRF token.

use jikgu_tests::spawn_app;
use platform::auth::Role;

/// Every vendor page that a GET opens.
const VENDOR_PAGES: &[&str] = &["/console/vendor"];

/// Every vendor form target (ids do not matter: the token is checked before anything).
const VENDOR_POSTS: &[&str] = &["/console/logout"];

#[tokio::test]
async fn vendor_pages_open_for_a_vendor_only() {
    let app = spawn_app().await;
    let vendor = app.vendor_login("강화순무농원").await;
    let marketer = app.login_account(Role::Marketer).await;
    let mut anonymous = app.console();
    let mut v = app.console();
    v.sign_in(&vendor).await;
    let mut m = app.console();
    m.sign_in(&marketer).await;
    for path in VENDOR_PAGES {
        let page = v.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.body.contains("<html lang=\"ko\">"), "{path}");
        anonymous
            .get(path)
            .await
            .assert_redirect_to("/console/login?next=");
        assert_eq!(m.get(path).await.status, 403, "{path} for a marketer");
    }
}

#[tokio::test]
async fn every_vendor_post_needs_its_csrf_token() {
    let app = spawn_app().await;
    let vendor = app.vendor_login("강화순무농원").await;
    let mut v = app.console();
    v.sign_in(&vendor).await;
    for path in VENDOR_POSTS {
        let page = v.post_raw(path, &[]).await;
        assert_eq!(page.status, 403, "{path}: {}", page.body);
        let header_only = v.post_raw(path, &[("_csrf", "forged")]).await;
        assert_eq!(header_only.status, 403, "{path}");
    }
    // The session survived the refusals.
    assert_eq!(v.get("/console/vendor").await.status, 200);
}
