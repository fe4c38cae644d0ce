//! The indexer: catalog and campaign events in, index changes out, within a second;
//! failures retried and finally dead-lettered; lag reported.

use crate::support::TestEnv;
use platform::events::Event;
use platform::outbox::stream_key;
use promotions::audit::Actor;
use promotions::campaigns::{self, CampaignUpdate, MembershipRule, NewCampaign};
use sea_orm::TransactionTrait;
use search::indexer::{self, GROUP, MAX_ATTEMPTS};
use search::{
    Document, DocumentStream, Filters, PostgresBackend, SearchBackend, SearchError, SearchQuery,
    SearchResult, SearchResults, Suggestion,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The outbox relay and the indexer, running until dropped.
pub(crate) struct Workers {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    pub(crate) fn start(env: &TestEnv, backend: Arc<dyn SearchBackend>, relay: bool) -> Workers {
        let (stop, rx) = tokio::sync::watch::channel(false);
        let mut tasks = vec![tokio::spawn(indexer::run(
            env.state.clone(),
            backend,
            rx.clone(),
        ))];
        if relay {
            tasks.push(tokio::spawn(platform::outbox::run_relay(
                env.state.db.clone(),
                env.state.redis.clone(),
                env.state.config.outbox_vacuum_every,
                rx,
            )));
        }
        Workers { stop, tasks }
    }

    pub(crate) async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
    }
}

/// Poll until `check` holds; returns how long it took.
async fn until<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits (5 s at most) until the indexer's consumer group stands as `done` says.
pub(crate) async fn until_group(env: &TestEnv, what: &str, done: impl Fn(&indexer::Lag) -> bool) {
    until(Duration::from_secs(5), what, || async {
        indexer::lag(&env.state.redis)
            .await
            .ok()
            .flatten()
            .is_some_and(|l| done(&l))
    })
    .await;
}

/// Creates the indexer's consumer group on the stream of every topic it follows (and the
/// streams, if need be), reading from `start`.
async fn create_group(env: &TestEnv, start: &str) {
    let mut conn = env.state.redis.conn();
    for topic in indexer::topics() {
        let _: () = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(stream_key(&env.state.redis, topic))
            .arg(GROUP)
            .arg(start)
            .arg("MKSTREAM")
            .query_async(&mut conn)
            .await
            .expect("create group");
    }
}

