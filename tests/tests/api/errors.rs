//! Bad input gets a clear problem+json 4xx, never a 500.

use jikgu_tests::{Client, spawn_app};
use serde_json::json;

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let rb = app
        .client
        .request(reqwest::Method::POST, "/v1/auth/login")
        .header("content-type", "application/json")
        .body("{\"email\": \"kim@jikgu.kr\",");
    Client::send(rb).await.assert_problem(400, "malformed_json");
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let app = spawn_app().await;
    let rb = app
        .client
        .request(reqwest::Method::POST, "/v1/auth/login")
        .header("content-type", "text/plain")
        .body(r#"{"email":"kim@jikgu.kr","password":"x"}"#);
    Client::send(rb)
        .await
        .assert_problem(415, "unsupported_media_type");
    let rb = app.client.request(reqwest::Method::POST, "/v1/auth/login");
    Client::send(rb)
        .await
        .assert_problem(415, "unsupported_media_type");
}

#[tokio::test]
async fn oversized_body_is_413() {
    let app = spawn_app().await;
    let huge = "가".repeat(600_000); // 1.8 MB of UTF-8, over the 1 MiB limit
    let r = app
        .client
        .post(
            "/v1/auth/signup",
            &json!({"email": "a@b.kr", "password": huge, "display_name": "x"}),
        )
        .await;
    r.assert_problem(413, "payload_too_large");
}

#[tokio::test]
async fn unknown_and_missing_fields_are_422_naming_the_field() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(
            "/v1/auth/login",
            &json!({"email": "kim@jikgu.kr", "password": "secret-secret", "role": "admin"}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.json["errors"][0]["field"], "role");
    assert_eq!(r.json["errors"][0]["code"], "unknown_field");

    let r = app
        .client
        .post("/v1/auth/login", &json!({"email": "kim@jikgu.kr"}))
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.json["errors"][0]["field"], "password");
    assert_eq!(r.json["errors"][0]["code"], "missing_field");

    let r = app
        .client
        .post("/v1/auth/login", &json!({"email": 42, "password": "x"}))
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.json["errors"][0]["field"], "email");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_problem_json() {
    let app = spawn_app().await;
    app.client
        .get("/v1/no-such-thing")
        .await
        .assert_problem(404, "route_not_found");
    app.client
        .delete("/v1/auth/login")
        .await
        .assert_problem(405, "method_not_allowed");
}

/// A NUL character (which Postgres cannot store) in a path, a query string or a JSON body
/// is refused at the edge with a 422 naming the field, whichever endpoint it is sent to.
#[tokio::test]
async fn nul_characters_anywhere_are_422_naming_the_field() {
    let app = spawn_app().await;
    let cat = app.category("nul", None, &[]).await;
    let v = app.vendor("널상회").await;
    let nul_field = |r: jikgu_tests::Reply, field: &str| {
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.json["errors"][0]["field"], field, "{}", r.body);
        assert_eq!(r.json["errors"][0]["code"], "nul_character", "{}", r.body);
    };
    nul_field(
        app.client.get("/v1/search?q=%EA%B9%80%00%EC%B9%98").await,
        "q",
    );
    nul_field(app.client.get("/v1/products?tag=a%00").await, "tag");
    nul_field(app.client.get("/v1/coupons/WELCOME%00").await, "code");
    nul_field(app.client.get("/v1/campaigns/spring%00sale").await, "slug");
    nul_field(
        app.client
            .post(
                "/v1/auth/login",
                &json!({"email": "kim\u{0}@incheon.kr", "password": "whatever-it-is"}),
            )
            .await,
        "email",
    );
    nul_field(
        app.client
            .post(
                "/v1/auth/signup",
                &json!({"email": "kim@incheon.kr", "password": "long-enough-1", "display_name": "김\u{0}"}),
            )
            .await,
        "display_name",
    );
    nul_field(
        v.client
            .post(
                "/v1/vendor/products",
                &json!({"title": "강화\u{0}김치", "category_id": cat,
                        "variants": [{"sku": "N-1", "name": "1kg", "price": 1000}]}),
            )
            .await,
        "title",
    );
    nul_field(
        v.client
            .post(
                "/v1/vendor/products",
                &json!({"title": "강화김치", "category_id": cat,
                        "variants": [{"sku": "N-1", "name": "1\u{0}kg", "price": 1000}]}),
            )
            .await,
        "variants[0].name",
    );
    let csv = "sku,title\nN\u{0}-2,김치\n";
    nul_field(
        Client::send(
            v.client
                .request(reqwest::Method::POST, "/v1/vendor/products/import")
                .header("content-type", "text/csv")
                .body(csv),
        )
        .await,
        "body",
    );
}

/// Numbers are bounded at the edge: what Postgres could not hold, or what would advertise
/// a discount that never was, is a 422 naming the field, and the bounds are in the schema.
#[tokio::test]
async fn numbers_beyond_their_bounds_are_422_and_documented() {
    let app = spawn_app().await;
    let cat = app.category("bounds", None, &[]).await;
    let v = app.vendor("경계상회").await;
    let pid = app
        .product(&v, cat, "경계 김치", &[], &[("B-1", 10000, 5)])
        .await;
    let mine = v.client.get(&format!("/v1/vendor/products/{pid}")).await;
    let vid = mine.json["variants"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let field = |r: &jikgu_tests::Reply| r.json["errors"][0]["field"].clone();

    for delta in [i64::from(i32::MAX), i64::from(i32::MIN), 1_000_001] {
        let r = v
            .client
            .post(
                &format!("/v1/vendor/variants/{vid}/stock-adjustments"),
                &json!({ "delta": delta }),
            )
            .await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(field(&r), "delta", "{}", r.body);
    }

    let r = v
        .client
        .post(
            "/v1/vendor/products",
            &json!({"title": "가짜 할인", "category_id": cat,
                    "variants": [{"sku": "F-1", "name": "1kg", "price": 1000,
                                  "compare_at_price": i64::MAX}]}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(field(&r), "variants[0].compare_at_price", "{}", r.body);
    let r = v
        .client
        .patch(
            &format!("/v1/vendor/variants/{vid}"),
            &json!({ "compare_at_price": i64::MAX }),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(field(&r), "compare_at_price", "{}", r.body);
    let r = v
        .client
        .patch(
            &format!("/v1/vendor/variants/{vid}"),
            &json!({ "compare_at_price": 10000 }),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(field(&r), "compare_at_price", "{}", r.body);

    let doc = app.client.get("/openapi.json").await.json;
    let schemas = &doc["components"]["schemas"];
    let bounds = |schema: &str, prop: &str| {
        let p = &schemas[schema]["properties"][prop];
        (p["minimum"].as_i64(), p["maximum"].as_i64())
    };
    assert_eq!(
        bounds("AdjustStock", "delta"),
        (Some(-1_000_000), Some(1_000_000))
    );
    assert_eq!(bounds("NewVariant", "price"), (Some(1), Some(100_000_000)));
    assert_eq!(
        bounds("NewVariant", "compare_at_price").1,
        Some(100_000_000)
    );
    assert_eq!(bounds("NewVariant", "stock"), (Some(0), Some(1_000_000)));
}
