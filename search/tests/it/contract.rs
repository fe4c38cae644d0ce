//! The Meilisearch backend against a fake Meilisearch on 127.0.0.1:0 that records every
//! request and answers with the JSON shapes real Meilisearch sends (task objects, task
//! status, search responses with `_formatted` and `facetDistribution`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{TimeZone, Utc};
use futures::StreamExt;
use platform::error::ApiError;
use platform::money::Won;
use search::{
    Document, Facet, Filters, MeiliConfig, MeilisearchBackend, SearchBackend, SearchError,
    SearchQuery, Sort,
};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Debug, Clone)]
struct Recorded {
    method: Method,
    path: String,
    query: Option<String>,
    auth: Option<String>,
    body: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Succeed,
    /// Tasks of document writes fail as Meilisearch reports a bad document.
    FailDocuments,
    /// Tasks of document writes never leave `processing`.
    HangDocuments,
}

struct FakeState {
    requests: Vec<Recorded>,
    /// (index uid, task type) per task uid.
    tasks: Vec<(String, &'static str)>,
    indexes: HashSet<String>,
    outcome: Outcome,
    search_reply: Value,
    search_delay: Duration,
}

#[derive(Clone)]
struct Fake(Arc<Mutex<FakeState>>);

const AT: &str = "2026-11-22T07:00:00.000000Z";

impl Fake {
    fn new(outcome: Outcome) -> Fake {
        Fake(Arc::new(Mutex::new(FakeState {
            requests: Vec::new(),
            tasks: Vec::new(),
            indexes: HashSet::new(),
            outcome,
            search_reply: json!({}),
            search_delay: Duration::ZERO,
        })))
    }

    fn with<T>(&self, f: impl FnOnce(&mut FakeState) -> T) -> T {
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    fn requests(&self) -> Vec<Recorded> {
        self.with(|s| s.requests.clone())
    }

    /// Start serving; returns the base URL.
    async fn start(&self) -> String {
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{addr}")
    }
}

/// `202 Accepted` with a summarized task, as every asynchronous route answers.
fn enqueue(s: &mut FakeState, index: &str, kind: &'static str) -> Response {
    let uid = s.tasks.len() as u32;
    s.tasks.push((index.to_owned(), kind));
    (
        StatusCode::ACCEPTED,
        axum::Json(json!({
            "taskUid": uid,
            "indexUid": index,
            "status": "enqueued",
            "type": kind,
            "enqueuedAt": AT
        })),
    )
        .into_response()
}

fn details(kind: &str) -> Value {
    match kind {
        "documentAdditionOrUpdate" => json!({"receivedDocuments": 1, "indexedDocuments": 1}),
        "documentDeletion" => {
            json!({"providedIds": 1, "deletedDocuments": 1, "originalFilter": null})
        }
        "indexCreation" => json!({"primaryKey": "id"}),
        "indexDeletion" => json!({"deletedDocuments": 0}),
        "indexSwap" => json!({"swaps": [{"indexes": ["a", "b"]}]}),
        _ => json!({}),
    }
}

fn task(s: &FakeState, uid: u32) -> Response {
    let Some((index, kind)) = s.tasks.get(uid as usize).cloned() else {
        return meili_error(
            StatusCode::NOT_FOUND,
            "task_not_found",
            &format!("Task `{uid}` not found."),
        );
    };
    let is_doc_write = kind == "documentAdditionOrUpdate";
    let already = kind == "indexCreation" && s.indexes.contains(&index) && {
        // The index existed before this creation task (it is the second one for it).
        s.tasks[..uid as usize]
            .iter()
            .any(|(i, k)| i == &index && *k == "indexCreation")
    };
    let mut t = json!({
        "uid": uid,
        "batchUid": uid,
        "indexUid": index,
        "type": kind,
        "canceledBy": null,
        "details": details(kind),
        "error": null,
        "duration": "PT0.004512S",
        "enqueuedAt": AT,
        "startedAt": AT,
        "finishedAt": AT,
        "status": "succeeded"
    });
    if is_doc_write && s.outcome == Outcome::HangDocuments {
        t["status"] = json!("processing");
        t["duration"] = Value::Null;
        t["finishedAt"] = Value::Null;
    } else if is_doc_write && s.outcome == Outcome::FailDocuments {
        t["status"] = json!("failed");
        t["error"] = json!({
            "message": "Document identifier `\"x y\"` is invalid. A document identifier can be of type integer or string, only composed of alphanumeric characters (a-z A-Z 0-9), hyphens (-) and underscores (_), and can not be more than 511 bytes.",
            "code": "invalid_document_id",
            "type": "invalid_request",
            "link": "https://docs.meilisearch.com/errors#invalid_document_id"
        });
    } else if already {
        t["status"] = json!("failed");
        t["error"] = json!({
            "message": format!("Index `{index}` already exists."),
            "code": "index_already_exists",
            "type": "invalid_request",
            "link": "https://docs.meilisearch.com/errors#index_already_exists"
        });
    }
    axum::Json(t).into_response()
}

fn meili_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "message": message,
            "code": code,
            "type": "invalid_request",
            "link": format!("https://docs.meilisearch.com/errors#{code}")
        })),
    )
        .into_response()
}