async fn hits(backend: &dyn SearchBackend, q: &str) -> Vec<Uuid> {
    backend
        .search(&SearchQuery::text(q))
        .await
        .map(|r| r.hits.iter().map(|h| h.id).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn catalog_changes_reach_search_within_a_second() {
    catalog_changes_reach_search(false).await;
}

/// The same through the result cache, as `jikgu serve` runs it: every question below is
/// asked again and again while waiting, so a kept answer that the indexer's writes failed
/// to retire would fail the wait.
#[tokio::test]
async fn catalog_changes_reach_search_through_the_cache_within_a_second() {
    catalog_changes_reach_search(true).await;
}

async fn catalog_changes_reach_search(cached: bool) {
    let env = TestEnv::new().await;
    let s = env.shop.clone();
    let mut backend: Arc<dyn SearchBackend> = Arc::new(PostgresBackend::new(env.state.db.clone()));
    if cached {
        backend = Arc::new(search::CachedBackend::new(backend, env.state.redis.clone()));
    }
    // The events of building the shop index it from nothing. They are all put in the
    // stream first, and the timed changes below start only once the indexer has handled
    // every one of them: the shop shows its five products well before the indexer is
    // through the rest of that backlog (accounts, stock, approvals), and on a loaded
    // machine that tail used to eat into the first timed second (the flaky failures).
    while platform::outbox::relay_once(&env.state.db, &env.state.redis, 500)
        .await
        .expect("relay")
        > 0
    {}
    let workers = Workers::start(&env, backend.clone(), true);
    until(
        Duration::from_secs(20),
        "the shop's events are handled",
        || async {
            indexer::lag(&env.state.redis)
                .await
                .ok()
                .flatten()
                .is_some_and(|l| l.lag == Some(0) && l.pending == 0)
        },
    )
    .await;
    let shown = backend
        .search(&SearchQuery::default())
        .await
        .expect("search");
    assert_eq!(shown.total, 5, "the shop is indexed");

    let fresh = crate::support::product(
        &env.state,
        crate::support::NewItem {
            vendor: s.sea,
            category: s.seafood,
            title: "연평도 꽃게장",
            description: "<p>간장게장</p>",
            variants: &[(39_000, 4)],
            ..crate::support::NewItem::default()
        },
        true,
    )
    .await;
    let took = until(Duration::from_secs(2), "a new product appears", || async {
        hits(backend.as_ref(), "게장").await == [fresh]
    })
    .await;
    println!("new product searchable after {took:?}");

    catalog::products::archive(&env.state.db, s.sunmu, s.kimchi)
        .await
        .expect("archive");
    let took = until(
        Duration::from_secs(1),
        "an archived product disappears",
        || async { !hits(backend.as_ref(), "김치").await.contains(&s.kimchi) },
    )
    .await;
    println!("archived product gone after {took:?}");

    let txn = env.state.db.begin().await.expect("begin");
    catalog::vendors::suspend(&txn, s.insam, "품질 문제".into())
        .await
        .expect("suspend");
    txn.commit().await.expect("commit");
    let took = until(
        Duration::from_secs(1),
        "a suspended vendor's products disappear",
        || async {
            let left = hits(backend.as_ref(), "강화").await;
            !left.contains(&s.rice) && !left.contains(&s.ginseng)
        },
    )
    .await;
    println!("suspended vendor's products gone after {took:?}");

    // Stock runs out: the document follows.
    let variant = catalog::products::variants_of(&env.state.db, s.crab)
        .await
        .expect("variants")
        .remove(0);
    catalog::stock::set_on_hand(&env.state.db, s.sea, variant.id, 5, 0)
        .await
        .expect("set stock");
    until(
        Duration::from_secs(1),
        "stock reaches the index",
        || async {
            backend
                .search(&SearchQuery::text("꽃게"))
                .await
                .is_ok_and(|r| r.hits.iter().any(|h| h.id == s.crab && !h.in_stock))
        },
    )
    .await;

    until_group(&env, "the group has caught up", |l| {
        l.lag == Some(0) && l.pending == 0
    })
    .await;
    workers.stop().await;
}

/// A backend whose writes always fail, counting them.
#[derive(Default)]
struct Broken {
    writes: AtomicUsize,
}

#[async_trait::async_trait]
impl SearchBackend for Broken {
    fn name(&self) -> &'static str {
        "broken"
    }
    async fn upsert(&self, _docs: &[Document]) -> SearchResult<u64> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        Err(SearchError::Backend("engine down".into()))
    }
    async fn delete(&self, _ids: &[Uuid]) -> SearchResult<u64> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        Err(SearchError::Backend("engine down".into()))
    }
    async fn search(&self, _q: &SearchQuery) -> SearchResult<SearchResults> {
        Err(SearchError::Backend("engine down".into()))
    }
    async fn suggest(&self, _p: &str, _l: usize) -> SearchResult<Vec<Suggestion>> {
        Err(SearchError::Backend("engine down".into()))
    }
    async fn rebuild(&self, _b: DocumentStream<'_>) -> SearchResult<u64> {
        Err(SearchError::Backend("engine down".into()))
    }
}

pub(crate) async fn publish(env: &TestEnv, topic: &str, aggregate: Uuid) -> Uuid {
    let event_id = Uuid::now_v7();
    let mut conn = env.state.redis.conn();
    let _: String = redis::cmd("XADD")
        .arg(stream_key(&env.state.redis, topic))
        .arg("*")
        .arg("event_id")
        .arg(event_id.to_string())
        .arg("topic")
        .arg(topic)
        .arg("aggregate_id")
        .arg(aggregate.to_string())
        .arg("payload")
        .arg("{}")
        .query_async(&mut conn)
        .await
        .expect("xadd");
    event_id
}

