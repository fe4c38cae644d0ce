//! The OpenAPI document is part of the API: a change to it shows up as a diff of
//! `tests/snapshots/openapi.json`. Run with `UPDATE_SNAPSHOTS=1` to accept a change.

use jikgu_tests::spawn_app;

#[tokio::test]
async fn openapi_document_matches_the_snapshot() {
    let app = spawn_app().await;
    let r = app.client.get("/openapi.json").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["openapi"], "3.1.0");
    let pretty = serde_json::to_string_pretty(&r.json).expect("json") + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/openapi.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &pretty).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == pretty,
        "the OpenAPI document changed; review it and run `UPDATE_SNAPSHOTS=1 cargo test -p jikgu-tests openapi`"
    );
}

#[tokio::test]
async fn docs_ui_is_served() {
    let app = spawn_app().await;
    let r = app.client.get("/docs").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("/openapi.json"));
}

/// A client generated from the document gets a type for every answer: no schema is a
/// bare `object`, with neither `properties` nor `additionalProperties`.
#[tokio::test]
async fn no_schema_is_an_untyped_object() {
    let app = spawn_app().await;
    let r = app.client.get("/openapi.json").await;
    assert_eq!(r.status, 200);
    let mut bare = Vec::new();
    untyped_objects(&r.json, "#", &mut bare);
    assert!(bare.is_empty(), "untyped object schemas at: {bare:#?}");
}

/// The paths (JSON pointers) under `at` of every schema of type `object` that says
/// nothing of what it holds.
fn untyped_objects(v: &serde_json::Value, at: &str, out: &mut Vec<String>) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let is_object = match map.get("type") {
                Some(Value::String(t)) => t == "object",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
                _ => false,
            };
            if is_object
                && !map.contains_key("properties")
                && !map.contains_key("additionalProperties")
            {
                out.push(at.to_owned());
            }
            for (k, child) in map {
                let k = k.replace('~', "~0").replace('/', "~1");
                untyped_objects(child, &format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                untyped_objects(child, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn an_untyped_object_is_found_wherever_it_is() {
    let doc = serde_json::json!({
        "components": { "schemas": {
            "Typed": { "type": "object", "properties": { "a": { "type": "string" } } },
            "Map": { "type": "object", "additionalProperties": { "type": "string" } },
            "Bare": { "type": ["object", "null"] },
        } },
        "paths": { "/v1/x": { "get": { "responses": { "200": { "content": {
            "application/json": { "schema": { "type": "object" } } } } } } } }
    });
    let mut bare = Vec::new();
    untyped_objects(&doc, "#", &mut bare);
    bare.sort();
    assert_eq!(
        bare,
        [
            "#/components/schemas/Bare",
            "#/paths/~1v1~1x/get/responses/200/content/application~1json/schema"
        ]
    );
}

/// Errors are sent as `application/problem+json`, so the document must say so, and an
/// operation that needs a token must list the answers for a missing token (401) and a
/// role that may not (403).
#[tokio::test]
async fn error_answers_are_problem_json_and_secured_operations_list_401_and_403() {
    let doc = document().await;
    let mut wrong = Vec::new();
    for (method, path, op) in jikgu_tests::openapi_doc::operations(&doc) {
        let Some(responses) = op["responses"].as_object() else {
            continue;
        };
        for (status, response) in responses {
            if status.starts_with('2') || status.starts_with('3') {
                continue;
            }
            let types: Vec<&String> = response["content"]
                .as_object()
                .map(|c| c.keys().collect())
                .unwrap_or_default();
            if types != ["application/problem+json"] {
                wrong.push(format!("{method} {path} {status}: {types:?}"));
            }
        }
        let secured = op["security"].as_array().is_some_and(|reqs| {
            reqs.iter()
                .any(|r| r.as_object().is_some_and(|o| !o.is_empty()))
        });
        if secured {
            for status in ["401", "403"] {
                if !responses.contains_key(status) {
                    wrong.push(format!("{method} {path}: secured but no {status}"));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "error answers not documented as sent: {wrong:#?}"
    );
}

/// The served document.
async fn document() -> serde_json::Value {
    let app = spawn_app().await;
    let r = app.client.get("/openapi.json").await;
    assert_eq!(r.status, 200);
    r.json
}

/// A client generator stops at a `$ref` that points nowhere: every
/// `#/components/schemas/X` the document names is defined.
#[tokio::test]
async fn every_schema_reference_resolves() {
    let doc = document().await;
    let mut refs = Vec::new();
    schema_refs(&doc, &mut refs);
    assert!(!refs.is_empty(), "the document references no schema at all");
    let schemas = &doc["components"]["schemas"];
    let mut dangling: Vec<&str> = refs
        .iter()
        .map(String::as_str)
        .filter(|name| schemas.get(name).is_none())
        .collect();
    dangling.sort_unstable();
    dangling.dedup();
    assert!(
        dangling.is_empty(),
        "undefined schemas referenced: {dangling:?}"
    );
}

/// The names of every `#/components/schemas/X` referenced anywhere under `v`.
fn schema_refs(v: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref")
                && let Some(name) = r.strip_prefix("#/components/schemas/")
            {
                out.push(name.to_owned());
            }
            map.values().for_each(|child| schema_refs(child, out));
        }
        Value::Array(items) => items.iter().for_each(|child| schema_refs(child, out)),
        _ => {}
    }
}

/// The ranges the code enforces are in the document: a cart line holds at most 999 (every
/// `limit` and every other integer: `lists.rs` and `bounds.rs`).
#[tokio::test]
async fn enforced_ranges_are_documented() {
    let doc = document().await;
    let quantity = &doc["components"]["schemas"]["SetQuantity"]["properties"]["quantity"];
    assert_eq!(quantity["minimum"], 0, "{quantity}");
    assert_eq!(quantity["maximum"], 999, "{quantity}");
}