async fn handle(
    State(fake): State<Fake>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let delay = fake.with(|s| {
        s.requests.push(Recorded {
            method: method.clone(),
            path: path.clone(),
            query: uri.query().map(str::to_owned),
            auth: headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: body.clone(),
        });
        s.search_delay
    });
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    if method == Method::POST && parts.len() == 3 && parts[2] == "search" {
        tokio::time::sleep(delay).await;
        return axum::Json(fake.with(|s| s.search_reply.clone())).into_response();
    }
    fake.with(|s| match (method.as_str(), parts.as_slice()) {
        ("POST", ["indexes"]) => {
            let uid = body["uid"].as_str().unwrap_or_default().to_owned();
            let r = enqueue(s, &uid, "indexCreation");
            s.indexes.insert(uid);
            r
        }
        ("PATCH", ["indexes", uid, "settings"]) => enqueue(s, uid, "settingsUpdate"),
        ("POST", ["indexes", uid, "documents"]) => enqueue(s, uid, "documentAdditionOrUpdate"),
        ("POST", ["indexes", uid, "documents", "delete-batch"]) => {
            enqueue(s, uid, "documentDeletion")
        }
        ("DELETE", ["indexes", uid]) => enqueue(s, uid, "indexDeletion"),
        ("POST", ["swap-indexes"]) => enqueue(s, "", "indexSwap"),
        ("GET", ["tasks", uid]) => match uid.parse() {
            Ok(uid) => task(s, uid),
            Err(_) => meili_error(StatusCode::BAD_REQUEST, "invalid_task_uids", "bad uid"),
        },
        _ => meili_error(StatusCode::NOT_FOUND, "not_found", "no route"),
    })
}

fn config(url: &str) -> MeiliConfig {
    let mut c = MeiliConfig::new(url, Some("test-key".into()));
    c.request_timeout = Duration::from_secs(2);
    c.task_timeout = Duration::from_secs(2);
    c
}

fn doc(title: &str, price: i64) -> Document {
    Document {
        id: Uuid::now_v7(),
        title: title.into(),
        description: "강화 순무로 담근 김치".into(),
        vendor_id: Uuid::from_u128(1),
        vendor_name: "강화순무농원".into(),
        category_id: Uuid::from_u128(3),
        category_ids: vec![Uuid::from_u128(2), Uuid::from_u128(3)],
        tags: vec!["강화".into()],
        certified: true,
        certification_kinds: vec!["인천 품질우수제품".into()],
        campaign_ids: Vec::new(),
        price: Won(price),
        in_stock: true,
        popularity: 7,
        published_at: Utc.timestamp_millis_opt(1_795_000_000_123).single(),
        image: Some("https://img.jikgu.kr/1.jpg".into()),
    }
}

