//! The autocommit pool (`platform::autocommit`) takes connections back without a ping,
//! so what a connection carries from its last statement, or its last transaction, must
//! never reach the next one: a statement cut off half-way, a transaction left open, or a
//! connection Postgres dropped.

use jikgu_tests::database::TestDb;
use platform::autocommit::Autocommit;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult};
use std::time::Duration;

#[derive(FromQueryResult)]
struct Answer {
    n: i64,
    pid: i32,
}

async fn ask(pool: &impl ConnectionTrait, n: i64) -> Result<Answer, sea_orm::DbErr> {
    Answer::find_by_statement(platform::db::pg(
        "SELECT $1::int8 AS n, pg_backend_pid() AS pid",
        [n.into()],
    ))
    .one(pool)
    .await
    .map(|a| a.expect("one row"))
}

async fn pools(db: &TestDb, max: u32) -> (DatabaseConnection, Autocommit) {
    let main = platform::db::connect_url(&db.url, max, Duration::from_secs(5))
        .await
        .expect("connect");
    let pool = Autocommit::beside(&main);
    (main, pool)
}

#[tokio::test]
async fn a_statement_cut_off_half_way_leaves_nothing_for_the_next_one() {
    let db = TestDb::create().await;
    let (_main, pool) = pools(&db, 1).await;
    let first = ask(&pool, 1).await.expect("first");
    assert_eq!(first.n, 1);

    // Cancelled while Postgres is still working on it: its answer arrives later, on the
    // only connection there is.
    let slow = tokio::time::timeout(
        Duration::from_millis(100),
        pool.query_one_raw(platform::db::pg(
            "SELECT 7::int8 AS n, pg_backend_pid() AS pid FROM pg_sleep(0.5)",
            [],
        )),
    )
    .await;
    assert!(slow.is_err(), "the slow statement is cut off");

    let next = ask(&pool, 2).await.expect("next");
    assert_eq!(next.n, 2, "the next statement gets its own answer");
    assert_eq!(next.pid, first.pid, "on the same connection");
}

#[tokio::test]
async fn a_connection_postgres_dropped_is_replaced() {
    let db = TestDb::create().await;
    let (main, pool) = pools(&db, 1).await;
    let before = ask(&pool, 1).await.expect("before");
    main.execute_raw(platform::db::pg(
        "SELECT pg_terminate_backend($1)",
        [before.pid.into()],
    ))
    .await
    .expect("terminate");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let lost = ask(&pool, 2)
        .await
        .err()
        .expect("the dropped connection fails");
    assert!(
        platform::db::is_connection_error(&lost),
        "a lost connection, as the main pool reports it: {lost:?}"
    );
    let after = ask(&pool, 3).await.expect("a fresh connection");
    assert_eq!(after.n, 3);
    assert_ne!(after.pid, before.pid, "not the dropped one");
}

/// Many statements at once on a small pool, a third of them cut off at random moments:
/// every one that finishes has its own answer.
#[tokio::test]
async fn racing_statements_each_get_their_own_answer() {
    let db = TestDb::create().await;
    let (_main, pool) = pools(&db, 3).await;
    let tasks: Vec<_> = (0..120i64)
        .map(|n| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let q = Answer::find_by_statement(platform::db::pg(
                    "SELECT $1::int8 AS n, pg_backend_pid() AS pid \
                     FROM pg_sleep(random() * 0.02)",
                    [n.into()],
                ))
                .one(&pool);
                if n % 3 == 0 {
                    let cut = Duration::from_millis(u64::try_from(n % 15).expect("small"));
                    match tokio::time::timeout(cut, q).await {
                        Ok(a) => a.expect("answer").map(|a| (n, a.n)),
                        Err(_) => None,
                    }
                } else {
                    q.await.expect("answer").map(|a| (n, a.n))
                }
            })
        })
        .collect();
    let mut answered = 0;
    for t in tasks {
        if let Some((asked, got)) = t.await.expect("task") {
            assert_eq!(asked, got, "a statement read another's answer");
            answered += 1;
        }
    }
    assert!(
        answered >= 80,
        "the uncut statements all answer ({answered})"
    );
}

/// How many rows `t` holds, read on the main pool: what other connections see committed.
async fn committed(main: &DatabaseConnection) -> i64 {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    Count::find_by_statement(platform::db::pg("SELECT count(*) AS n FROM t", []))
        .one(main)
        .await
        .expect("count")
        .expect("a row")
        .n
}

/// The pools, and a table `t` of one `int8` column.
async fn with_table(db: &TestDb, max: u32) -> (DatabaseConnection, Autocommit) {
    let (main, pool) = pools(db, max).await;
    main.execute_unprepared("CREATE TABLE t (v int8)")
        .await
        .expect("table");
    (main, pool)
}