#[tokio::test]
async fn an_event_that_keeps_failing_is_dead_lettered_after_five_attempts() {
    let env = TestEnv::new().await;
    let broken = Arc::new(Broken::default());
    // No relay: the stream holds only this event.
    let event_id = publish(&env, catalog::topics::PRODUCT_UPDATED, env.shop.kimchi).await;
    let workers = Workers::start(&env, broken.clone(), false);
    let dead_key = indexer::dead_letter_key(&env.state.redis);
    let redis = env.state.redis.clone();
    until(
        Duration::from_secs(15),
        "the event is dead-lettered",
        || {
            let redis = redis.clone();
            let key = dead_key.clone();
            async move {
                let mut conn = redis.conn();
                redis::cmd("XLEN")
                    .arg(&key)
                    .query_async::<i64>(&mut conn)
                    .await
                    .is_ok_and(|n| n == 1)
            }
        },
    )
    .await;
    until_group(&env, "the event is acknowledged", |l| l.pending == 0).await;
    workers.stop().await;
    assert_eq!(broken.writes.load(Ordering::SeqCst), MAX_ATTEMPTS as usize);

    let mut conn = env.state.redis.conn();
    let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(&dead_key)
        .arg("-")
        .arg("+")
        .query_async(&mut conn)
        .await
        .expect("xrange");
    let entry = &entries.ids[0];
    let field = |k: &str| -> String {
        entry
            .map
            .get(k)
            .and_then(|v| redis::from_redis_value_ref::<String>(v).ok())
            .unwrap_or_default()
    };
    assert_eq!(field("event_id"), event_id.to_string());
    assert_eq!(field("topic"), catalog::topics::PRODUCT_UPDATED);
    assert_eq!(field("aggregate_id"), env.shop.kimchi.to_string());
    assert_eq!(field("group"), GROUP);
    assert_eq!(field("attempts"), "5");
    assert!(field("error").contains("engine down"), "{}", field("error"));
}

#[tokio::test]
async fn a_failure_that_recovers_is_retried_not_dead_lettered() {
    let env = TestEnv::new().await;
    // Fails the first two writes, then works.
    let failures_left = AtomicUsize::new(2);
    let flaky = Arc::new(Hooked {
        name: "flaky",
        inner: PostgresBackend::new(env.state.db.clone()),
        before_write: move |write, _| {
            let fail = write == Write::Upsert
                && failures_left
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
            if fail {
                return Err(SearchError::Timeout("writing documents"));
            }
            Ok(())
        },
    });
    publish(&env, catalog::topics::PRODUCT_UPDATED, env.shop.crab).await;
    let workers = Workers::start(&env, flaky.clone(), false);
    until(
        Duration::from_secs(10),
        "the retried event is indexed",
        || async { hits(flaky.as_ref(), "꽃게").await == [env.shop.crab] },
    )
    .await;
    workers.stop().await;
    let mut conn = env.state.redis.conn();
    let dead: i64 = redis::cmd("XLEN")
        .arg(indexer::dead_letter_key(&env.state.redis))
        .query_async(&mut conn)
        .await
        .expect("xlen");
    assert_eq!(dead, 0);
}

#[tokio::test]
async fn handling_an_event_again_changes_nothing() {
    let env = TestEnv::new().await;
    let s = env.shop.clone();
    let backend = PostgresBackend::new(env.state.db.clone());
    let event = |topic: &str, id: Uuid| Event {
        event_id: Uuid::now_v7(),
        topic: topic.to_owned(),
        aggregate_id: id,
        payload: serde_json::json!({}),
    };
    let handle = async |ev: Event| indexer::handle(&env.state, &backend, &ev).await;
    let vendor_event = event(catalog::topics::VENDOR_UPDATED, s.sunmu);
    for _ in 0..2 {
        handle(vendor_event.clone()).await.expect("handle");
    }
    let once = backend
        .search(&SearchQuery::default())
        .await
        .expect("search");
    assert_eq!(once.total, 2, "the vendor's two visible products");
    // Events about what is not visible delete (or keep away) its document, every time.
    for id in [s.archived, s.draft, Uuid::now_v7()] {
        for _ in 0..2 {
            let archived = event(catalog::topics::PRODUCT_ARCHIVED, id);
            handle(archived).await.expect("handle");
        }
    }
    let other = event("orders.order.paid", s.kimchi);
    handle(other).await.expect("other topics are ignored");
    let category = event(catalog::topics::CATEGORY_CHANGED, s.food);
    handle(category).await.expect("category");
    let after = backend
        .search(&SearchQuery::default())
        .await
        .expect("search");
    // The vendor's two, plus the food subtree's four (the kimchi is in both).
    assert_eq!(after.total, 5);
}

