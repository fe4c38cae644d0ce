//! The autocommit pool (`platform::autocommit`) takes connections back without a ping,
//! so what a connection carries from its last statement must never reach the next one: a
//! statement cut off half-way, or a connection Postgres dropped.

use jikgu_tests::database::TestDb;
use platform::autocommit::Autocommit;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult};
use std::time::Duration;

#[derive(FromQueryResult)]
struct Answer {
    n: i64,
    pid: i32,
}

async fn ask(pool: &Autocommit, n: i64) -> Result<Answer, sea_orm::DbErr> {
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