async fn insert(on: &impl ConnectionTrait, v: i64) -> Result<(), sea_orm::DbErr> {
    on.execute_raw(platform::db::pg("INSERT INTO t VALUES ($1)", [v.into()]))
        .await
        .map(drop)
}

/// A transaction on the pool commits everything or nothing, and whichever way it ends
/// (commit, rollback, dropped open, a statement of it cut off half-way), the connection it
/// gives back is outside any transaction: the next statement on it commits by itself.
#[tokio::test]
async fn a_transaction_gives_its_connection_back_outside_any_transaction() {
    use sea_orm::TransactionSession;
    let db = TestDb::create().await;
    let (main, pool) = with_table(&db, 1).await;

    let txn = pool.begin().await.expect("begin");
    insert(&txn, 1).await.expect("insert");
    assert_eq!(committed(&main).await, 0, "not visible before the commit");
    txn.commit().await.expect("commit");
    assert_eq!(committed(&main).await, 1);

    let txn = pool.begin().await.expect("begin");
    insert(&txn, 2).await.expect("insert");
    txn.rollback().await.expect("rollback");
    assert_eq!(committed(&main).await, 1, "rolled back");

    // Dropped open: rolled back, in a task of its own, before the one connection serves
    // the next statement.
    {
        let txn = pool.begin().await.expect("begin");
        insert(&txn, 3).await.expect("insert");
    }
    insert(&pool, 4).await.expect("a statement alone");
    assert_eq!(committed(&main).await, 2, "the dropped one's row is gone");

    // A failed statement, then dropped: the aborted transaction is rolled back too.
    {
        let txn = pool.begin().await.expect("begin");
        insert(&txn, 5).await.expect("insert");
        let refused = txn
            .execute_unprepared("SELECT 1/0")
            .await
            .expect_err("division by zero");
        assert!(!platform::db::is_connection_error(&refused));
    }
    insert(&pool, 6).await.expect("a statement alone");
    assert_eq!(committed(&main).await, 3);

    // A statement cut off half-way inside it, the transaction dropped with it.
    {
        let txn = pool.begin().await.expect("begin");
        insert(&txn, 7).await.expect("insert");
        let slow = tokio::time::timeout(
            Duration::from_millis(100),
            txn.execute_unprepared("SELECT pg_sleep(0.5)"),
        )
        .await;
        assert!(slow.is_err(), "the slow statement is cut off");
    }
    let after = ask(&pool, 8).await.expect("the next statement");
    assert_eq!(after.n, 8, "its own answer");
    insert(&pool, 9).await.expect("a statement alone");
    assert_eq!(
        committed(&main).await,
        4,
        "7 rolled back, 9 committed alone"
    );
}

/// Transactions racing on a small pool, a third of them dropped half-way: every committed
/// one is whole, no dropped one leaves a row, and no connection goes back inside one.
#[tokio::test]
async fn racing_transactions_commit_whole_or_not_at_all() {
    use sea_orm::TransactionSession;
    let db = TestDb::create().await;
    let (main, pool) = with_table(&db, 3).await;
    let tasks: Vec<_> = (0..60i64)
        .map(|n| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let txn = pool.begin().await.expect("begin");
                insert(&txn, n).await.expect("first");
                txn.execute_unprepared("SELECT pg_sleep(random() * 0.01)")
                    .await
                    .expect("sleep");
                insert(&txn, n).await.expect("second");
                if n % 3 == 0 {
                    drop(txn);
                    false
                } else {
                    txn.commit().await.expect("commit");
                    true
                }
            })
        })
        .collect();
    let mut kept = 0;
    for t in tasks {
        if t.await.expect("task") {
            kept += 1;
        }
    }
    // Let the dropped ones' rollbacks finish, then write alone on every connection.
    for n in 100..106 {
        insert(&pool, n).await.expect("a statement alone");
    }
    assert_eq!(committed(&main).await, 2 * kept + 6);
    #[derive(FromQueryResult)]
    struct Odd {
        n: i64,
    }
    let halves = Odd::find_by_statement(platform::db::pg(
        "SELECT count(*) AS n FROM (SELECT v FROM t WHERE v < 100 GROUP BY v HAVING count(*) <> 2) x",
        [],
    ))
    .one(&main)
    .await
    .expect("count")
    .expect("a row");
    assert_eq!(halves.n, 0, "no transaction committed half");
}

