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

const GUARDED: &[Guarded] = &[
    Guarded {
        method: "GET",
        path: "/v1/me",
        allowed: &[Role::Customer, Role::Vendor, Role::Marketer, Role::Admin],
    },
    Guarded {
        method: "GET",
        path: "/v1/admin/accounts",
        allowed: &[Role::Admin],
    },
    Guarded {
        method: "POST",
        path: "/v1/admin/accounts",
        allowed: &[Role::Admin],
    },
];

async fn call(client: &Client, g: &Guarded) -> jikgu_tests::Reply {
    // An empty object: the guard runs before the body is looked at, so an allowed role
    // gets a 422 (or 200), never 401/403.
    match g.method {
        "GET" => client.get(g.path).await,
        "POST" => client.post(g.path, &json!({})).await,
        "PUT" => client.put(g.path, &json!({})).await,
        "PATCH" => client.patch(g.path, &json!({})).await,
        "DELETE" => client.delete(g.path).await,
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
