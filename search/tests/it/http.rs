//! The HTTP routes, mounted the way the app mounts them: through `platform::server::app`
//! with the backend as an `Extension` layer.

use crate::support::{KIMCHI, TestEnv};
use jikgu_tests::Client;
use search::http::SearchHandle;
use search::{
    Document, DocumentStream, PostgresBackend, SearchBackend, SearchError, SearchQuery,
    SearchResult, SearchResults, Suggestion,
};
use std::sync::Arc;
use uuid::Uuid;

struct Served {
    client: Client,
    _env: TestEnv,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

async fn serve(env: TestEnv, backend: Option<Arc<dyn SearchBackend>>) -> Served {
    let mut app = platform::server::app(env.state.clone(), search::http::router(), "search test");
    if let Some(b) = backend {
        app = app.layer(axum::Extension(SearchHandle(b)));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
    });
    Served {
        client: Client::new(format!("http://{addr}")),
        _env: env,
        stop: Some(tx),
    }
}

async fn indexed() -> Served {
    let env = TestEnv::new().await;
    let backend: Arc<dyn SearchBackend> = Arc::new(PostgresBackend::new(env.state.db.clone()));
    search::reindex(&env.state, backend.as_ref(), false)
        .await
        .expect("reindex");
    serve(env, Some(backend)).await
}

