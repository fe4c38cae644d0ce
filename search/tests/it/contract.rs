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
    /// Tasks of document writes finish one after another, one per `doc_step` from the
    /// first write, as a busy Meilisearch works through a queue; those from
    /// `doc_stall_after` on never finish.
    AdvanceDocuments,
}

struct FakeState {
    requests: Vec<Recorded>,
    /// (index uid, task type) per task uid.
    tasks: Vec<(String, &'static str)>,
    indexes: HashSet<String>,
    outcome: Outcome,
    search_reply: Value,
    search_delay: Duration,
    /// What `GET /indexes` lists.
    listed: Vec<Value>,
    /// For [`Outcome::AdvanceDocuments`]: when the first document write came in.
    doc_clock: Option<Instant>,
    doc_step: Duration,
    doc_stall_after: usize,
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
            listed: Vec::new(),
            doc_clock: None,
            doc_step: Duration::ZERO,
            doc_stall_after: usize::MAX,
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
    if kind == "documentAdditionOrUpdate" {
        s.doc_clock.get_or_insert_with(Instant::now);
    }
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
    match task_json(s, uid) {
        Some(t) => axum::Json(t).into_response(),
        None => meili_error(
            StatusCode::NOT_FOUND,
            "task_not_found",
            &format!("Task `{uid}` not found."),
        ),
    }
}

/// `GET /tasks?uids=…`: the tasks asked for, newest first as Meilisearch lists them.
fn tasks(s: &FakeState, query: Option<&str>) -> Response {
    let uids: Vec<u32> = query
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.strip_prefix("uids="))
        .flat_map(|v| {
            v.replace("%2C", ",")
                .split(',')
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter_map(|u| u.parse().ok())
        .collect();
    let mut results: Vec<Value> = uids.iter().filter_map(|u| task_json(s, *u)).collect();
    results.reverse();
    axum::Json(json!({
        "results": results,
        "total": results.len(),
        "limit": uids.len().max(20),
        "from": uids.iter().max(),
        "next": null
    }))
    .into_response()
}

fn task_json(s: &FakeState, uid: u32) -> Option<Value> {
    let (index, kind) = s.tasks.get(uid as usize).cloned()?;
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
    let advancing = || {
        // The n-th document write (from 0) is done n + 1 steps after the first came in.
        let n = s.tasks[..uid as usize]
            .iter()
            .filter(|(_, k)| *k == "documentAdditionOrUpdate")
            .count();
        let due = s.doc_clock.map(|c| c + s.doc_step * (n as u32 + 1));
        n >= s.doc_stall_after || due.is_none_or(|due| Instant::now() < due)
    };
    let unfinished = match s.outcome {
        Outcome::HangDocuments => is_doc_write,
        Outcome::AdvanceDocuments => is_doc_write && advancing(),
        Outcome::Succeed | Outcome::FailDocuments => false,
    };
    if unfinished {
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
    Some(t)
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
        ("GET", ["tasks"]) => tasks(s, uri.query()),
        ("GET", ["indexes"]) => axum::Json(json!({
            "results": s.listed,
            "offset": 0,
            "limit": 1000,
            "total": s.listed.len()
        }))
        .into_response(),
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
    // Only the one-word-per-character forms are searched: the same substring matching
    // as Postgres, whatever the Korean segmenter thinks a word is.
    assert_eq!(
        strings(&s["searchableAttributes"]),
        ["title_chars", "tags_chars", "description_chars"]
    );
    assert_eq!(
        s["localizedAttributes"],
        json!([{"locales": ["eng"], "attributePatterns": ["title_chars", "tags_chars", "description_chars"]}])
    );
    assert_eq!(
        s["proximityPrecision"],
        json!("byWord"),
        "phrases need word positions"
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
        ["price", "published_at", "popularity", "id"]
    );
    // The crate's rules are what is sent, and a sort given with a search decides the
    // order before any relevance rule.
    let rules = strings(&s["rankingRules"]);
    assert_eq!(rules, search::meilisearch::RANKING_RULES);
    assert_eq!(rules.first().map(String::as_str), Some("sort"));
    assert_eq!(s["synonyms"], json!({}), "Postgres has no synonyms");
    // Meilisearch counts a word's UTF-8 bytes: a Hangul syllable is 3, so a typo from 10
    // keeps every word of up to three syllables exact; and never in the character words.
    assert_eq!(s["typoTolerance"]["enabled"], json!(true));
    assert_eq!(
        s["typoTolerance"]["minWordSizeForTypos"],
        json!({"oneTypo": 10, "twoTypos": 18})
    );
    assert!("감칠맛".len() >= 9 && "김치".len() < 10 && "선물세트".len() > 10);
    assert_eq!(
        strings(&s["typoTolerance"]["disableOnAttributes"]),
        ["title_chars", "tags_chars", "description_chars"]
    );
    assert_eq!(s["typoTolerance"]["disableOnNumbers"], json!(true));
    assert_eq!(
        s["faceting"],
        json!({"maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "count"}})
    );
    assert_eq!(s["pagination"]["maxTotalHits"], json!(1000));

    // Starting again finds the index there: Meilisearch fails the creation task with
    // `index_already_exists`, which is fine.
    MeilisearchBackend::connect(config(&url))
        .await
        .expect("connect to an existing index");
}

/// What one `apply` of upserts and deletions sends: both writes, then one wait.
const APPLY_CALLS: [&str; 3] = [
    "POST /indexes/products/documents",
    "POST /indexes/products/documents/delete-batch",
    "GET /tasks",
];

/// The requests of a run, as `METHOD /path`.
fn calls(reqs: &[Recorded]) -> Vec<String> {
    reqs.iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test]
async fn writes_are_sent_in_batches_then_waited_for_once() {
    let (fake, backend) = connected(Outcome::Succeed, |c| c.write_batch = 2).await;
    let docs = [
        doc("강화순무김치 2kg", 25_000),
        doc("옹진 꽃게", 45_000),
        doc("바구니", 8_000),
        doc("물김치", 9_000),
        doc("건오징어", 19_000),
    ];
    backend.upsert(&docs).await.expect("upsert");
    let reqs = fake.requests();
    assert_eq!(
        calls(&reqs),
        [
            "POST /indexes/products/documents",
            "POST /indexes/products/documents",
            "POST /indexes/products/documents",
            "GET /tasks",
        ],
        "every batch is sent before one wait for all of them"
    );
    let mut waited: Vec<String> = reqs[3]
        .query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .map(str::to_owned)
        .collect();
    waited.sort();
    assert_eq!(waited, ["limit=3", "uids=2,3,4"]);
    assert_eq!(reqs[0].query.as_deref(), Some("primaryKey=id"));
    let sizes: Vec<usize> = reqs[..3]
        .iter()
        .map(|r| r.body.as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [2, 2, 1]);
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
            "image": "https://img.jikgu.kr/1.jpg",
            "title_chars": search::text::char_tokens(["강화순무김치 2kg"]),
            "tags_chars": search::text::char_tokens(["강화"]),
            "description_chars": search::text::char_tokens(["강화 순무로 담근 김치"]),
        })
    );

    // Many documents, few waits: 2,500 in batches of 1,000 is three writes and one wait.
    let (fake, backend) = connected(Outcome::Succeed, |c| c.write_batch = 1000).await;
    let many: Vec<Document> = (0..2500).map(|i| doc("김치", 1000 + i)).collect();
    backend.upsert(&many).await.expect("upsert");
    let reqs = fake.requests();
    let posts = reqs.iter().filter(|r| r.method == Method::POST).count();
    let waits = reqs.iter().filter(|r| r.method == Method::GET).count();
    assert_eq!((posts, waits), (3, 1), "{:?}", calls(&reqs));

    // What the indexer writes for an event (upserts and deletions) is waited for once.
    fake.with(|s| s.requests.clear());
    backend
        .apply(&docs[..1], &[docs[1].id, docs[2].id])
        .await
        .expect("apply");
    let reqs = fake.requests();
    assert_eq!(calls(&reqs), APPLY_CALLS);
    assert_eq!(reqs[1].body, json!([docs[1].id, docs[2].id]));

    fake.with(|s| s.requests.clear());
    backend
        .delete(&[docs[0].id, docs[1].id])
        .await
        .expect("delete");
    let reqs = fake.requests();
    assert_eq!(reqs[0].path, "/indexes/products/documents/delete-batch");
    assert_eq!(reqs[0].body, json!([docs[0].id, docs[1].id]));
    assert!(reqs[1].path.starts_with("/tasks"), "{:?}", calls(&reqs));
    assert_eq!(reqs.len(), 2);
    // Nothing to write sends nothing.
    fake.with(|s| s.requests.clear());
    backend.upsert(&[]).await.expect("empty upsert");
    backend.delete(&[]).await.expect("empty delete");
    backend.apply(&[], &[]).await.expect("empty apply");
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

#[tokio::test]
async fn a_long_queue_of_writes_is_waited_for_while_it_advances() {
    // Eight writes that Meilisearch finishes 150 ms apart: 1.2 s in all, four times the
    // task timeout, yet never 300 ms without progress.
    let (fake, backend) = connected(Outcome::AdvanceDocuments, |c| {
        c.write_batch = 1;
        c.task_timeout = Duration::from_millis(300);
    })
    .await;
    fake.with(|s| s.doc_step = Duration::from_millis(150));
    let docs: Vec<Document> = (0..8).map(|i| doc("김치", 1000 + i)).collect();
    let started = Instant::now();
    backend.upsert(&docs).await.expect("the queue advanced");
    assert!(
        started.elapsed() >= Duration::from_millis(1200),
        "{:?}",
        started.elapsed()
    );
    let reqs = fake.requests();
    let posts = reqs.iter().filter(|r| r.method == Method::POST).count();
    assert_eq!(posts, 8, "{:?}", calls(&reqs));
    assert!(
        reqs.iter()
            .filter(|r| r.method == Method::GET)
            .all(|r| r.path == "/tasks"),
        "one wait for all of them: {:?}",
        calls(&reqs)
    );

    // A queue that stops advancing is given up on a task timeout after its last
    // progress, not waited for forever.
    let (fake, backend) = connected(Outcome::AdvanceDocuments, |c| {
        c.write_batch = 1;
        c.task_timeout = Duration::from_millis(300);
    })
    .await;
    fake.with(|s| {
        s.doc_step = Duration::from_millis(150);
        s.doc_stall_after = 4;
    });
    let started = Instant::now();
    let err = backend
        .upsert(&docs)
        .await
        .expect_err("the queue stalled after four writes");
    assert!(matches!(err, SearchError::Timeout(_)), "{err:?}");
    // The fourth write finishes at 600 ms; then 300 ms without progress (plus a poll,
    // and room for a loaded machine: the point is that it ends).
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}

/// A hit as Meilisearch returns it: the retrieved attributes only.
fn hit(id: Uuid, title: &str, description: &str, price: i64) -> Value {
    json!({
        "id": id,
        "title": title,
        "description": description,
        "tags": ["강화"],
        "vendor_id": Uuid::from_u128(1),
        "vendor_name": "강화순무농원",
        "category_id": Uuid::from_u128(3),
        "certified": true,
        "in_stock": true,
        "price": price,
        "popularity": 50,
        "published_at": 1_795_000_000_123_i64,
        "image": "https://img.jikgu.kr/1.jpg"
    })
}

#[tokio::test]
async fn search_sends_meilisearch_a_query_and_reads_its_answer() {
    let (fake, backend) = connected(Outcome::Succeed, |_| {}).await;
    let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let v1 = Uuid::from_u128(1);
    let reply = json!({
        "hits": [
            hit(a, "강화순무김치 2kg", "강화 순무로 담근 <섞박지>", 25000),
            hit(b, "왕골 바구니", "김치를 담아도 좋은 <전통> 바구니", 28000),
            hit(c, "김치통", "", 29000),
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
        text: Some(" 김치  포기김치 ".into()),
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
    // Every word is required, as the phrase of its characters: a substring anywhere.
    assert_eq!(
        body["q"],
        json!(format!(
            "{} {}",
            search::text::char_phrase("김치"),
            search::text::char_phrase("포기김치")
        ))
    );
    assert_eq!(body["matchingStrategy"], json!("all"));
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
    assert_eq!(
        body["sort"],
        json!(["price:asc", "id:asc"]),
        "ties broken by id"
    );
    assert_eq!(
        (body["offset"].clone(), body["limit"].clone()),
        (json!(0), json!(3))
    );
    let retrieved = strings(&body["attributesToRetrieve"]);
    assert!(
        !retrieved.iter().any(|a| a.ends_with("_chars")),
        "{retrieved:?}"
    );
    assert!(
        body.get("attributesToHighlight").is_none(),
        "highlighted here"
    );

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
        Some("<em>김치</em>를 담아도 좋은 &lt;전통&gt; 바구니")
    );
    let f = &r.facets;
    // Most frequent first, whatever order the engine's map came in.
    for list in [&f.categories, &f.vendors] {
        assert!(
            list.windows(2).all(|w| w[0].count >= w[1].count),
            "{list:?}"
        );
    }
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
    // Without words, relevance is the popular order, as on Postgres.
    assert_eq!(
        body["sort"],
        json!(["popularity:desc", "published_at:desc", "id:desc"])
    );
    // With words, relevance is the ranking rules; the other sorts carry their tiebreaks.
    for (sort, want) in [
        (Sort::Relevance, Value::Null),
        (Sort::PriceDesc, json!(["price:desc", "id:desc"])),
        (Sort::Newest, json!(["published_at:desc", "id:desc"])),
        (
            Sort::Popular,
            json!(["popularity:desc", "published_at:desc", "id:desc"]),
        ),
    ] {
        fake.with(|s| s.requests.clear());
        let q = SearchQuery {
            sort,
            ..SearchQuery::text("인삼")
        };
        backend.search(&q).await.expect("search");
        assert_eq!(fake.requests()[0].body["sort"], want, "{sort:?}");
    }
}

#[tokio::test]
async fn suggest_searches_titles_only() {
    let (fake, backend) = connected(Outcome::Succeed, |_| {}).await;
    let id = Uuid::now_v7();
    fake.with(|s| {
        s.search_reply = json!({
            "hits": [{"id": id, "title": "강화순무김치"}],
            "query": "강화", "processingTimeMs": 0, "limit": 5, "offset": 0, "estimatedTotalHits": 1
        })
    });
    let got = backend.suggest("강화", 5).await.expect("suggest");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].highlighted, "<em>강화</em>순무김치");
    let body = &fake.requests()[0].body;
    assert_eq!(body["attributesToSearchOn"], json!(["title_chars"]));
    assert_eq!(body["q"], json!(search::text::char_phrase("강화")));
    assert_eq!(body["matchingStrategy"], json!("all"));
    assert_eq!(body["limit"], json!(5));
}

#[tokio::test]
async fn a_rebuild_fills_a_new_index_and_swaps_it_in() {
    let (fake, backend) = connected(Outcome::Succeed, |c| c.write_batch = 2).await;
    let batches: Vec<search::SearchResult<Vec<Document>>> = (0..4)
        .map(|i| {
            Ok(vec![
                doc("강화순무김치", 25_000 + i),
                doc("옹진 꽃게", 45_000 + i),
            ])
        })
        .collect();
    let n = backend
        .rebuild(futures::stream::iter(batches).boxed())
        .await
        .expect("rebuild");
    assert_eq!(n, 8);
    let all = fake.requests();
    let fresh = all
        .iter()
        .find(|r| r.method == Method::POST && r.path == "/indexes")
        .and_then(|r| r.body["uid"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(fresh.starts_with("products_rebuild_"), "{fresh}");
    let docs = format!("POST /indexes/{fresh}/documents");
    assert_eq!(
        calls(&all),
        [
            "GET /indexes".to_owned(),
            "POST /indexes".to_owned(),
            "GET /tasks/2".to_owned(),
            format!("PATCH /indexes/{fresh}/settings"),
            "GET /tasks/3".to_owned(),
            docs.clone(),
            docs.clone(),
            docs.clone(),
            docs,
            // Four batches sent, one wait for them all.
            "GET /tasks".to_owned(),
            "POST /indexes".to_owned(),
            "GET /tasks/8".to_owned(),
            "POST /swap-indexes".to_owned(),
            "GET /tasks/9".to_owned(),
            format!("DELETE /indexes/{fresh}"),
            "GET /tasks/10".to_owned(),
        ]
    );
    let swap = all.iter().find(|r| r.path == "/swap-indexes");
    assert_eq!(
        swap.map(|r| r.body.clone()),
        Some(json!([{"indexes": ["products", fresh]}]))
    );
}

#[tokio::test]
async fn a_rebuild_drops_what_a_killed_rebuild_left() {
    let (fake, backend) = connected(Outcome::Succeed, |c| {
        c.task_timeout = Duration::from_secs(60);
    })
    .await;
    let now = Utc::now();
    let at = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let index = |uid: &str, updated: chrono::DateTime<Utc>| json!({"uid": uid, "primaryKey": "id", "createdAt": at(updated), "updatedAt": at(updated)});
    fake.with(|s| {
        s.listed = vec![
            index("products", now),
            // Killed an hour ago: nothing has written to it since.
            index(
                "products_rebuild_0192aaaa",
                now - chrono::Duration::hours(1),
            ),
            // Written a moment ago: another rebuild is filling it.
            index("products_rebuild_0192bbbb", now),
            // Another shop's index, however old.
            index("other_rebuild_0192cccc", now - chrono::Duration::days(9)),
        ]
    });
    backend
        .rebuild(futures::stream::iter(vec![Ok(vec![doc("김치", 1000)])]).boxed())
        .await
        .expect("rebuild");
    let deleted: Vec<String> = fake
        .requests()
        .iter()
        .filter(|r| r.method == Method::DELETE)
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(deleted.len(), 2, "{deleted:?}");
    assert_eq!(deleted[0], "/indexes/products_rebuild_0192aaaa");
    assert!(deleted[1].starts_with("/indexes/products_rebuild_"));
    assert_ne!(deleted[1], "/indexes/products_rebuild_0192bbbb");
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
    assert_eq!(pg.name(), "postgres+memory");
    let sql = search::from_source(&conn, &[("JIKGU_SEARCH_MEMORY", "off")])
        .await
        .expect("postgres");
    assert_eq!(sql.name(), "postgres");
    let fake = Fake::new(Outcome::Succeed);
    let url = fake.start().await;
    let meili = search::from_source(&conn, &[("MEILISEARCH_URL", url.as_str())])
        .await
        .expect("meilisearch");
    assert_eq!(meili.name(), "meilisearch");
    let bad = search::from_source(&conn, &[("MEILISEARCH_URL", "http://127.0.0.1:1")]).await;
    assert!(bad.is_err(), "an unreachable Meilisearch fails at start");
}

/// Events read together are written together: the catalog events one read of the stream
/// returns (four products changed, one archived) reach Meilisearch as one document write
/// and one deletion, waited for once — not a write and a wait per event.
#[tokio::test]
async fn events_read_together_are_one_write_and_one_wait() {
    use crate::indexer::{Workers, publish, until_group};
    let env = crate::support::TestEnv::new().await;
    let s = env.shop.clone();
    let (fake, backend) = connected(Outcome::Succeed, |_| {}).await;
    // In the stream before the indexer starts, so that its first read returns them all.
    let changed = [s.kimchi, s.crab, s.rice, s.basket];
    for id in changed {
        publish(&env, catalog::topics::PRODUCT_UPDATED, id).await;
    }
    // The kimchi twice: written once.
    publish(&env, catalog::topics::PRODUCT_UPDATED, s.kimchi).await;
    publish(&env, catalog::topics::PRODUCT_ARCHIVED, s.archived).await;
    let workers = Workers::start(&env, Arc::new(backend), false);
    until_group(&env, "every event is acknowledged", |l| {
        l.lag == Some(0) && l.pending == 0
    })
    .await;
    workers.stop().await;
    let reqs = fake.requests();
    assert_eq!(
        calls(&reqs),
        APPLY_CALLS,
        "one write of each kind and one wait for six events"
    );
    let mut written: Vec<String> = reqs[0]
        .body
        .as_array()
        .map(|docs| docs.iter().map(|d| d["id"].to_string()).collect())
        .unwrap_or_default();
    written.sort();
    let mut want: Vec<String> = changed.iter().map(|id| json!(id).to_string()).collect();
    want.sort();
    assert_eq!(written, want);
    assert_eq!(reqs[1].body, json!([s.archived]));
}
