//! The event consumer: entries that a dead consumer read and never acknowledged are taken
//! over by a live one once they have been idle for `CLAIM_IDLE`, and not before; a failed
//! entry is delivered again only once it has waited its `retry_delay`; a batch handler
//! gets what one pass read at once, and only what it handled is acknowledged.

use platform::events::{CLAIM_IDLE, Consumer, Event, retry_delay};
use platform::kv::Redis;
use platform::outbox::stream_key;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use uuid::Uuid;

const GROUP: &str = "test-group";
/// The topic these tests publish, and consumer B follows.
const TOPIC: &str = "test.thing.changed";
/// Test keys expire by themselves, even when a test panics before cleaning up.
const KEY_TTL_SECS: i64 = 300;

async fn test_redis() -> Redis {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = format!("test:{}:", Uuid::now_v7().simple());
    Redis::connect_url(&url, &prefix)
        .await
        .expect("Redis is reachable (run `bash infra/services.sh`)")
}

async fn publish(redis: &Redis) -> (String, Uuid) {
    publish_to(redis, TOPIC).await
}

/// Publish an event of `topic` to its stream, as the relay does.
async fn publish_to(redis: &Redis, topic: &str) -> (String, Uuid) {
    let event_id = Uuid::now_v7();
    let mut conn = redis.conn();
    let entry: String = redis::cmd("XADD")
        .arg(stream_key(redis, topic))
        .arg("*")
        .arg("event_id")
        .arg(event_id.to_string())
        .arg("topic")
        .arg(topic)
        .arg("aggregate_id")
        .arg(Uuid::now_v7().to_string())
        .arg("payload")
        .arg("{}")
        .query_async(&mut conn)
        .await
        .expect("xadd");
    let _: () = redis::cmd("EXPIRE")
        .arg(stream_key(redis, topic))
        .arg(KEY_TTL_SECS)
        .query_async(&mut conn)
        .await
        .expect("expire");
    (entry, event_id)
}

async fn clean_up(redis: &Redis) {
    clean_up_topics(redis, &[TOPIC]).await;
}

/// Delete the streams of `topics`.
async fn clean_up_topics(redis: &Redis, topics: &[&str]) {
    let mut conn = redis.conn();
    let keys: Vec<String> = topics.iter().map(|t| stream_key(redis, t)).collect();
    let _: () = redis::cmd("DEL")
        .arg(keys)
        .query_async(&mut conn)
        .await
        .expect("clean up");
}

/// A handler that records the id of every event it is handed, and succeeds.
fn recording(seen: &Mutex<Vec<Uuid>>) -> impl Fn(Event) -> std::future::Ready<Result<(), String>> {
    move |ev| {
        seen.lock().expect("lock").push(ev.event_id);
        std::future::ready(Ok(()))
    }
}

/// Consumer `consumer` reads what is new and then dies: nothing is acknowledged.
async fn read_and_die(redis: &Redis, consumer: &str) -> Vec<String> {
    let mut conn = redis.conn();
    let reply: redis::streams::StreamReadReply = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg(GROUP)
        .arg(consumer)
        .arg("COUNT")
        .arg(10)
        .arg("STREAMS")
        .arg(stream_key(redis, TOPIC))
        .arg(">")
        .query_async(&mut conn)
        .await
        .expect("xreadgroup");
    reply
        .keys
        .into_iter()
        .flat_map(|k| k.ids.into_iter().map(|e| e.id))
        .collect()
}

/// Pending entries of the group, per consumer.
async fn pending_of(redis: &Redis, consumer: &str) -> usize {
    pending_on(redis, TOPIC, consumer).await
}

/// Pending entries of the group on `topic`'s stream, per consumer.
async fn pending_on(redis: &Redis, topic: &str, consumer: &str) -> usize {
    let mut conn = redis.conn();
    let reply: redis::streams::StreamPendingCountReply = redis::cmd("XPENDING")
        .arg(stream_key(redis, topic))
        .arg(GROUP)
        .arg("-")
        .arg("+")
        .arg(100)
        .arg(consumer)
        .query_async(&mut conn)
        .await
        .expect("xpending");
    reply.ids.len()
}