/// Connect to a fresh fake; returns it with the backend and forgets the start-up requests.
async fn connected(
    outcome: Outcome,
    tweak: impl FnOnce(&mut MeiliConfig),
) -> (Fake, MeilisearchBackend) {
    let fake = Fake::new(outcome);
    let url = fake.start().await;
    let mut cfg = config(&url);
    tweak(&mut cfg);
    let backend = MeilisearchBackend::connect(cfg).await.expect("connect");
    fake.with(|s| s.requests.clear());
    (fake, backend)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn connecting_creates_the_index_and_applies_the_settings() {
    let fake = Fake::new(Outcome::Succeed);
    let url = fake.start().await;
    MeilisearchBackend::connect(config(&url))
        .await
        .expect("connect");
    let reqs = fake.requests();
    let calls: Vec<(String, String)> = reqs
        .iter()
        .map(|r| (r.method.to_string(), r.path.clone()))
        .collect();
    assert_eq!(
        calls,
        [
            ("POST".into(), "/indexes".into()),
            ("GET".into(), "/tasks/0".into()),
            ("PATCH".into(), "/indexes/products/settings".into()),
            ("GET".into(), "/tasks/1".into()),
        ]
    );
    assert!(
        reqs.iter()
            .all(|r| r.auth.as_deref() == Some("Bearer test-key"))
    );
    assert_eq!(reqs[0].body, json!({"uid": "products", "primaryKey": "id"}));
    let s = &reqs[2].body;
    assert_eq!(
        strings(&s["searchableAttributes"]),
        ["title", "tags", "description"]
    );
    let filterable = strings(&s["filterableAttributes"]);
    for f in [
        "category_ids",
        "vendor_id",
        "certified",
        "campaign_ids",
        "price",
        "in_stock",
    ] {
        assert!(
            filterable.contains(&f.to_owned()),
            "{f} is filterable: {filterable:?}"
        );
    }
    assert_eq!(
        strings(&s["sortableAttributes"]),
        ["price", "published_at", "popularity"]
    );
    let rules = strings(&s["rankingRules"]);
    assert_eq!(rules.first().map(String::as_str), Some("words"));
    assert!(rules.contains(&"sort".to_owned()));
    assert_eq!(rules.last().map(String::as_str), Some("popularity:desc"));
    assert_eq!(s["synonyms"]["쌀"], json!(["백미"]));
    assert_eq!(s["synonyms"]["백미"], json!(["쌀"]));
    assert_eq!(s["typoTolerance"]["enabled"], json!(true));
    assert_eq!(
        s["typoTolerance"]["minWordSizeForTypos"]["oneTypo"],
        json!(5)
    );
    assert_eq!(s["faceting"]["maxValuesPerFacet"], json!(100));
    assert_eq!(s["pagination"]["maxTotalHits"], json!(1000));
    assert_eq!(s["localizedAttributes"][0]["locales"], json!(["kor"]));

    // Starting again finds the index there: Meilisearch fails the creation task with
    // `index_already_exists`, which is fine.
    MeilisearchBackend::connect(config(&url))
        .await
        .expect("connect to an existing index");
}

#[tokio::test]
async fn writes_go_in_batches_that_wait_for_their_tasks() {
    let (fake, backend) = connected(Outcome::Succeed, |c| c.write_batch = 2).await;
    let docs = [
        doc("강화순무김치 2kg", 25_000),
        doc("옹진 꽃게", 45_000),
        doc("바구니", 8_000),
    ];
    backend.upsert(&docs).await.expect("upsert");
    let reqs = fake.requests();
    let calls: Vec<String> = reqs
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        calls,
        [
            "POST /indexes/products/documents",
            "GET /tasks/2",
            "POST /indexes/products/documents",
            "GET /tasks/3",
        ]
    );
    assert_eq!(reqs[0].query.as_deref(), Some("primaryKey=id"));
    assert_eq!(reqs[0].body.as_array().map(Vec::len), Some(2));
    assert_eq!(reqs[2].body.as_array().map(Vec::len), Some(1));
    let first = &reqs[0].body[0];
    let d = &docs[0];
    assert_eq!(
        *first,
        json!({
            "id": d.id,
            "title": "강화순무김치 2kg",
            "description": "강화 순무로 담근 김치",
            "tags": ["강화"],
            "vendor_id": d.vendor_id,
            "vendor_name": "강화순무농원",
            "vendor_key": format!("{} 강화순무농원", d.vendor_id),
            "category_id": d.category_id,
            "category_ids": [Uuid::from_u128(2), Uuid::from_u128(3)],
            "certified": true,
            "certification_kinds": ["인천 품질우수제품"],
            "campaign_ids": [],
            "price": 25000,
            "price_bucket": "10000_30000",
            "in_stock": true,
            "popularity": 7,
            "published_at": 1_795_000_000_123_i64,
            "image": "https://img.jikgu.kr/1.jpg"
        })
    );

    fake.with(|s| s.requests.clear());
    backend
        .delete(&[docs[0].id, docs[1].id])
        .await
        .expect("delete");
    let reqs = fake.requests();
    assert_eq!(reqs[0].path, "/indexes/products/documents/delete-batch");
    assert_eq!(reqs[0].body, json!([docs[0].id, docs[1].id]));
    assert_eq!(reqs[1].path, "/tasks/4");
    // Nothing to write sends nothing.
    fake.with(|s| s.requests.clear());
    backend.upsert(&[]).await.expect("empty upsert");
    backend.delete(&[]).await.expect("empty delete");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn a_failed_task_is_an_error_with_meilisearchs_reason() {
    let (_fake, backend) = connected(Outcome::FailDocuments, |_| {}).await;
    let err = backend
        .upsert(&[doc("김치", 1000)])
        .await
        .expect_err("the task failed");
    match &err {
        SearchError::TaskFailed { code, message, .. } => {
            assert_eq!(code, "invalid_document_id");
            assert!(message.contains("Document identifier"), "{message}");
        }
        other => panic!("expected TaskFailed, got {other:?}"),
    }
    // Shoppers get a 503 that says nothing internal.
    let api = ApiError::from(err);
    assert_eq!(api.code.status(), 503);
    assert!(api.problem().detail.is_none());
}

#[tokio::test]
async fn timeouts_are_reported_not_waited_out() {
    let (_fake, backend) = connected(Outcome::HangDocuments, |c| {
        c.task_timeout = Duration::from_millis(300);
    })
    .await;
    let started = Instant::now();
    let err = backend
        .upsert(&[doc("김치", 1000)])
        .await
        .expect_err("the task never finishes");
    assert!(matches!(err, SearchError::Timeout(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    let (fake, backend) = connected(Outcome::Succeed, |c| {
        c.request_timeout = Duration::from_millis(200);
    })
    .await;
    fake.with(|s| s.search_delay = Duration::from_secs(5));
    let started = Instant::now();
    let err = backend
        .search(&SearchQuery::text("김치"))
        .await
        .expect_err("the engine hangs");
    assert!(matches!(err, SearchError::Timeout("searching")), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(ApiError::from(err).code.status(), 503);
}

fn hit(
    id: Uuid,
    title: &str,
    formatted_title: &str,
    formatted_description: &str,
    price: i64,
) -> Value {
    json!({
        "id": id,
        "title": title,
        "description": "강화 순무로 담근 <섞박지>",
        "tags": ["강화"],
        "vendor_id": Uuid::from_u128(1),
        "vendor_name": "강화순무농원",
        "vendor_key": format!("{} 강화순무농원", Uuid::from_u128(1)),
        "category_id": Uuid::from_u128(3),
        "category_ids": [Uuid::from_u128(2), Uuid::from_u128(3)],
        "certified": true,
        "certification_kinds": ["인천 품질우수제품"],
        "campaign_ids": [],
        "price": price,
        "price_bucket": "10000_30000",
        "in_stock": true,
        "popularity": 50,
        "published_at": 1_795_000_000_123_i64,
        "image": "https://img.jikgu.kr/1.jpg",
        "_formatted": {
            "id": id.to_string(),
            "title": formatted_title,
            "description": formatted_description,
            "price": price.to_string()
        }
    })
}

#[tokio::test]
async fn search_sends_meilisearch_a_query_and_reads_its_answer() {
    let (fake, backend) = connected(Outcome::Succeed, |_| {}).await;
    let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let v1 = Uuid::from_u128(1);
    let reply = json!({
        "hits": [
            hit(a, "강화순무김치 2kg", "강화순무\u{E000}김치\u{E001} 2kg", "강화 순무로 담근 <섞박지>", 25000),
            hit(b, "왕골 바구니", "왕골 바구니", "…\u{E000}김치\u{E001}를 담아도 좋은 <전통>…", 28000),
            hit(c, "김치통", "\u{E000}김치\u{E001}통", "", 29000),
        ],
        "query": "김치",
        "processingTimeMs": 1,
        "limit": 3,
        "offset": 0,
        "estimatedTotalHits": 7,
        "facetDistribution": {
            "category_ids": {Uuid::from_u128(2).to_string(): 7, Uuid::from_u128(3).to_string(): 5},
            "vendor_key": {format!("{v1} 강화순무농원"): 5, format!("{} 옹진수산", Uuid::from_u128(9)): 2},
            "certification_kinds": {"인천 품질우수제품": 5},
            "certified": {"true": 5, "false": 2},
            "price_bucket": {"10000_30000": 4, "50000_plus": 3}
        },
        "facetStats": {"price": {"min": 8000.0, "max": 52000.0}}
    });
    fake.with(|s| s.search_reply = reply);
    let category = Uuid::from_u128(2);
    let q = SearchQuery {
        text: Some(" 김치 ".into()),
        filters: Filters {
            category: Some(category),
            certified: Some(true),
            min_price: Some(Won(10_000)),
            in_stock: Some(true),
            ..Filters::default()
        },
        facets: Facet::ALL.to_vec(),
        sort: Sort::PriceAsc,
        limit: 2,
        offset: 0,
    };
    let r = backend.search(&q).await.expect("search");

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/indexes/products/search");
    let body = &reqs[0].body;
    assert_eq!(body["q"], json!("김치"));
    assert_eq!(
        body["filter"],
        json!(format!(
            "category_ids = \"{category}\" AND certified = true AND price >= 10000 AND in_stock = true"
        ))
    );
    assert_eq!(
        strings(&body["facets"]),
        [
            "category_ids",
            "vendor_key",
            "certification_kinds",
            "certified",
            "price_bucket"
        ]
    );
    assert_eq!(body["sort"], json!(["price:asc"]));
    assert_eq!(
        (body["offset"].clone(), body["limit"].clone()),
        (json!(0), json!(3))
    );
    assert_eq!(
        strings(&body["attributesToHighlight"]),
        ["title", "description"]
    );
    assert_eq!(strings(&body["attributesToCrop"]), ["description:24"]);
    assert_eq!(body["highlightPreTag"], json!("\u{E000}"));
    assert_eq!(body["highlightPostTag"], json!("\u{E001}"));

    // The extra hit only says there is a next page.
    assert_eq!(r.hits.len(), 2);
    assert!(r.next_cursor.is_some());
    assert_eq!(r.total, 7);
    assert_eq!(r.hits[0].id, a);
    assert_eq!(r.hits[0].highlighted_title, "강화순무<em>김치</em> 2kg");
    assert_eq!(r.hits[0].snippet, None, "no match in the description");
    assert_eq!(r.hits[0].price, Won(25_000));
    assert_eq!(r.hits[0].vendor.trade_name, "강화순무농원");
    assert_eq!(
        r.hits[0].published_at,
        Utc.timestamp_millis_opt(1_795_000_000_123).single()
    );
    assert_eq!(r.hits[1].highlighted_title, "왕골 바구니");
    assert_eq!(
        r.hits[1].snippet.as_deref(),
        Some("…<em>김치</em>를 담아도 좋은 &lt;전통&gt;…")
    );
    let f = &r.facets;
    assert_eq!(f.categories[0].value, category.to_string());
    assert_eq!(f.categories[0].count, 7);
    assert_eq!(f.vendors[0].value, v1.to_string());
    assert_eq!(f.vendors[0].label.as_deref(), Some("강화순무농원"));
    assert_eq!(f.vendors[0].count, 5);
    assert_eq!(f.certifications[0].value, "인천 품질우수제품");
    assert_eq!(f.certified, 5);
    assert_eq!(
        f.prices.iter().map(|p| p.count).collect::<Vec<_>>(),
        [0, 4, 0, 3]
    );

    // No words and no facets: nothing of either is sent.
    fake.with(|s| s.requests.clear());
    backend
        .search(&SearchQuery::default())
        .await
        .expect("search");
    let body = &fake.requests()[0].body;
    assert!(
        body.get("q").is_none() && body.get("facets").is_none() && body.get("filter").is_none()
    );
    assert!(body.get("sort").is_none(), "relevance is the ranking rules");
}

#[tokio::test]
async fn suggest_searches_titles_only() {
    let (fake, backend) = connected(Outcome::Succeed, |_| {}).await;
    let id = Uuid::now_v7();
    fake.with(|s| {
        s.search_reply = json!({
            "hits": [{"id": id, "title": "강화순무김치", "_formatted": {"id": id.to_string(), "title": "\u{E000}강화\u{E001}순무김치"}}],
            "query": "강화", "processingTimeMs": 0, "limit": 5, "offset": 0, "estimatedTotalHits": 1
        })
    });
    let got = backend.suggest("강화", 5).await.expect("suggest");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].highlighted, "<em>강화</em>순무김치");
    let body = &fake.requests()[0].body;
    assert_eq!(body["attributesToSearchOn"], json!(["title"]));
    assert_eq!(body["limit"], json!(5));
}

#[tokio::test]
async fn a_rebuild_fills_a_new_index_and_swaps_it_in() {
    let (fake, backend) = connected(Outcome::Succeed, |_| {}).await;
    let docs = vec![doc("강화순무김치", 25_000), doc("옹진 꽃게", 45_000)];
    let batches = futures::stream::iter(vec![Ok(docs)]).boxed();
    let n = backend.rebuild(batches).await.expect("rebuild");
    assert_eq!(n, 2);
    let reqs: Vec<Recorded> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method != Method::GET)
        .collect();
    let fresh = reqs[0].body["uid"].as_str().unwrap_or_default().to_owned();
    assert!(fresh.starts_with("products_rebuild_"), "{fresh}");
    let calls: Vec<String> = reqs
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        calls,
        [
            "POST /indexes".to_owned(),
            format!("PATCH /indexes/{fresh}/settings"),
            format!("POST /indexes/{fresh}/documents"),
            "POST /indexes".to_owned(),
            "POST /swap-indexes".to_owned(),
            format!("DELETE /indexes/{fresh}"),
        ]
    );
    assert_eq!(reqs[4].body, json!([{"indexes": ["products", fresh]}]));
}

#[tokio::test]
async fn the_environment_picks_the_backend() {
    let db = jikgu_tests::database::TestDb::create().await;
    let conn = platform::db::connect_url(&db.url, 2, std::time::Duration::from_secs(30))
        .await
        .expect("connect");
    let pg = search::from_source(&conn, &[("X", "y")])
        .await
        .expect("postgres");
    assert_eq!(pg.name(), "postgres");
    let fake = Fake::new(Outcome::Succeed);
    let url = fake.start().await;
    let meili = search::from_source(&conn, &[("MEILISEARCH_URL", url.as_str())])
        .await
        .expect("meilisearch");
    assert_eq!(meili.name(), "meilisearch");
    let bad = search::from_source(&conn, &[("MEILISEARCH_URL", "http://127.0.0.1:1")]).await;
    assert!(bad.is_err(), "an unreachable Meilisearch fails at start");
}
