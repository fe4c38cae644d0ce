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
const ADMIN: &[Role] = &[Role::Admin];
/// Any id: the guard answers before the row is looked up.
const ID: &str = "0193a000-0000-7000-8000-000000000001";

const GUARDED: &[Guarded] = &[
    Guarded {
        method: "GET",
        path: "/v1/me",
        allowed: ALL,
    },
    Guarded {
        method: "GET",
        path: "/v1/admin/accounts",
        allowed: ADMIN,
    },
    Guarded {
        method: "POST",
        path: "/v1/admin/accounts",
        allowed: ADMIN,
    },
    // catalog
    Guarded {
        method: "POST",
        path: "/v1/vendor-applications",
        allowed: ALL,
    },
    Guarded {
        method: "GET",
        path: "/v1/vendor/profile",
        allowed: VENDOR,
    },
    Guarded {
        method: "PATCH",
        path: "/v1/vendor/profile",
        allowed: VENDOR,
    },
    Guarded {
        method: "GET",
        path: "/v1/vendor/products",
        allowed: VENDOR,
    },
    Guarded {
        method: "POST",
        path: "/v1/vendor/products",
        allowed: VENDOR,
    },
    Guarded {
        method: "GET",
        path: "/v1/vendor/products/{id}",
        allowed: VENDOR,
    },
    Guarded {
        method: "PATCH",
        path: "/v1/vendor/products/{id}",
        allowed: VENDOR,
    },
    Guarded {
        method: "POST",
        path: "/v1/vendor/products/{id}/publish",
        allowed: VENDOR,
    },
    Guarded {
        method: "POST",
        path: "/v1/vendor/products/{id}/archive",
        allowed: VENDOR,
    },
    Guarded {
        method: "POST",
        path: "/v1/vendor/products/{id}/variants",
        allowed: VENDOR,
    },
    Guarded {
        method: "PATCH",
        path: "/v1/vendor/variants/{id}",
        allowed: VENDOR,
    },
    Guarded {
        method: "PUT",
        path: "/v1/vendor/variants/{id}/stock",
        allowed: VENDOR,
    },
    Guarded {
        method: "POST",
        path: "/v1/vendor/variants/{id}/stock-adjustments",
        allowed: VENDOR,
    },
    Guarded {
        method: "POST",
        path: "/v1/vendor/products/import",
        allowed: VENDOR,
    },
    Guarded {
        method: "GET",
        path: "/v1/vendor/certifications",
        allowed: VENDOR,
    },
    Guarded {
        method: "POST",
        path: "/v1/vendor/certifications",
        allowed: VENDOR,
    },
    Guarded {
        method: "GET",
        path: "/v1/admin/vendors",
        allowed: ADMIN,
    },
    Guarded {
        method: "GET",
        path: "/v1/admin/vendors/{id}",
        allowed: ADMIN,
    },
    Guarded {
        method: "POST",
        path: "/v1/admin/vendors/{id}/approve",
        allowed: ADMIN,
    },
    Guarded {
        method: "POST",
        path: "/v1/admin/vendors/{id}/reject",
        allowed: ADMIN,
    },
    Guarded {
        method: "POST",
        path: "/v1/admin/vendors/{id}/suspend",
        allowed: ADMIN,
    },
    Guarded {
        method: "POST",
        path: "/v1/admin/vendors/{id}/reinstate",
        allowed: ADMIN,
    },
    Guarded {
        method: "GET",
        path: "/v1/admin/vendors/{id}/penalties",
        allowed: ADMIN,
    },
    Guarded {
        method: "POST",
        path: "/v1/admin/vendors/{id}/penalties",
        allowed: ADMIN,
    },
    Guarded {
        method: "POST",
        path: "/v1/admin/certifications/{id}/verify",
        allowed: ADMIN,
    },
    Guarded {
        method: "POST",
        path: "/v1/admin/categories",
        allowed: ADMIN,
    },
];

async fn call(client: &Client, g: &Guarded) -> jikgu_tests::Reply {
    // An empty object: the guard runs before the body is looked at, so an allowed role
    // gets a 422 (or 200), never 401/403.
    let path = g.path.replace("{id}", ID);
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

/// The table covers every route that the OpenAPI document marks as needing a token.
#[tokio::test]
async fn the_table_lists_every_guarded_route() {
    let app = spawn_app().await;
    let doc = app.client.get("/openapi.json").await.json;
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            if op.get("security").is_some() {
                let m = method.to_uppercase();
                if !GUARDED.iter().any(|g| g.method == m && g.path == path) {
                    missing.push(format!("{m} {path}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "guarded routes missing from the role table: {missing:?}"
    );
}
