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
