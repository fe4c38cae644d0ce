//! Every role-guarded route × every role: the allowed roles get past the guard, the others
//! are refused with 403, and anonymous callers with 401. Each service's issue adds its
//! guarded routes to `GUARDED`.

use jikgu_tests::{Client, spawn_app};
use platform::auth::Role;
use serde_json::json;

struct Guarded {
    method: &'static str,
    path: &'static str,
    allowed: &'static [Role],
}

const ALL: &[Role] = &[Role::Customer, Role::Vendor, Role::Marketer, Role::Admin];
const VENDOR: &[Role] = &[Role::Vendor];
const CUSTOMER: &[Role] = &[Role::Customer];
const ADMIN: &[Role] = &[Role::Admin];
const MARKETER: &[Role] = &[Role::Marketer, Role::Admin];
/// Any id: the guard answers before the row is looked up.
const ID: &str = "0193a000-0000-7000-8000-000000000001";

const fn g(method: &'static str, path: &'static str, allowed: &'static [Role]) -> Guarded {
    Guarded {
        method,
        path,
        allowed,
    }
}

#[rustfmt::skip]
const GUARDED: &[Guarded] = &[
    g("GET", "/v1/me", ALL),
    g("GET", "/v1/admin/accounts", ADMIN),
    g("POST", "/v1/admin/accounts", ADMIN),
    g("POST", "/v1/vendor-applications", ALL),
    g("GET", "/v1/vendor/profile", VENDOR),
    g("PATCH", "/v1/vendor/profile", VENDOR),
    g("GET", "/v1/vendor/products", VENDOR),
    g("POST", "/v1/vendor/products", VENDOR),
    g("GET", "/v1/vendor/products/{id}", VENDOR),
    g("PATCH", "/v1/vendor/products/{id}", VENDOR),
    g("POST", "/v1/vendor/products/{id}/publish", VENDOR),
    g("GET", "/v1/vendor/products/{id}/images", VENDOR),
    g("POST", "/v1/vendor/products/{id}/images", VENDOR),
    g("PUT", "/v1/vendor/products/{id}/images/order", VENDOR),
    g("DELETE", "/v1/vendor/products/{id}/images/{image_id}", VENDOR),
    g("POST", "/v1/vendor/products/{id}/archive", VENDOR),
    g("POST", "/v1/vendor/products/{id}/variants", VENDOR),
    g("PATCH", "/v1/vendor/variants/{id}", VENDOR),
    g("PUT", "/v1/vendor/variants/{id}/stock", VENDOR),
    g("POST", "/v1/vendor/variants/{id}/stock-adjustments", VENDOR),
    g("POST", "/v1/vendor/products/import", VENDOR),
    g("GET", "/v1/vendor/certifications", VENDOR),
    g("POST", "/v1/vendor/certifications", VENDOR),
    g("GET", "/v1/admin/vendors", ADMIN),
    g("GET", "/v1/admin/vendors/{id}", ADMIN),
    g("POST", "/v1/admin/vendors/{id}/approve", ADMIN),
    g("POST", "/v1/admin/vendors/{id}/reject", ADMIN),
    g("POST", "/v1/admin/vendors/{id}/suspend", ADMIN),
    g("POST", "/v1/admin/vendors/{id}/reinstate", ADMIN),
    g("GET", "/v1/admin/vendors/{id}/penalties", ADMIN),
    g("POST", "/v1/admin/vendors/{id}/penalties", ADMIN),
    g("POST", "/v1/admin/certifications/{id}/verify", ADMIN),
    g("POST", "/v1/admin/categories", ADMIN),
    g("PUT", "/v1/admin/categories/{id}", ADMIN),
    g("POST", "/v1/admin/certifications/{id}/reject", ADMIN),
    g("PUT", "/v1/admin/accounts/{id}/role", ADMIN),
    g("POST", "/v1/admin/accounts/{id}/disable", ADMIN),
    g("POST", "/v1/admin/accounts/{id}/enable", ADMIN),
    g("GET", "/v1/admin/accounts/audit", ADMIN),
    // orders
    g("POST", "/v1/carts/current/merge", CUSTOMER),
    g("POST", "/v1/checkout", CUSTOMER),
    g("GET", "/v1/orders", CUSTOMER),
    g("GET", "/v1/orders/{id}", CUSTOMER),
    g("POST", "/v1/orders/{id}/cancel", CUSTOMER),
    g("POST", "/v1/orders/{id}/vendor-orders/{vendor_order_id}/confirm", CUSTOMER),
    g("POST", "/v1/payments/test/orders/{id}/pay", CUSTOMER),
    g("POST", "/v1/payments/{gateway}/confirm", CUSTOMER),
    g("POST", "/v1/payments/{gateway}/fail", CUSTOMER),
    g("GET", "/v1/vendor/orders", VENDOR),
    g("POST", "/v1/vendor/orders/{id}/ship", VENDOR),
    g("POST", "/v1/vendor/orders/{id}/deliver", VENDOR),
    // promotions
    g("GET", "/v1/marketing/campaigns", MARKETER),
    g("POST", "/v1/marketing/campaigns", MARKETER),
    g("GET", "/v1/marketing/campaigns/{id}", MARKETER),
    g("PATCH", "/v1/marketing/campaigns/{id}", MARKETER),
    g("POST", "/v1/marketing/campaigns/{id}/schedule", MARKETER),
    g("POST", "/v1/marketing/campaigns/{id}/end", MARKETER),
    g("POST", "/v1/marketing/campaigns/{id}/sections", MARKETER),
    g("PATCH", "/v1/marketing/campaigns/{id}/sections/{section_id}", MARKETER),
    g("DELETE", "/v1/marketing/campaigns/{id}/sections/{section_id}", MARKETER),
    g("PUT", "/v1/marketing/campaigns/{id}/section-order", MARKETER),
    g("GET", "/v1/marketing/campaigns/{id}/prices", MARKETER),
    g("POST", "/v1/marketing/campaigns/{id}/prices", MARKETER),
    g("PATCH", "/v1/marketing/campaigns/{id}/prices/{price_id}", MARKETER),
    g("DELETE", "/v1/marketing/campaigns/{id}/prices/{price_id}", MARKETER),
    g("GET", "/v1/marketing/campaigns/{id}/applications", MARKETER),
    g("POST", "/v1/marketing/campaign-applications/{id}/approve", MARKETER),
    g("POST", "/v1/marketing/campaign-applications/{id}/reject", MARKETER),
    g("GET", "/v1/marketing/campaigns/{id}/stats", MARKETER),
    g("GET", "/v1/marketing/time-deals", MARKETER),
    g("POST", "/v1/marketing/time-deals", MARKETER),
    g("GET", "/v1/marketing/coupons", MARKETER),
    g("POST", "/v1/marketing/coupons", MARKETER),
    g("GET", "/v1/marketing/coupons/{id}", MARKETER),
    g("POST", "/v1/marketing/coupons/{id}/disable", MARKETER),
    g("POST", "/v1/marketing/coupons/{id}/issues", MARKETER),
    g("POST", "/v1/marketing/coupons/{id}/drops", MARKETER),
    g("GET", "/v1/marketing/audit", MARKETER),
    g("POST", "/v1/vendor/campaigns/{id}/applications", VENDOR),
    g("GET", "/v1/vendor/campaign-applications", VENDOR),
    g("POST", "/v1/vendor/campaign-applications/{id}/withdraw", VENDOR),
    g("POST", "/v1/coupon-drops/{id}/claim", CUSTOMER),
    g("POST", "/v1/orders/{id}/returns", CUSTOMER),
    g("POST", "/v1/vendor/orders/returns/{id}/accept", VENDOR),
    g("GET", "/v1/me/coupons", CUSTOMER),
    g("POST", "/v1/me/coupons", CUSTOMER),
    g("GET", "/v1/marketing/stacking-policy", MARKETER),
    g("PUT", "/v1/marketing/stacking-policy", MARKETER),
    // settlements
    g("GET", "/v1/vendor/settlements/balance", VENDOR),
    g("GET", "/v1/vendor/reports/performance", VENDOR),
    g("GET", "/v1/marketing/reports/performance", MARKETER),
    g("GET", "/v1/marketing/reports/performance/chart.svg", MARKETER),
    g("GET", "/v1/marketing/reports/performance.html", MARKETER),
    g("GET", "/v1/marketing/reports/external-sales", MARKETER),
    g("POST", "/v1/marketing/reports/external-sales", MARKETER),
    g("GET", "/v1/vendor/settlements/statements", VENDOR),
    g("GET", "/v1/vendor/settlements/statements/{id}", VENDOR),
    g("GET", "/v1/vendor/settlements/bank-account", VENDOR),
    g("PUT", "/v1/vendor/settlements/bank-account", VENDOR),
    g("GET", "/v1/admin/settlements/settings", ADMIN),
    g("PUT", "/v1/admin/settlements/settings", ADMIN),
    g("POST", "/v1/admin/settlements/commission-rules", ADMIN),
    g("PUT", "/v1/admin/settlements/payment-fees/{method}", ADMIN),
    g("PUT", "/v1/admin/settlements/vendors/{id}/policy", ADMIN),
    g("GET", "/v1/admin/settlements/vendors/{id}/balance", ADMIN),
    g("POST", "/v1/admin/settlements/close", ADMIN),
    g("GET", "/v1/admin/settlements/statements", ADMIN),
    g("GET", "/v1/admin/settlements/statements/{id}", ADMIN),
    g("POST", "/v1/admin/settlements/statements/{id}/payout", ADMIN),
    g("POST", "/v1/admin/settlements/payouts/send", ADMIN),
    g("GET", "/v1/admin/settlements/payouts", ADMIN),
    g("POST", "/v1/admin/settlements/payouts/{id}/paid", ADMIN),
    g("POST", "/v1/admin/settlements/payouts/{id}/failed", ADMIN),
    g("GET", "/v1/admin/settlements/holds", ADMIN),
    g("POST", "/v1/admin/settlements/holds", ADMIN),
    g("POST", "/v1/admin/settlements/holds/{id}/release", ADMIN),
    g("POST", "/v1/admin/settlements/adjustments", ADMIN),
    g("GET", "/v1/admin/settlements/liabilities", ADMIN),
    g("GET", "/v1/admin/settlements/tax-invoices", ADMIN),
    g("POST", "/v1/admin/settlements/tax-invoices", ADMIN),
    // organisations (a member's routes answer 404 to anyone not a member of {org_id})
    g("POST", "/v1/organisations", ALL),
    g("GET", "/v1/organisations", ALL),
    g("GET", "/v1/organisations/{org_id}", ALL),
    g("GET", "/v1/organisations/{org_id}/members", ALL),
    g("PUT", "/v1/organisations/{org_id}/members", ALL),
    g("POST", "/v1/organisations/{org_id}/quotations", ALL),
    g("GET", "/v1/organisations/{org_id}/quotations", ALL),
    g("GET", "/v1/organisations/{org_id}/quotations/{id}", ALL),
    g("GET", "/v1/organisations/{org_id}/quotations/{id}/document", ALL),
    g("POST", "/v1/organisations/{org_id}/quotations/{id}/accept", ALL),
    g("POST", "/v1/organisations/{org_id}/quotations/{id}/withdraw", ALL),
    g("POST", "/v1/organisations/{org_id}/checkout", ALL),
    g("GET", "/v1/organisations/{org_id}/orders", ALL),
    g("GET", "/v1/organisations/{org_id}/orders/{id}", ALL),
    g("GET", "/v1/organisations/{org_id}/invoices", ALL),
    g("GET", "/v1/organisations/{org_id}/tax-invoices", ALL),
    g("GET", "/v1/admin/organisations", ADMIN),
    g("POST", "/v1/admin/organisations/{id}/approve", ADMIN),
    g("POST", "/v1/admin/organisations/{id}/reject", ADMIN),
    g("PUT", "/v1/admin/organisations/{id}/credit-limit", ADMIN),
    g("GET", "/v1/admin/invoices", ADMIN),
    g("POST", "/v1/admin/invoices/{vendor_order_id}/paid", ADMIN),
    g("GET", "/v1/vendor/quotations", VENDOR),
    g("GET", "/v1/vendor/quotations/{id}", VENDOR),
    g("POST", "/v1/vendor/quotations/{id}/answer", VENDOR),
    g("POST", "/v1/vendor/quotations/{id}/decline", VENDOR),
    g("GET", "/v1/vendor/invoices", VENDOR),
    g("POST", "/v1/vendor/invoices/{vendor_order_id}/paid", VENDOR),
    g("GET", "/v1/vendor/tax-invoices", VENDOR),
    g("POST", "/v1/vendor/tax-invoices/{vendor_order_id}/issue", VENDOR),
];