/// Set the pending list's clock of `entry`: owned by `owner`, last delivered `idle` ago,
/// delivered `deliveries` times (`XCLAIM … IDLE … RETRYCOUNT … JUSTID`). What a pass
/// decides depends only on these two numbers, so the tests set them instead of sleeping:
/// a "due" clock can only get more due, and a "not yet" one is set right before the one
/// pass that reads it, with at least 100 ms to spare. (Sleeping 50 ms past a delay and
/// running ten passes inside one failed on a loaded machine.)
async fn set_clock(redis: &Redis, owner: &str, entry: &str, idle: Duration, deliveries: usize) {
    let mut conn = redis.conn();
    let _: redis::Value = redis::cmd("XCLAIM")
        .arg(stream_key(redis, TOPIC))
        .arg(GROUP)
        .arg(owner)
        .arg(0)
        .arg(entry)
        .arg("IDLE")
        .arg(u64::try_from(idle.as_millis()).expect("millis"))
        .arg("RETRYCOUNT")
        .arg(deliveries)
        .arg("JUSTID")
        .query_async(&mut conn)
        .await
        .expect("xclaim");
}

/// Consumer B, looking for idle entries on every pass (the default is every
/// `CLAIM_SWEEP`, which a test would have to wait out).
fn consumer_b() -> Consumer {
    Consumer::new(GROUP, "b", &[TOPIC]).sweep_every(Duration::ZERO)
}

/// One pass of consumer B; returns how many entries it acknowledged.
async fn pass<F, Fut>(
    b: &mut Consumer,
    redis: &Redis,
    conn: &mut redis::aio::MultiplexedConnection,
    handler: &F,
) -> usize
where
    F: Fn(Event) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    b.pass(redis, conn, Duration::from_millis(10), handler)
        .await
        .expect("pass")
}

/// A consumer reads the streams of the topics it follows and no other: the events of its
/// two topics come to it in the order they were published (to the millisecond), each is acknowledged on its
/// own stream, and another topic's event is never handed to it.
#[tokio::test]
async fn a_consumer_reads_only_its_topics_in_publication_order() {
    let redis = test_redis().await;
    let mut conn = redis.dedicated().await.expect("connect");
    let (a, b, other) = ("test.a.changed", "test.b.changed", "test.other.changed");
    let mut c = Consumer::new(GROUP, "c", &[a, b]);
    let seen: Mutex<Vec<Uuid>> = Mutex::new(Vec::new());
    let handler = recording(&seen);
    // The first pass creates the group on both streams.
    assert_eq!(pass(&mut c, &redis, &mut conn, &handler).await, 0);
    // A millisecond apart: entries of different streams are ordered by their ids' time.
    let tick = || tokio::time::sleep(Duration::from_millis(2));
    let (_, first) = publish_to(&redis, b).await;
    tick().await;
    publish_to(&redis, other).await;
    let (_, second) = publish_to(&redis, a).await;
    tick().await;
    let (_, third) = publish_to(&redis, b).await;

    assert_eq!(pass(&mut c, &redis, &mut conn, &handler).await, 3);
    assert_eq!(*seen.lock().expect("lock"), [first, second, third]);
    assert_eq!(pending_on(&redis, a, "c").await, 0);
    assert_eq!(pending_on(&redis, b, "c").await, 0);
    assert_eq!(pass(&mut c, &redis, &mut conn, &handler).await, 0);
    assert_eq!(seen.lock().expect("lock").len(), 3);

    clean_up_topics(&redis, &[a, b, other]).await;
}

#[tokio::test]
async fn a_dead_consumers_entries_are_taken_over_once_idle() {
    let redis = test_redis().await;
    let mut conn = redis.dedicated().await.expect("connect");
    let mut b = consumer_b();
    let seen: Mutex<Vec<Uuid>> = Mutex::new(Vec::new());
    let handler = recording(&seen);
    // The group exists (as a first pass creates it) before the event, so that A reads it.
    assert_eq!(pass(&mut b, &redis, &mut conn, &handler).await, 0);
    let (entry, event_id) = publish(&redis).await;
    assert_eq!(
        read_and_die(&redis, "a").await,
        std::slice::from_ref(&entry)
    );

    // A may just be slow: a fresh entry stays with it.
    assert_eq!(pass(&mut b, &redis, &mut conn, &handler).await, 0);
    assert!(seen.lock().expect("lock").is_empty());
    assert_eq!(pending_of(&redis, "a").await, 1);

    set_clock(&redis, "a", &entry, CLAIM_IDLE + Duration::from_secs(1), 1).await;
    assert_eq!(pass(&mut b, &redis, &mut conn, &handler).await, 1);
    assert_eq!(*seen.lock().expect("lock"), [event_id]);
    assert_eq!(pending_of(&redis, "a").await, 0);
    assert_eq!(pending_of(&redis, "b").await, 0);

    clean_up(&redis).await;
}