#[tokio::test]
async fn lag_counts_what_the_group_has_not_read() {
    let env = TestEnv::new().await;
    assert_eq!(indexer::lag(&env.state.redis).await.expect("lag"), None);
    // Summed over the streams of the topics it follows; a topic it does not follow is
    // not its lag.
    for _ in 0..2 {
        publish(&env, catalog::topics::STOCK_CHANGED, env.shop.crab).await;
    }
    publish(&env, catalog::topics::PRODUCT_UPDATED, env.shop.crab).await;
    publish(&env, "orders.order.paid", env.shop.crab).await;
    create_group(&env, "0").await;
    let lag = indexer::lag(&env.state.redis).await.expect("lag");
    assert_eq!(lag.map(|l| (l.lag, l.pending)), Some((Some(3), 0)));
    let backend: Arc<dyn SearchBackend> = Arc::new(PostgresBackend::new(env.state.db.clone()));
    let workers = Workers::start(&env, backend, false);
    until_group(&env, "caught up", |l| l.lag == Some(0) && l.pending == 0).await;
    workers.stop().await;
}

// ---- campaigns (promotions events) ----

/// A campaign running since an hour ago, for a week, with `rules`.
async fn live_campaign(env: &TestEnv, slug: &str, rules: Vec<MembershipRule>) -> Uuid {
    let now = chrono::Utc::now();
    let c = campaigns::create(
        &env.state.db,
        Actor::SYSTEM,
        NewCampaign {
            title: "옹진 꽃게 기획전".into(),
            slug: slug.into(),
            theme: String::new(),
            description: String::new(),
            banner_pc: None,
            banner_mobile: None,
            starts_at: (now - chrono::Duration::hours(1)).fixed_offset(),
            ends_at: (now + chrono::Duration::days(7)).fixed_offset(),
            membership: rules,
            vendor_share_bp: None,
        },
    )
    .await
    .expect("create campaign");
    campaigns::schedule(&env.state.db, Actor::SYSTEM, c.id, now)
        .await
        .expect("schedule campaign");
    c.id
}

/// What `campaign=<id>` finds, sorted.
async fn in_campaign(backend: &dyn SearchBackend, campaign: Uuid) -> Vec<Uuid> {
    let r = backend
        .search(&SearchQuery {
            filters: Filters {
                campaign: Some(campaign),
                ..Filters::default()
            },
            ..SearchQuery::default()
        })
        .await
        .expect("search");
    let mut ids: Vec<Uuid> = r.hits.iter().map(|h| h.id).collect();
    ids.sort();
    ids
}

/// Publish every outbox row now and start the indexer's group after them, so that the
/// indexer only ever sees what the test does next.
async fn skip_history(env: &TestEnv) {
    while platform::outbox::relay_once(&env.state.db, &env.state.redis, 500)
        .await
        .expect("relay")
        > 0
    {}
    create_group(env, "$").await;
}

#[tokio::test]
async fn an_ended_campaign_leaves_the_documents_of_its_products() {
    let env = TestEnv::new().await;
    let s = env.shop.clone();
    let backend: Arc<dyn SearchBackend> = Arc::new(PostgresBackend::new(env.state.db.clone()));
    let campaign = live_campaign(
        &env,
        "crab-week",
        vec![MembershipRule::Vendor { id: s.sea }],
    )
    .await;
    skip_history(&env).await;
    search::reindex(&env.state, backend.as_ref(), false)
        .await
        .expect("reindex");
    assert_eq!(in_campaign(backend.as_ref(), campaign).await, [s.crab]);

    let workers = Workers::start(&env, backend.clone(), true);
    campaigns::end_early(&env.state.db, Actor::SYSTEM, campaign, chrono::Utc::now())
        .await
        .expect("end early");
    // The only event the indexer sees is the campaign's end.
    until(
        Duration::from_secs(5),
        "the ended campaign leaves the index",
        || async { in_campaign(backend.as_ref(), campaign).await.is_empty() },
    )
    .await;
    workers.stop().await;
    // The product is still there; only its campaign went.
    assert_eq!(hits(backend.as_ref(), "꽃게").await, [s.crab]);
}

