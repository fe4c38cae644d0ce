//! Every list behaves the same at its edge, whichever crate serves it: a `limit` outside
//! its documented range, a cursor no list gave out, or a query parameter that does not
//! parse (a filter word that names nothing, a word where a number, a date or an id goes) is
//! a 422 naming the parameter, never a clamped or empty answer. The operations are found
//! in `/openapi.json`, so a new list is checked without this file knowing of it.

use jikgu_tests::fixtures::token_customer;
use jikgu_tests::openapi_doc::{operations, resolve};
use jikgu_tests::{Client, spawn_app};
use platform::auth::Role;
use serde_json::Value;

struct Callers {
    anonymous: Client,
    customer: Client,
    vendor: Client,
    marketer: Client,
    admin: Client,
}

impl Callers {
    /// The role whose routes these are (roles are enforced before the query is read).
    fn for_path(&self, path: &str) -> &Client {
        if path.starts_with("/v1/admin/") {
            &self.admin
        } else if path.starts_with("/v1/marketing/") {
            &self.marketer
        } else if path.starts_with("/v1/vendor/") {
            &self.vendor
        } else if ["/v1/orders", "/v1/me", "/v1/carts"]
            .iter()
            .any(|p| path.starts_with(p))
        {
            &self.customer
        } else {
            &self.anonymous
        }
    }
}

/// A parameter's schema, `$ref`s into the components followed.
fn schema_of<'a>(doc: &'a Value, param: &'a Value) -> &'a Value {
    resolve(doc, &param["schema"]).0
}

/// Values that cannot be right for a parameter of this schema, with the field error code
/// each must give (`None`: any code, as long as the parameter is named).
fn wrong_values(name: &str, schema: &Value) -> Vec<(String, Option<&'static str>)> {
    if name == "cursor" {
        return vec![
            ("not-a-cursor!".into(), Some("invalid_cursor")),
            // Well-formed base64url JSON, but no list's key.
            ("eyJ4IjoxfQ".into(), Some("invalid_cursor")),
        ];
    }
    if schema["enum"].is_array() {
        return vec![("no-such-value".into(), Some("unknown_value"))];
    }
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (Some("integer"), _) => {
            let mut v = vec![("lots".into(), Some("invalid"))];
            if let Some(min) = schema["minimum"].as_i64() {
                v.push(((min - 1).to_string(), None));
            }
            if let Some(max) = schema["maximum"].as_i64() {
                v.push(((max + 1).to_string(), Some("out_of_range")));
            }
            v
        }
        (Some("boolean"), _) => vec![("maybe".into(), Some("invalid"))],
        (Some("string"), Some("uuid" | "date" | "date-time")) => {
            vec![("not-one".into(), Some("invalid"))]
        }
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn every_list_refuses_a_bad_limit_cursor_or_filter_with_a_422_naming_it() {
    let app = spawn_app().await;
    let vendor = app.vendor("목록상회").await;
    let callers = Callers {
        anonymous: app.client.clone(),
        customer: token_customer(&app).0,
        vendor: vendor.client,
        marketer: app.account(Role::Marketer, None).await.0,
        admin: app.account(Role::Admin, None).await.0,
    };
    let doc = app.client.get("/openapi.json").await.json;
    let mut wrong = Vec::new();
    let mut lists = 0;
    let mut probes = 0;
    for (_, path, op) in operations(&doc).filter(|(method, _, _)| *method == "get") {
        // An organisation's lists answer only its members, and a made-up organisation id
        // has none: the member extractor's 404 comes before the query is read. Their bad
        // limits and cursors go through the same `PageParams` as every other list.
        if path.starts_with("/v1/organisations/{") {
            continue;
        }
        let params: Vec<&Value> = op["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter(|p| p["in"] == "query").collect())
            .unwrap_or_default();
        // Path parameters get an id that names nothing: the query is read first.
        let concrete = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    uuid::Uuid::now_v7().to_string()
                } else {
                    seg.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let client = callers.for_path(path);
        for p in &params {
            let name = p["name"].as_str().expect("name");
            let schema = schema_of(&doc, p);
            if name == "limit" {
                lists += 1;
                assert_eq!(
                    schema["minimum"], 1,
                    "{path}: limit has no documented minimum"
                );
                assert!(
                    schema["maximum"].is_i64(),
                    "{path}: limit has no documented maximum"
                );
            }
            if ["status", "role", "sort", "format"].contains(&name) {
                assert!(
                    schema["enum"].is_array(),
                    "{path}: the filter {name} does not list its values"
                );
            }
            // The other required parameters get a value they accept, so that the answer
            // can only be about this one.
            let others: String = params
                .iter()
                .filter(|o| o["required"] == true && o["name"] != name)
                .map(|o| {
                    let s = schema_of(&doc, o);
                    let ok = s["minimum"]
                        .as_i64()
                        .map(|m| m.to_string())
                        .or_else(|| s["enum"][0].as_str().map(str::to_owned))
                        .unwrap_or_else(|| "x".to_owned());
                    format!("&{}={ok}", o["name"].as_str().unwrap_or_default())
                })
                .collect();
            for (value, code) in wrong_values(name, schema) {
                probes += 1;
                let url = format!("{concrete}?{name}={value}{others}");
                let r = client.get(&url).await;
                let named = r.json["errors"].as_array().and_then(|es| {
                    es.iter()
                        .find(|e| e["field"] == name)
                        .map(|e| e["code"].as_str().unwrap_or("").to_owned())
                });
                let ok = r.status == 422
                    && named
                        .as_deref()
                        .is_some_and(|c| code.is_none_or(|want| c == want));
                let problem_code_ok = name != "cursor" || r.json["code"] == "invalid_cursor";
                if !ok || !problem_code_ok {
                    wrong.push(format!(
                        "GET {url}: {} {} (want 422 naming {name}{})",
                        r.status,
                        r.body.chars().take(300).collect::<String>(),
                        code.map(|c| format!(" with {c}")).unwrap_or_default()
                    ));
                }
            }
        }
        // The largest page the document allows is served.
        if !path.contains('{')
            && let Some(max) = params
                .iter()
                .find(|p| p["name"] == "limit")
                .and_then(|p| schema_of(&doc, p)["maximum"].as_i64())
        {
            let extra = if path == "/v1/search/suggest" {
                "&q=x"
            } else {
                ""
            };
            let r = client.get(&format!("{path}?limit={max}{extra}")).await;
            if r.status != 200 {
                wrong.push(format!("GET {path}?limit={max}: {} {}", r.status, r.body));
            }
        }
    }
    assert!(lists >= 15, "only {lists} lists found in the document");
    assert!(probes >= 60, "only {probes} probes");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