/// Work that yields (a cart's) holds at most its share of the pool, and gets its place
/// back however a transaction of it ends: with the share taken, a yielding statement
/// waits while the rest (a checkout's transaction) still gets a connection.
#[tokio::test]
async fn yielding_work_leaves_the_rest_of_the_pool_to_the_others() {
    use sea_orm::TransactionSession;
    let db = TestDb::create().await;
    let (_main, pool) = pools(&db, 3).await;
    assert_eq!(platform::autocommit::yielding_share(3), 2);
    let carts = pool.yielding();
    let first = carts.begin().await.expect("first");
    let second = carts.begin().await.expect("second");
    let waited = tokio::time::timeout(Duration::from_millis(300), ask(&carts, 1)).await;
    assert!(waited.is_err(), "a third piece of yielding work waits");

    let rest = pool
        .begin()
        .await
        .expect("the rest still gets a connection");
    let answer = ask(&rest, 2).await.expect("asked");
    assert_eq!(answer.n, 2);
    rest.commit().await.expect("commit");

    // Dropped open: rolled back, and its place given back.
    drop(first);
    assert_eq!(ask(&carts, 3).await.expect("a place again").n, 3);
    second.commit().await.expect("commit");
    let again = (carts.begin().await, carts.begin().await);
    assert!(
        again.0.is_ok() && again.1.is_ok(),
        "both places are free again"
    );
}

/// Yielding statements racing on a small pool: never more of them at once than the
/// share, as Postgres sees its backends, and each gets its answer.
#[tokio::test]
async fn racing_yielding_statements_never_exceed_their_share() {
    #[derive(FromQueryResult)]
    struct Seen {
        at_once: i64,
    }
    let db = TestDb::create().await;
    let (_main, pool) = pools(&db, 3).await;
    let carts = pool.yielding();
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let carts = carts.clone();
            tokio::spawn(async move {
                Seen::find_by_statement(platform::db::pg(
                    "SELECT (SELECT count(*) FROM pg_stat_activity \
                         WHERE state = 'active' AND query LIKE '%yield-probe%' \
                         AND datname = current_database()) AS at_once \
                     FROM pg_sleep(0.05) /* yield-probe */",
                    [],
                ))
                .one(&carts)
                .await
                .expect("probe")
                .expect("one row")
                .at_once
            })
        })
        .collect();
    let mut most = 0;
    for task in tasks {
        most = most.max(task.await.expect("task"));
    }
    assert!(most >= 1, "each probe sees itself");
    assert!(
        most <= 2,
        "at most the share of 2 ran at once on a pool of 3, saw {most}"
    );
}

/// A yielding statement waits for its place in the share and for a connection within one
/// acquire timeout in all, not one each: here its place comes free half-way through the
/// timeout, and every connection stays taken until after the timeout is over, so it gives
/// up when the timeout is over instead of waiting on for a connection.
#[tokio::test]
async fn a_yielding_statement_waits_one_acquire_timeout_in_all() {
    use sea_orm::TransactionSession;
    use tokio::time::{Instant, sleep_until};
    let db = TestDb::create().await;
    let main = platform::db::connect_url(&db.url, 3, Duration::from_secs(1))
        .await
        .expect("connect");
    let pool = Autocommit::beside(&main);
    let carts = pool.yielding();
    let start = Instant::now();
    let at = move |ms: u64| start + Duration::from_millis(ms);
    // Both places of the share (2 of 3) and the third connection taken.
    let first = carts.begin().await.expect("first");
    let second = carts.begin().await.expect("second");
    let rest = pool.begin().await.expect("rest");
    let waiting = tokio::spawn({
        let carts = carts.clone();
        async move { ask(&carts, 1).await.map(|a| a.n) }
    });
    // A checkout queues for a connection before the first place comes free, and takes
    // the connection that comes back with it.
    let checkout = tokio::spawn({
        let pool = pool.clone();
        async move {
            sleep_until(at(200)).await;
            let txn = pool.begin().await.expect("the checkout gets a connection");
            sleep_until(at(1_400)).await;
            txn.commit().await.expect("commit");
        }
    });
    sleep_until(at(500)).await;
    drop(first);
    sleep_until(at(1_400)).await;
    second.commit().await.expect("commit");
    rest.commit().await.expect("commit");
    checkout.await.expect("checkout");
    let waited = waiting.await.expect("task");
    assert!(
        matches!(
            waited,
            Err(sea_orm::DbErr::ConnectionAcquire(
                sea_orm::ConnAcquireErr::Timeout
            ))
        ),
        "gave up when the acquire timeout was over: {waited:?}"
    );
    // And the pool serves yielding work again.
    assert_eq!(ask(&carts, 2).await.expect("asked").n, 2);
}
