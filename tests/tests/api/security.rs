//! The edges an outsider pushes on: rate limits (login, coupon guessing, checkout, drop
//! claims) under concurrency and behind forged forwarding headers, and tokens signed with a key that is not the operator's.

use futures::future::join_all;
use jikgu_tests::fixtures::{address, token_customer};
use jikgu_tests::{Client, TestApp, spawn_app_with};
use platform::auth::Role;
use platform::auth::tokens::TokenKeys;
use platform::config::Config;
use serde_json::json;

async fn signup(app: &TestApp, email: &str) {
    let r = app
        .client
        .post(
            "/v1/auth/signup",
            &json!({"email": email, "password": "the-right-password-1", "display_name": "김"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

/// 100 wrong passwords at once for one account: each is counted before it is tried, so at
/// most the limit reach password verification (401) and the rest are refused (429).
#[tokio::test]
async fn concurrent_wrong_passwords_are_counted_before_they_are_tried() {
    let app = spawn_app_with(jikgu::Service::All, |cfg| cfg.login_max_failures = 5).await;
    signup(&app, "race@incheon.kr").await;
    let bad = json!({"email": "race@incheon.kr", "password": "wrong-wrong-wrong"});
    let replies = join_all((0..100).map(|_| app.client.post("/v1/auth/login", &bad))).await;
    let tried = replies.iter().filter(|r| r.status == 401).count();
    let refused = replies.iter().filter(|r| r.status == 429).count();
    assert_eq!(tried + refused, 100, "only 401 and 429 expected");
    assert!(tried <= 5, "{tried} attempts reached password verification");
    assert!(tried >= 1);
    // The right password is refused too until the window passes.
    let good = json!({"email": "race@incheon.kr", "password": "the-right-password-1"});
    app.client
        .post("/v1/auth/login", &good)
        .await
        .assert_problem(429, "rate_limited");
}

/// Concurrent unknown coupon codes from one address: at most the guessing limit (30 a
/// minute) are looked up.
#[tokio::test]
async fn concurrent_coupon_guesses_are_counted_before_they_are_looked_up() {
    let app = spawn_app_with(jikgu::Service::All, |_| {}).await;
    let paths: Vec<String> = (0..60)
        .map(|i| format!("/v1/coupons/GUESS{i:03}"))
        .collect();
    let replies = join_all(paths.iter().map(|p| app.client.get(p))).await;
    let looked_up = replies.iter().filter(|r| r.status == 404).count();
    let refused = replies.iter().filter(|r| r.status == 429).count();
    assert_eq!(looked_up + refused, 60);
    assert_eq!(looked_up, 30, "guessing limit is 30 a minute");
}

/// 100 checkouts at once under different keys from one customer: each is counted before it
/// is tried, so at most the limit reach checkout; a retry of one tried is not refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_checkouts_are_counted_before_they_are_tried() {
    let app = spawn_app_with(jikgu::Service::All, |_| {}).await;
    let (c, _) = token_customer(&app);
    let attempt = |key: String| {
        Client::send(
            c.request(reqwest::Method::POST, "/v1/checkout")
                .header("idempotency-key", key)
                .json(&json!({"address": address("21554"), "expected_total": 1000})),
        )
    };
    let replies = join_all((0..100).map(|i| attempt(format!("k-{i}")))).await;
    // An empty cart is what a tried checkout finds.
    let tried: Vec<usize> = (0..100).filter(|i| replies[*i].status == 422).collect();
    let refused = replies.iter().filter(|r| r.status == 429).count();
    assert_eq!(tried.len() + refused, 100, "only 422 and 429 expected");
    let limit = app.state.config.checkout_per_minute as usize;
    assert_eq!(limit, 10, "the default");
    assert!(tried.len() <= limit, "{} checkouts were tried", tried.len());
    assert!(!tried.is_empty());
    replies[tried[0]].assert_problem(422, "empty_cart");
    attempt(format!("k-{}", tried[0]))
        .await
        .assert_problem(422, "empty_cart");
    attempt("a-new-key".into())
        .await
        .assert_problem(429, "rate_limited");
}

/// 100 claims of a first-come drop at once from one customer: at most the limit reach
/// the database (here: a drop that does not exist, 404), the rest are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_drop_claims_are_counted_before_they_are_tried() {
    let app = spawn_app_with(jikgu::Service::All, |_| {}).await;
    let (c, _) = token_customer(&app);
    let path = format!("/v1/coupon-drops/{}/claim", uuid::Uuid::now_v7());
    let body = json!({});
    let replies = join_all((0..100).map(|_| c.post(&path, &body))).await;
    let tried = replies.iter().filter(|r| r.status == 404).count();
    let refused = replies.iter().filter(|r| r.status == 429).count();
    assert_eq!(tried + refused, 100, "only 404 and 429 expected");
    assert!((1..=10).contains(&tried), "{tried} claims were tried");
}

fn from(
    client: &Client,
    method: reqwest::Method,
    path: &str,
    xff: &str,
) -> reqwest::RequestBuilder {
    client.request(method, path).header("x-forwarded-for", xff)
}

/// From a peer that is not a configured proxy, `X-Forwarded-For` is ignored: rotating it
/// neither escapes a limit nor lets anyone spend someone else's.
#[tokio::test]
async fn rotating_forwarded_headers_from_an_untrusted_peer_do_not_escape_the_limits() {
    let app = spawn_app_with(jikgu::Service::All, |cfg| {
        cfg.login_max_failures = 2;
        cfg.trusted_proxies = Vec::new();
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..35 {
        let r = Client::send(from(
            &app.client,
            reqwest::Method::GET,
            &format!("/v1/coupons/NOPE{i}"),
            &format!("198.51.100.{i}"),
        ))
        .await;
        statuses.push(r.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 404).count(),
        30,
        "{statuses:?}"
    );
    assert!(statuses[30..].iter().all(|s| *s == 429), "{statuses:?}");

    // Login failures spread over accounts (per-address limit 2 × 4 = 8).
    let mut statuses = Vec::new();
    for i in 0..10 {
        let r = Client::send(
            from(
                &app.client,
                reqwest::Method::POST,
                "/v1/auth/login",
                &format!("198.51.100.{i}"),
            )
            .json(&json!({"email": format!("x{i}@incheon.kr"), "password": "nope-nope-nope"})),
        )
        .await;
        statuses.push(r.status);
    }
    assert_eq!(statuses[..8], [401; 8], "{statuses:?}");
    assert_eq!(statuses[8..], [429; 2], "{statuses:?}");
}

/// Behind a configured proxy, the address it forwards is the client's: each has its own
/// allowance.
#[tokio::test]
async fn forwarded_headers_from_a_trusted_proxy_are_honoured() {
    let app = spawn_app_with(jikgu::Service::All, |cfg| {
        cfg.trusted_proxies = platform::client_addr::parse_list("127.0.0.0/8").expect("list");
    })
    .await;
    for i in 0..35 {
        // What a client wrote to the left of the proxy's entry is not believed.
        let r = Client::send(from(
            &app.client,
            reqwest::Method::GET,
            &format!("/v1/coupons/NOPE{i}"),
            &format!("6.6.6.6, 198.51.100.{i}"),
        ))
        .await;
        r.assert_problem(404, "not_found");
    }
    // One forwarded address over its limit is limited; the next address is not.
    for i in 0..31 {
        let r = Client::send(from(
            &app.client,
            reqwest::Method::GET,
            &format!("/v1/coupons/AGAIN{i}"),
            "203.0.113.5",
        ))
        .await;
        assert_eq!(r.status, if i < 30 { 404 } else { 429 }, "{}", r.body);
    }
    let r = Client::send(from(
        &app.client,
        reqwest::Method::GET,
        "/v1/coupons/OTHER",
        "203.0.113.6",
    ))
    .await;
    r.assert_problem(404, "not_found");
}

/// The key that used to be the fallback when `JIKGU_JWT_SECRET` was unset (it is public,
/// in this repository's history).
const OLD_DEV_KEY: &str = "jikgu-dev-secret-change-me-in-production-0000";

/// An app configured without `JIKGU_JWT_SECRET` (as the demo is) signs with a key of its
/// own: a token forged with the old development key gets nowhere.
#[tokio::test]
async fn a_token_signed_with_the_old_development_key_is_refused() {
    let app = spawn_app_with(jikgu::Service::All, |cfg| {
        let unset = Config::from_source(&[("JIKGU_LOG_FORMAT", "compact")]).expect("valid");
        cfg.jwt_secret = unset.jwt_secret;
    })
    .await;
    let (admin, admin_id) = app.account(Role::Admin, None).await;
    assert_eq!(admin.get("/v1/admin/accounts").await.status, 200);

    let forger = Config::from_source(&[("JIKGU_JWT_SECRET", OLD_DEV_KEY)]).expect("valid");
    let forged = TokenKeys::new(&forger)
        .issue(admin_id, Role::Admin, None)
        .expect("sign");
    app.client
        .with_token(&forged)
        .get("/v1/admin/accounts")
        .await
        .assert_problem(401, "invalid_token");
}