#[tokio::test]
async fn a_narrowed_campaign_leaves_the_products_it_no_longer_holds() {
    let env = TestEnv::new().await;
    let s = env.shop.clone();
    let backend = PostgresBackend::new(env.state.db.clone());
    let campaign = live_campaign(
        &env,
        "island-week",
        vec![MembershipRule::Vendor { id: s.sea }],
    )
    .await;
    search::reindex(&env.state, &backend, false)
        .await
        .expect("reindex");
    assert_eq!(in_campaign(&backend, campaign).await, [s.crab]);

    campaigns::update(
        &env.state.db,
        Actor::SYSTEM,
        campaign,
        CampaignUpdate {
            membership: Some(vec![MembershipRule::Vendor { id: s.insam }]),
            ..CampaignUpdate::default()
        },
        chrono::Utc::now(),
    )
    .await
    .expect("update campaign");
    let changed = Event {
        event_id: Uuid::now_v7(),
        topic: promotions::topics::CAMPAIGN_CHANGED.to_owned(),
        aggregate_id: campaign,
        payload: serde_json::json!({ "campaign_id": campaign }),
    };
    indexer::handle(&env.state, &backend, &changed)
        .await
        .expect("handle");
    // The crab is no member any more: only its indexed document still named the campaign.
    let mut want = vec![s.ginseng, s.rice];
    want.sort();
    assert_eq!(in_campaign(&backend, campaign).await, want);
}

/// Postgres behind a hook that sees every write first (the number of documents or ids
/// written) and may fail it: a backend that breaks, or counts what reaches it.
struct Hooked<H> {
    name: &'static str,
    inner: PostgresBackend,
    before_write: H,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Upsert,
    Delete,
}

#[async_trait::async_trait]
impl<H> SearchBackend for Hooked<H>
where
    H: Fn(Write, usize) -> SearchResult<()> + Send + Sync + 'static,
{
    fn name(&self) -> &'static str {
        self.name
    }
    async fn upsert(&self, docs: &[Document]) -> SearchResult<u64> {
        (self.before_write)(Write::Upsert, docs.len())?;
        self.inner.upsert(docs).await
    }
    async fn delete(&self, ids: &[Uuid]) -> SearchResult<u64> {
        (self.before_write)(Write::Delete, ids.len())?;
        self.inner.delete(ids).await
    }
    async fn search(&self, q: &SearchQuery) -> SearchResult<SearchResults> {
        self.inner.search(q).await
    }
    async fn suggest(&self, p: &str, l: usize) -> SearchResult<Vec<Suggestion>> {
        self.inner.suggest(p, l).await
    }
    async fn rebuild(&self, b: DocumentStream<'_>) -> SearchResult<u64> {
        self.inner.rebuild(b).await
    }
}

/// What one read of the stream returns is one write on Postgres too: six events (one
/// product twice, one archived) are one upsert of four documents and one deletion.
#[tokio::test]
async fn events_read_together_are_written_together() {
    let env = TestEnv::new().await;
    let s = env.shop.clone();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let backend = Arc::new(Hooked {
        name: "recording",
        inner: PostgresBackend::new(env.state.db.clone()),
        before_write: move |write, n| {
            record.lock().expect("lock").push((write, n));
            Ok(())
        },
    });
    for id in [s.kimchi, s.crab, s.rice, s.basket, s.kimchi] {
        publish(&env, catalog::topics::PRODUCT_UPDATED, id).await;
    }
    publish(&env, catalog::topics::PRODUCT_ARCHIVED, s.archived).await;
    let workers = Workers::start(&env, backend.clone(), false);
    until_group(&env, "every event is acknowledged", |l| {
        l.lag == Some(0) && l.pending == 0
    })
    .await;
    workers.stop().await;
    assert_eq!(
        *seen.lock().expect("lock"),
        [(Write::Upsert, 4), (Write::Delete, 1)]
    );
    let mut found: Vec<Uuid> = backend
        .search(&SearchQuery::default())
        .await
        .expect("search")
        .hits
        .iter()
        .map(|h| h.id)
        .collect();
    found.sort();
    let mut want = vec![s.kimchi, s.crab, s.rice, s.basket];
    want.sort();
    assert_eq!(found, want, "the four products are searchable");
}

