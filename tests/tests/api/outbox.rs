use jikgu_tests::spawn_app;
use platform::outbox::{self, Schema};
use sea_orm::{ConnectionTrait, TransactionTrait};

async fn stream_len(app: &jikgu_tests::TestApp, topic: &str) -> usize {
    let mut conn = app.redis().conn();
    redis::cmd("XLEN")
        .arg(outbox::stream_key(app.redis(), topic))
        .query_async::<usize>(&mut conn)
        .await
        .expect("xlen")
}

/// An event is published if and only if its transaction committed, and exactly once.
#[tokio::test]
async fn only_committed_events_reach_the_stream() {
    let app = spawn_app().await;
    let id = platform::ids::new_id();

    let txn = app.state.db.begin().await.expect("begin");
    outbox::enqueue(
        &txn,
        Schema::Accounts,
        "test.rolled_back",
        id,
        serde_json::json!({"n": 1}),
    )
    .await
    .expect("enqueue");
    txn.rollback().await.expect("rollback");

    let txn = app.state.db.begin().await.expect("begin");
    outbox::enqueue(
        &txn,
        Schema::Catalog,
        "test.committed",
        id,
        serde_json::json!({"상품": "강화순무"}),
    )
    .await
    .expect("enqueue");
    txn.commit().await.expect("commit");

    // The app's own relay is running too; wait until the event is out.
    let mut len = 0;
    for _ in 0..50 {
        len = stream_len(&app, "test.committed").await;
        if len > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(len, 1);
    // Nothing left to publish: a further pass publishes nothing twice.
    let n = outbox::relay_once(&app.state.db, app.redis(), 100)
        .await
        .expect("relay");
    assert_eq!(n, 0);
    assert_eq!(stream_len(&app, "test.committed").await, 1);
    // What went out left the outbox; what rolled back never entered it.
    let left = app
        .scalar(
            "SELECT (SELECT count(*) FROM catalog.outbox WHERE aggregate_id = $1) \
                  + (SELECT count(*) FROM accounts.outbox WHERE aggregate_id = $1) AS n",
            vec![id.into()],
        )
        .await;
    assert_eq!(left, 0, "published rows are deleted");

    let mut conn = app.redis().conn();
    let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(outbox::stream_key(app.redis(), "test.committed"))
        .arg("-")
        .arg("+")
        .query_async(&mut conn)
        .await
        .expect("xrange");
    let entry = &entries.ids[0];
    let topic: String = entry.get("topic").expect("topic");
    let payload: String = entry.get("payload").expect("payload");
    assert_eq!(topic, "test.committed");
    assert!(payload.contains("강화순무"));
    assert_eq!(stream_len(&app, "test.rolled_back").await, 0);
}

/// An outbox is a queue: vacuumed once its events are out, the space they took is written
/// again by the next ones, so however many events go through it, it stays the size of one
/// batch of them.
#[tokio::test]
async fn an_outbox_stays_the_size_of_one_batch_of_events() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let size = || app.scalar("SELECT pg_relation_size('catalog.outbox') AS n", vec![]);
    let mut sizes = Vec::new();
    for batch in 1..=3 {
        db.execute_unprepared(
            "INSERT INTO catalog.outbox (id, topic, aggregate_id, payload) \
             SELECT gen_random_uuid(), 'test.queue', gen_random_uuid(), jsonb_build_object('n', n) \
             FROM generate_series(1, 2000) n",
        )
        .await
        .expect("events");
        app.settle().await;
        assert_eq!(
            stream_len(&app, "test.queue").await,
            2000 * batch,
            "every event went out"
        );
        outbox::vacuum(db).await.expect("vacuum");
        sizes.push(size().await);
    }
    assert!(sizes[0] > 0, "a batch takes space: {sizes:?}");
    assert!(
        sizes[2] <= sizes[0],
        "later batches write where the first one was: {sizes:?}"
    );
}

/// The relay takes its rows out of the outbox in the statement that reads them: when
/// Redis does not take them, that delete is rolled back and they wait for the next poll.
/// (A shop without a server, so that no relay of its own polls beside this one.)
#[tokio::test]
async fn events_redis_did_not_take_stay_in_the_outbox() {
    let db = jikgu_tests::database::TestDb::create().await;
    let mut cfg = jikgu_tests::test_config(&db.url, "test:relay-without-redis:");
    cfg.redis_url = jikgu_tests::unanswered_redis_url().into();
    let state = jikgu::startup::connect(std::sync::Arc::new(cfg))
        .await
        .expect("connects without Redis");
    let id = platform::ids::new_id();
    let txn = state.db.begin().await.expect("begin");
    outbox::enqueue(
        &txn,
        Schema::Orders,
        "test.unsent",
        id,
        serde_json::json!({"n": 1}),
    )
    .await
    .expect("enqueue");
    txn.commit().await.expect("commit");

    let sent = outbox::relay_once(&state.db, &state.redis, 100).await;
    assert!(sent.is_err(), "Redis is down: {sent:?}");
    let left = jikgu_tests::scalar(
        &state.db,
        "SELECT count(*) AS n FROM orders.outbox WHERE aggregate_id = $1",
        vec![id.into()],
    )
    .await;
    assert_eq!(left, 1, "the event waits for Redis");
}

/// The relay vacuums the outboxes it deleted rows from, on its own schedule
/// (`JIKGU_OUTBOX_VACUUM_SECS`), without anyone calling [`outbox::vacuum`].
#[tokio::test]
async fn the_relay_vacuums_what_it_emptied_on_its_schedule() {
    let app = jikgu_tests::spawn_app_with(jikgu::Service::All, |cfg| {
        cfg.outbox_vacuum_every = Some(std::time::Duration::from_secs(1));
    })
    .await;
    let vacuums = || {
        app.scalar(
            "SELECT vacuum_count AS n FROM pg_stat_user_tables WHERE relid = 'catalog.outbox'::regclass",
            vec![],
        )
    };
    let before = vacuums().await;
    app.state
        .db
        .execute_unprepared(
            "INSERT INTO catalog.outbox (id, topic, aggregate_id, payload) \
             SELECT gen_random_uuid(), 'test.vacuumed', gen_random_uuid(), '{}' \
             FROM generate_series(1, 100)",
        )
        .await
        .expect("events");
    app.settle().await;
    let mut after = before;
    for _ in 0..50 {
        after = vacuums().await;
        if after > before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        after > before,
        "vacuumed within five seconds: {before} -> {after}"
    );
}