#[tokio::test]
async fn search_answers_with_hits_facets_and_a_cursor() {
    let s = indexed().await;
    let r = s.client.get("/v1/search?q=김치").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["total"], 2);
    assert_eq!(r.json["hits"][0]["title"], KIMCHI);
    assert_eq!(
        r.json["hits"][0]["highlighted_title"],
        "강화순무<em>김치</em> 2kg"
    );
    assert_eq!(r.json["hits"][0]["price"], 25000);
    assert_eq!(r.json["hits"][0]["vendor"]["trade_name"], "강화순무농원");
    // Every facet by default.
    assert_eq!(r.json["facets"]["prices"].as_array().map(Vec::len), Some(4));
    assert_eq!(r.json["facets"]["certified"], 2);
    assert!(r.json["next_cursor"].is_null());

    let page = s
        .client
        .get("/v1/search?sort=price_asc&limit=2&facets=")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.json["hits"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        page.json["facets"]["prices"].as_array().map(Vec::len),
        Some(0)
    );
    let cursor = page.json["next_cursor"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let next = s
        .client
        .get(&format!(
            "/v1/search?sort=price_asc&limit=2&cursor={cursor}"
        ))
        .await;
    assert_eq!(next.status, 200, "{}", next.body);
    assert_ne!(next.json["hits"][0]["id"], page.json["hits"][0]["id"]);

    let filtered = s
        .client
        .get(
            "/v1/search?certified=true&in_stock=true&min_price=10000&max_price=30000&facets=vendor",
        )
        .await;
    assert_eq!(filtered.status, 200, "{}", filtered.body);
    assert_eq!(filtered.json["total"], 1);
    assert_eq!(filtered.json["hits"][0]["title"], KIMCHI);

    let sug = s.client.get("/v1/search/suggest?q=강화&limit=2").await;
    assert_eq!(sug.status, 200, "{}", sug.body);
    assert_eq!(sug.json["suggestions"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn bad_input_is_a_problem_never_a_500() {
    let s = indexed().await;
    let cases: &[(&str, u16, &str)] = &[
        ("/v1/search?min_price=abc", 422, "validation_failed"),
        ("/v1/search?category=not-a-uuid", 422, "validation_failed"),
        ("/v1/search?sort=cheapest", 422, "validation_failed"),
        ("/v1/search?colour=red", 422, "validation_failed"),
        ("/v1/search?cursor=garbage!", 422, "invalid_cursor"),
        ("/v1/search?limit=0", 422, "validation_failed"),
        ("/v1/search?limit=1000", 422, "validation_failed"),
        (
            "/v1/search?limit=99999999999999999999",
            422,
            "validation_failed",
        ),
        (
            "/v1/search?min_price=5000&max_price=1000",
            422,
            "validation_failed",
        ),
        ("/v1/search?min_price=-1", 422, "validation_failed"),
        ("/v1/search?facets=colour", 422, "validation_failed"),
        ("/v1/search/suggest", 422, "validation_failed"),
        ("/v1/search/suggest?q=%20", 422, "validation_failed"),
        (
            "/v1/search/suggest?q=강화&limit=50",
            422,
            "validation_failed",
        ),
    ];
    for (path, status, code) in cases {
        let r = s.client.get(path).await;
        assert_eq!(r.status, *status, "{path}: {}", r.body);
        r.assert_problem(*status, code);
    }
    let long = "가".repeat(101);
    let r = s.client.get(&format!("/v1/search?q={long}")).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.json["errors"][0]["field"], "q");
    // Several mistakes are reported together.
    let r = s.client.get("/v1/search?limit=0&facets=x").await;
    assert_eq!(
        r.json["errors"].as_array().map(Vec::len),
        Some(2),
        "{}",
        r.body
    );
    // SQL and LIKE characters are just text.
    for q in [
        "50%25off",
        "a_b",
        "'%3B DROP TABLE search.documents%3B --",
        "x%5Cy",
    ] {
        let r = s.client.get(&format!("/v1/search?q={q}")).await;
        assert_eq!(r.status, 200, "{q}: {}", r.body);
        assert_eq!(r.json["total"], 0, "{q}");
    }
    // Punctuation alone has nothing to search for.
    s.client
        .get("/v1/search?q=%25%25")
        .await
        .assert_problem(422, "validation_failed");
}

struct Down;

#[async_trait::async_trait]
impl SearchBackend for Down {
    fn name(&self) -> &'static str {
        "down"
    }
    async fn upsert(&self, _d: &[Document]) -> SearchResult<u64> {
        Err(SearchError::Backend(
            "connection refused to 10.0.0.7:7700".into(),
        ))
    }
    async fn delete(&self, _i: &[Uuid]) -> SearchResult<u64> {
        Err(SearchError::Backend(
            "connection refused to 10.0.0.7:7700".into(),
        ))
    }
    async fn search(&self, q: &SearchQuery) -> SearchResult<SearchResults> {
        // Input is still checked first, as a real backend does.
        q.normalized()?;
        Err(SearchError::Timeout("searching"))
    }
    async fn suggest(&self, _p: &str, _l: usize) -> SearchResult<Vec<Suggestion>> {
        Err(SearchError::Backend(
            "connection refused to 10.0.0.7:7700".into(),
        ))
    }
    async fn rebuild(&self, _b: DocumentStream<'_>) -> SearchResult<u64> {
        Err(SearchError::Backend(
            "connection refused to 10.0.0.7:7700".into(),
        ))
    }
}

#[tokio::test]
async fn a_failing_engine_or_missing_layer_is_a_503_that_says_nothing_internal() {
    let env = TestEnv::new().await;
    let s = serve(env, Some(Arc::new(Down))).await;
    for path in ["/v1/search?q=김치", "/v1/search/suggest?q=김치"] {
        let r = s.client.get(path).await;
        r.assert_problem(503, "unavailable");
        assert!(!r.body.contains("10.0.0.7"), "{}", r.body);
    }
    let env = TestEnv::new().await;
    let bare = serve(env, None).await;
    bare.client
        .get("/v1/search?q=김치")
        .await
        .assert_problem(503, "unavailable");
}

#[tokio::test]
async fn the_routes_are_documented() {
    let s = indexed().await;
    let doc = s.client.get("/openapi.json").await;
    assert_eq!(doc.status, 200);
    let search = &doc.json["paths"]["/v1/search"]["get"];
    let params: Vec<&str> = search["parameters"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    for p in [
        "q",
        "category",
        "vendor",
        "certified",
        "min_price",
        "max_price",
        "campaign",
        "in_stock",
        "sort",
        "limit",
        "cursor",
    ] {
        assert!(params.contains(&p), "{p} is documented: {params:?}");
    }
    assert!(search["responses"]["200"].is_object());
    assert!(doc.json["paths"]["/v1/search/suggest"]["get"].is_object());
    let schemas = &doc.json["components"]["schemas"];
    assert!(schemas["SearchResults"].is_object());
    // Not the catalog's `Sort` and `VendorRef`, which share the document.
    let sort = search["parameters"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["name"] == "sort"))
        .map(|p| p.to_string())
        .unwrap_or_default();
    assert!(sort.contains("relevance"), "{sort}");
    assert!(schemas["SearchVendorRef"].is_object());
    assert!(schemas.get("Sort").is_none() && schemas.get("VendorRef").is_none());
}