#[tokio::test]
async fn a_failed_event_waits_before_its_next_attempt() {
    let redis = test_redis().await;
    let mut conn = redis.dedicated().await.expect("connect");
    let mut b = consumer_b();
    let calls = AtomicUsize::new(0);
    let failing = |_ev: Event| {
        let calls = &calls;
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), String>("engine down".into())
        }
    };
    assert_eq!(pass(&mut b, &redis, &mut conn, &failing).await, 0);
    let (entry, _) = publish(&redis).await;
    assert_eq!(pass(&mut b, &redis, &mut conn, &failing).await, 0);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Back at once (as on a busy stream, where a pass does not wait for new entries):
    // the handler is not asked again yet. The entry's clock is put back to "just failed"
    // before every pass, so that the loop's own time does not count.
    for _ in 0..10 {
        set_clock(&redis, "b", &entry, Duration::ZERO, 1).await;
        let acked = b
            .pass(&redis, &mut conn, Duration::ZERO, &failing)
            .await
            .expect("pass");
        assert_eq!(acked, 0);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Once its delay has passed, it is delivered again (and fails again).
    set_clock(&redis, "b", &entry, retry_delay(1), 1).await;
    assert_eq!(pass(&mut b, &redis, &mut conn, &failing).await, 0);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // The second wait is longer: what was enough the first time is not any more.
    set_clock(&redis, "b", &entry, retry_delay(1), 2).await;
    assert_eq!(pass(&mut b, &redis, &mut conn, &failing).await, 0);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(retry_delay(2), retry_delay(1) * 2);
    assert_eq!(retry_delay(60), Duration::from_secs(30));
    // Once it is handled, it is acknowledged and not seen again.
    set_clock(&redis, "b", &entry, retry_delay(2), 2).await;
    let ok = |_ev: Event| async { Ok::<(), String>(()) };
    assert_eq!(pass(&mut b, &redis, &mut conn, &ok).await, 1);
    assert_eq!(pending_of(&redis, "b").await, 0);

    clean_up(&redis).await;
}

#[tokio::test]
async fn a_batch_handler_gets_one_read_at_once_and_only_what_it_handled_is_acknowledged() {
    let redis = test_redis().await;
    let mut conn = redis.dedicated().await.expect("connect");
    let mut b = consumer_b();
    let batches: Mutex<Vec<Vec<Uuid>>> = Mutex::new(Vec::new());
    // Handles every event but the second of a batch.
    let handler = |events: Vec<Event>| {
        let batches = &batches;
        async move {
            batches
                .lock()
                .expect("lock")
                .push(events.iter().map(|e| e.event_id).collect());
            (0..events.len())
                .map(|i| {
                    if i == 1 {
                        Err("engine down".to_owned())
                    } else {
                        Ok(())
                    }
                })
                .collect::<Vec<_>>()
        }
    };
    // The group exists before the events, so that one read returns all three.
    b.pass_batch(&redis, &mut conn, Duration::from_millis(10), &handler)
        .await
        .expect("pass");
    let (mut entries, mut ids) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let (entry, id) = publish(&redis).await;
        entries.push(entry);
        ids.push(id);
    }
    let acked = b
        .pass_batch(&redis, &mut conn, Duration::from_millis(10), &handler)
        .await
        .expect("pass");
    assert_eq!(acked, 2);
    assert_eq!(*batches.lock().expect("lock"), [ids.clone()]);
    assert_eq!(
        pending_of(&redis, "b").await,
        1,
        "the failed one waits for its retry"
    );
    // Its retry comes alone, as a batch of one.
    set_clock(&redis, "b", &entries[1], retry_delay(1), 1).await;
    let acked = b
        .pass_batch(&redis, &mut conn, Duration::from_millis(10), &handler)
        .await
        .expect("pass");
    assert_eq!(acked, 1);
    assert_eq!(batches.lock().expect("lock").last(), Some(&vec![ids[1]]));
    assert_eq!(pending_of(&redis, "b").await, 0);

    clean_up(&redis).await;
}
