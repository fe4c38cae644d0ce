//! The catalog writes an outbox event for every change other services care about, and
//! the consumers take it up at once, however long the shop has been quiet.

use jikgu_tests::spawn_app;
use platform::auth::Role;
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;

/// The topics of every event published, read from the events themselves (each topic's
/// stream holds its own).
async fn topics(app: &jikgu_tests::TestApp) -> BTreeSet<String> {
    let mut conn = app.redis().conn();
    let mut topics = BTreeSet::new();
    for stream in app.event_streams().await {
        let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(&stream)
            .arg("-")
            .arg("+")
            .query_async(&mut conn)
            .await
            .expect("xrange");
        for topic in entries.ids.iter().filter_map(|e| e.get::<String>("topic")) {
            assert_eq!(
                stream,
                platform::outbox::stream_key(app.redis(), &topic),
                "an event in another topic's stream"
            );
            topics.insert(topic);
        }
    }
    topics
}

#[tokio::test]
async fn catalog_changes_are_published_as_events() {
    let app = spawn_app().await;
    let cat = app.category("crab", None, &[]).await;
    let v = app.vendor("옹진수산").await;
    let pid = app
        .product(&v, cat, "옹진 꽃게", &[], &[("C1", 39000, 10)])
        .await;
    let mine = v.client.get(&format!("/v1/vendor/products/{pid}")).await;
    let vid = mine.json["variants"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    v.client
        .post(
            &format!("/v1/vendor/variants/{vid}/stock-adjustments"),
            &json!({"delta": 5}),
        )
        .await;
    let cert = v
        .client
        .post("/v1/vendor/certifications", &json!({"kind": "HACCP", "number": "1", "issued_on": "2025-01-01", "expires_on": "2099-01-01"}))
        .await;
    let (admin, _) = app.account(Role::Admin, None).await;
    admin
        .post(
            &format!(
                "/v1/admin/certifications/{}/verify",
                cert.json["id"].as_str().expect("id")
            ),
            &json!({}),
        )
        .await;
    admin
        .post(
            &format!("/v1/admin/vendors/{}/suspend", v.id),
            &json!({"reason": "점검"}),
        )
        .await;
    v.client
        .post(&format!("/v1/vendor/products/{pid}/archive"), &json!({}))
        .await;

    let want: BTreeSet<String> = [
        "catalog.category.changed",
        "catalog.product.created",
        "catalog.product.updated",
        "catalog.product.archived",
        "catalog.stock.changed",
        "catalog.vendor.approved",
        "catalog.vendor.suspended",
        "catalog.certification.changed",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let mut got = BTreeSet::new();
    for _ in 0..50 {
        got = topics(&app).await;
        if want.is_subset(&got) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        want.is_subset(&got),
        "missing: {:?}",
        want.difference(&got).collect::<Vec<_>>()
    );
}

/// On a quiet stream a consumer's blocking read comes back empty, not with a timeout: its
/// connection waits longer for an answer than the read blocks.
#[tokio::test]
async fn an_idle_consumer_read_is_not_an_error() {
    let app = spawn_app().await;
    let redis = app.redis();
    let mut conn = redis.dedicated().await.expect("connect");
    let mut consumer = platform::events::Consumer::new("idle-check", "c1", &["test.idle"]);
    let handler = |_ev: platform::events::Event| async { Ok::<(), String>(()) };
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let read = consumer
            .pass(redis, &mut conn, platform::events::READ_BLOCK, &handler)
            .await;
        assert_eq!(read.map_err(|e| e.to_string()), Ok(0));
        // It really waited for new entries.
        assert!(started.elapsed() >= platform::events::READ_BLOCK / 2);
    }
}

/// A shop left idle for a while still brings a new product into search within a second:
/// its consumers were waiting on the stream, not backing off from timeouts.
#[tokio::test]
async fn a_change_on_an_idle_shop_reaches_search_within_a_second() {
    let app = spawn_app().await;
    let cat = app.category("fish-sauce", None, &[]).await;
    let v = app.vendor("백령수산").await;
    app.settle().await;
    tokio::time::sleep(Duration::from_secs(6)).await;

    let started = std::time::Instant::now();
    app.product(&v, cat, "백령도 까나리액젓", &[], &[("K1", 12000, 5)])
        .await;
    let mut found = false;
    while started.elapsed() < Duration::from_secs(5) {
        let r = app.client.get("/v1/search?q=까나리").await;
        if r.json["total"] == 1 {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed();
    assert!(found, "the product never reached search");
    assert!(
        took < Duration::from_secs(1),
        "reached search after {took:?}"
    );
}

/// Events that trickle in while a consumer handles a batch are gathered into its next
/// batch, not handed over one read at a time: under load that is what keeps each group to
/// a read and an acknowledgement per relay poll.
#[tokio::test]
async fn a_trickle_of_events_reaches_a_consumer_in_one_batch() {
    use std::sync::{Arc, Mutex};
    let app = spawn_app().await;
    app.settle().await;
    let redis = app.redis().clone();
    let batches: Arc<Mutex<Vec<usize>>> = Arc::default();
    let seen = batches.clone();
    let handler = move |evs: Vec<platform::events::Event>| {
        let mine = evs.iter().filter(|e| e.topic == "test.trickle").count();
        if mine > 0 {
            seen.lock().expect("lock").push(mine);
        }
        async move {
            (0..evs.len())
                .map(|_| Ok::<(), String>(()))
                .collect::<Vec<_>>()
        }
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let consumer = tokio::spawn(platform::events::run_batch_consumer(
        redis.clone(),
        "trickle-check",
        &["test.trickle"],
        handler,
        stopped,
    ));
    let add = || async {
        let mut conn = redis.conn();
        let _: String = redis::cmd("XADD")
            .arg(platform::outbox::stream_key(&redis, "test.trickle"))
            .arg("*")
            .arg("event_id")
            .arg(uuid::Uuid::now_v7().to_string())
            .arg("topic")
            .arg("test.trickle")
            .arg("aggregate_id")
            .arg(uuid::Uuid::now_v7().to_string())
            .arg("payload")
            .arg("{}")
            .arg("occurred_at")
            .arg(chrono::Utc::now().to_rfc3339())
            .query_async(&mut conn)
            .await
            .expect("xadd");
    };
    let handled = || batches.lock().expect("lock").iter().sum::<usize>();
    let wait_for = |n: usize| async move {
        for _ in 0..500 {
            if handled() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        panic!("the consumer handled {} of {n} events", handled());
    };
    add().await;
    wait_for(1).await;
    // The first event is handled; ten more arrive one by one right behind it, a
    // millisecond apart: read as they came, nearly each would be a batch of its own.
    for _ in 0..10 {
        add().await;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    wait_for(11).await;
    let _ = stop.send(true);
    consumer.await.expect("consumer");
    let got = batches.lock().expect("lock").clone();
    assert_eq!(got.iter().sum::<usize>(), 11, "{got:?}");
    // One batch for the first event and one (two when the ten took longer than
    // `GATHER` to arrive) for the rest.
    assert!(got.len() <= 3, "batches: {got:?}");
}

/// The rate limiter runs its scripts by hash; a Redis that lost them (a restart, a
/// `SCRIPT FLUSH`) is sent them again, and attempts go on being counted.
#[tokio::test]
async fn the_rate_limiter_counts_on_after_redis_forgets_its_scripts() {
    use platform::ratelimit::{Verdict, Window, acquire};
    let app = spawn_app().await;
    let redis = app.redis();
    let window = Window {
        limit: 2,
        period: Duration::from_secs(60),
    };
    assert_eq!(
        acquire(redis, "flush-check", &window).await,
        Verdict::Allowed
    );
    let mut conn = redis.conn();
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut conn)
        .await
        .expect("script flush");
    assert_eq!(
        acquire(redis, "flush-check", &window).await,
        Verdict::Allowed
    );
    assert!(matches!(
        acquire(redis, "flush-check", &window).await,
        Verdict::Limited(_)
    ));
}