async fn call(client: &Client, g: &Guarded) -> jikgu_tests::Reply {
    // An empty object: the guard runs before the body is looked at, so an allowed role
    // gets a 422 (or 200), never 401/403.
    let path = g
        .path
        .replace("{id}", ID)
        .replace("{vendor_order_id}", ID)
        .replace("{org_id}", ID)
        .replace("{gateway}", "test");
    match g.method {
        "GET" => client.get(&path).await,
        "POST" => client.post(&path, &json!({})).await,
        "PUT" => client.put(&path, &json!({})).await,
        "PATCH" => client.patch(&path, &json!({})).await,
        "DELETE" => client.delete(&path).await,
        other => panic!("unknown method {other}"),
    }
}

#[tokio::test]
async fn every_guarded_route_refuses_the_other_roles() {
    let app = spawn_app().await;
    let mut clients = Vec::new();
    for role in Role::ALL {
        let vendor = (role == Role::Vendor).then(uuid::Uuid::now_v7);
        clients.push((role, app.account(role, vendor).await.0));
    }
    for g in GUARDED {
        let anon = call(&app.client, g).await;
        assert_eq!(
            anon.status, 401,
            "{} {} anonymous: {}",
            g.method, g.path, anon.body
        );
        for (role, client) in &clients {
            let r = call(client, g).await;
            if g.allowed.contains(role) {
                assert!(
                    r.status != 401 && r.status != 403,
                    "{} {} as {role} should pass the guard, got {}: {}",
                    g.method,
                    g.path,
                    r.status,
                    r.body
                );
            } else {
                assert_eq!(
                    r.status, 403,
                    "{} {} as {role}: {}",
                    g.method, g.path, r.body
                );
                assert_eq!(r.json["code"], "forbidden");
            }
        }
    }
}

/// The table covers every route that the OpenAPI document marks as needing a token (an
/// empty requirement among its security ones makes the token optional: the carts).
#[tokio::test]
async fn the_table_lists_every_guarded_route() {
    let app = spawn_app().await;
    let doc = app.client.get("/openapi.json").await.json;
    let mut missing = Vec::new();
    for (method, path, op) in jikgu_tests::openapi_doc::operations(&doc) {
        let optional = op["security"].as_array().is_some_and(|reqs| {
            reqs.iter()
                .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
        });
        if op.get("security").is_some() && !optional {
            let m = method.to_uppercase();
            if !GUARDED.iter().any(|g| g.method == m && g.path == path) {
                missing.push(format!("{m} {path}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "guarded routes missing from the role table: {missing:?}"
    );
}
