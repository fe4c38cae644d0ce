//! Every integer the API takes is bounded where it enters, and the bounds are in the
//! document: a value outside them is a 422 naming the field, never a 500 from Postgres
//! (`integer out of range`), an overflow, or a coupon with a budget of `i64::MAX`.

use jikgu_tests::fixtures::token_customer;
use jikgu_tests::openapi_doc::{operations, resolve};
use jikgu_tests::{Client, Reply, spawn_app};
use platform::auth::Role;
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn is_integer(s: &Value) -> bool {
    s["type"] == "integer"
        || s["type"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("integer")))
}

/// Every integer reachable from `s`, as `where: schema` for those without both bounds.
fn unbounded(doc: &Value, s: &Value, at: &str, seen: &mut BTreeSet<String>, out: &mut Vec<String>) {
    let (s, name) = resolve(doc, s);
    if let Some(name) = name
        && !seen.insert(name.to_owned())
    {
        return;
    }
    if is_integer(s) && (s["minimum"].is_null() || s["maximum"].is_null()) {
        out.push(format!("{at}: {s}"));
    }
    for k in ["oneOf", "anyOf", "allOf"] {
        for x in s[k].as_array().into_iter().flatten() {
            unbounded(doc, x, at, seen, out);
        }
    }
    for (p, ps) in s["properties"].as_object().into_iter().flatten() {
        unbounded(doc, ps, &format!("{at}.{p}"), seen, out);
    }
    if s["items"].is_object() {
        unbounded(doc, &s["items"], &format!("{at}[]"), seen, out);
    }
}

#[tokio::test]
async fn every_integer_a_request_takes_is_bounded_in_the_document() {
    let app = spawn_app().await;
    let doc = app.client.get("/openapi.json").await.json;
    let mut out = Vec::new();
    for (method, path, op) in operations(&doc) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            let (s, _) = resolve(&doc, &p["schema"]);
            if is_integer(s) && (s["minimum"].is_null() || s["maximum"].is_null()) {
                out.push(format!("{method} {path} ?{}: {s}", p["name"]));
            }
        }
        for (_, content) in op["requestBody"]["content"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let at = format!("{method} {path} body");
            unbounded(
                &doc,
                &content["schema"],
                &at,
                &mut BTreeSet::new(),
                &mut out,
            );
        }
    }
    assert!(
        out.is_empty(),
        "integers without minimum and maximum:\n{}",
        out.join("\n")
    );
}

fn out_of_range(r: &Reply, field: &str, what: &str) {
    assert_eq!(r.status, 422, "{what}: {}", r.body);
    let named = r.json["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|e| e["field"] == field);
    assert!(named, "{what}: {field} not named in {}", r.body);
}

/// Role, route, field and a value past its bound; each is sent alone, `{field: value}`
/// (the parser stops at the first bad value, so the rest of the body need not be there).
const PAST_BOUNDS: &str = "
    marketer POST /v1/marketing/coupons percent 101
    marketer POST /v1/marketing/coupons percent 0
    marketer POST /v1/marketing/coupons budget 9223372036854775807
    marketer POST /v1/marketing/coupons cap 9223372036854775807
    marketer POST /v1/marketing/coupons amount 100000001
    marketer POST /v1/marketing/coupons min_order -1
    marketer POST /v1/marketing/coupons total_uses 0
    marketer POST /v1/marketing/coupons per_customer_limit 2147483647
    marketer POST /v1/marketing/coupons/{id}/drops daily_quota 2147483647
    marketer POST /v1/marketing/time-deals deal_price 9223372036854775807
    marketer POST /v1/marketing/time-deals quantity 1000001
    marketer POST /v1/marketing/time-deals per_customer_limit 0
    marketer POST /v1/marketing/campaigns/{id}/prices value 9223372036854775807
    marketer POST /v1/marketing/campaigns/{id}/prices floor -1
    marketer POST /v1/marketing/campaigns/{id}/sections position 2000000000
    vendor POST /v1/vendor/campaigns/{id}/applications discount_value 9223372036854775807
    vendor PATCH /v1/vendor/profile shipping_free_threshold 9223372036854775807
    customer POST /v1/checkout expected_total -1
    admin PUT /v1/admin/settlements/settings legal_deadline_days 2147483647
    admin PUT /v1/admin/settlements/settings hold_apart_bp 10001
    admin POST /v1/admin/settlements/adjustments amount 9223372036854775807
    admin POST /v1/admin/settlements/commission-rules rate_bp -1
    admin PUT /v1/admin/settlements/vendors/{id}/policy lag_business_days 61
";

/// Values past each bound in promotions, orders, settlements and vendor profiles: a 422
/// naming the field, before anything is written.
#[tokio::test]
async fn integers_past_their_bounds_are_422_naming_the_field() {
    let app = spawn_app().await;
    let (marketer, _) = app.account(Role::Marketer, None).await;
    let (admin, _) = app.account(Role::Admin, None).await;
    let (customer, _) = token_customer(&app);
    let vendor = app.vendor("경계수산").await;
    let id = uuid::Uuid::now_v7();

    let send = |client: &Client, method: &str, path: &str, body: &Value| {
        Client::send(
            client
                .request(method.parse().expect("method"), path)
                .header("idempotency-key", uuid::Uuid::now_v7().to_string())
                .json(body),
        )
    };
    for line in PAST_BOUNDS.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let [role, method, path, field, value] = line
            .split_whitespace()
            .collect::<Vec<_>>()
            .try_into()
            .expect("five words a line");
        let client = match role {
            "marketer" => &marketer,
            "vendor" => &vendor.client,
            "customer" => &customer,
            _ => &admin,
        };
        let path = path.replace("{id}", &id.to_string());
        let value: Value = serde_json::from_str(value).expect("a JSON value");
        let body = json!({ field: value });
        let r = send(client, method, &path, &body).await;
        out_of_range(&r, field, &format!("{method} {path} {body}"));
    }
    // A nested field is named by its path.
    let body = json!({"lines": [{"variant_id": id, "quantity": 1000}]});
    let r = send(
        &customer,
        "POST",
        &format!("/v1/orders/{id}/returns"),
        &body,
    )
    .await;
    out_of_range(&r, "lines[0].quantity", "a return line of 1000");
    for q in [
        "min_price=-1",
        "max_price=100000001",
        "min_price=9223372036854775807",
    ] {
        for list in ["/v1/products", "/v1/search"] {
            let r = app.client.get(&format!("{list}?{q}")).await;
            let field = q.split('=').next().unwrap_or_default();
            out_of_range(&r, field, &format!("GET {list}?{q}"));
        }
    }
}