/// The newest catalog event in the outbox, as the stream would carry it.
async fn last_catalog_event(env: &TestEnv) -> Event {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let row = env
        .state
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT id, topic, aggregate_id, payload FROM catalog.outbox ORDER BY id DESC LIMIT 1",
        ))
        .await
        .expect("outbox")
        .expect("an event");
    Event {
        event_id: row.try_get("", "id").expect("id"),
        topic: row.try_get("", "topic").expect("topic"),
        aggregate_id: row.try_get("", "aggregate_id").expect("aggregate"),
        payload: row.try_get("", "payload").expect("payload"),
    }
}

#[tokio::test]
async fn stock_events_that_leave_units_on_the_shelf_cost_no_write() {
    use catalog::stock::{self, StockLine};
    let env = TestEnv::new().await;
    let s = env.shop.clone();
    // Counts the writes that reach the backend.
    let writes = Arc::new(AtomicUsize::new(0));
    let counted = writes.clone();
    let backend = Hooked {
        name: "counting",
        inner: PostgresBackend::new(env.state.db.clone()),
        before_write: move |_, n| {
            if n > 0 {
                counted.fetch_add(1, Ordering::SeqCst);
            }
            Ok(())
        },
    };
    search::reindex(&env.state, &backend, false)
        .await
        .expect("reindex");
    let variant = catalog::products::variants_of(&env.state.db, s.crab)
        .await
        .expect("variants")
        .remove(0);
    let on_hand = variant.on_hand;
    assert!(on_hand > 1, "the crab has units to spare");
    let line = |quantity: i32| StockLine {
        variant_id: variant.id,
        quantity: platform::quantity::Quantity::clamped(i64::from(quantity)),
    };
    let crab_in_stock = || async {
        backend
            .search(&SearchQuery::text("꽃게"))
            .await
            .expect("search")
            .hits
            .iter()
            .find(|h| h.id == s.crab)
            .map(|h| h.in_stock)
    };
    // The newest catalog event, handled as the indexer would.
    let handle_last = async || {
        let ev = last_catalog_event(&env).await;
        indexer::handle(&env.state, &backend, &ev)
            .await
            .expect("handle");
        ev
    };
    let writes_before = writes.load(Ordering::SeqCst);

    // One unit held, the rest still on the shelf: nothing to write.
    stock::reserve(&env.state.db, &[line(1)])
        .await
        .expect("reserve");
    let ev = handle_last().await;
    assert_eq!(ev.topic, catalog::topics::STOCK_CHANGED);
    assert_eq!(writes.load(Ordering::SeqCst), writes_before);

    // The last units held: the product is out of stock, and search says so.
    stock::reserve(&env.state.db, &[line(on_hand - 1)])
        .await
        .expect("reserve the rest");
    handle_last().await;
    assert_eq!(writes.load(Ordering::SeqCst), writes_before + 1);
    assert_eq!(crab_in_stock().await, Some(false));

    // Released again: back in stock.
    stock::release(&env.state.db, &[line(1)])
        .await
        .expect("release");
    let ev = handle_last().await;
    assert_eq!(crab_in_stock().await, Some(true));

    // An event without the earlier figure (as older events are) is always applied.
    let mut old = ev.clone();
    old.payload = serde_json::json!({ "available": 1 });
    let writes_then = writes.load(Ordering::SeqCst);
    indexer::handle(&env.state, &backend, &old)
        .await
        .expect("handle");
    assert_eq!(writes.load(Ordering::SeqCst), writes_then + 1);
}
