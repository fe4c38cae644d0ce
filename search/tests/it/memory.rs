//! The in-memory index of one process follows what other processes write: updates,
//! deletions, a deletion undone, and writes by a process that keeps no index in memory.

use crate::support::TestEnv;
use search::documents::{self, Document};
use search::{MemoryBackend, PostgresBackend, SearchBackend, SearchQuery};
use std::time::{Duration, Instant};
use uuid::Uuid;

async fn ids(b: &MemoryBackend, text: &str) -> Vec<Uuid> {
    let r = b.search(&SearchQuery::text(text)).await.expect("search");
    r.hits.iter().map(|h| h.id).collect()
}

/// Ask `b` until it answers `want` (another process's write arrives at its next look,
/// at most every `memory::REFRESH_EVERY`); the wait is bounded for a loaded machine.
async fn until(b: &MemoryBackend, text: &str, want: &[Uuid]) {
    let start = Instant::now();
    loop {
        let got = ids(b, text).await;
        if got == want {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{text}: still {got:?}, want {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn another_process_sees_updates_deletions_and_restores() {
    let env = TestEnv::new().await;
    let s = env.shop.clone();
    let db = &env.state.db;
    let a = MemoryBackend::new(db.clone());
    let b = MemoryBackend::new(db.clone());
    search::reindex(&env.state, &a, false)
        .await
        .expect("reindex");
    assert_eq!(ids(&a, "김치").await, [s.kimchi, s.basket]);
    assert_eq!(ids(&b, "김치").await, [s.kimchi, s.basket]);

    // An update through a: a answers with it at once, b at its next look.
    let (_, kimchi) = documents::load(db, &[s.kimchi])
        .await
        .expect("load")
        .remove(0);
    let mut kimchi = kimchi.expect("visible");
    kimchi.title = "강화 순무 동치미".into();
    a.upsert(std::slice::from_ref(&kimchi))
        .await
        .expect("upsert");
    assert_eq!(ids(&a, "김치").await, [s.basket]);
    assert_eq!(ids(&a, "동치미").await, [s.kimchi]);
    until(&b, "동치미", &[s.kimchi]).await;
    until(&b, "김치", &[s.basket]).await;

    // A deletion, then the same document back: the tombstone does not hide it.
    a.delete(&[s.basket]).await.expect("delete");
    until(&b, "김치", &[]).await;
    let (_, basket) = documents::load(db, &[s.basket])
        .await
        .expect("load")
        .remove(0);
    a.upsert(&[basket.expect("visible")]).await.expect("upsert");
    until(&b, "김치", &[s.basket]).await;

    // A process that keeps no index in memory writes; both follow.
    let plain = PostgresBackend::new(db.clone());
    plain.delete(&[s.kimchi]).await.expect("delete");
    until(&a, "동치미", &[]).await;
    until(&b, "동치미", &[]).await;
    kimchi.title = "강화순무김치 특대".into();
    plain.upsert(&[kimchi]).await.expect("upsert");
    until(&a, "특대", &[s.kimchi]).await;
    until(&b, "김치", &[s.kimchi, s.basket]).await;
}

/// Writes made before the first search (the index not in memory yet, so nothing to read
/// back) are in that search's answer: it loads the entries as they are then.
#[tokio::test]
async fn writes_before_the_first_search_are_in_its_answer() {
    let env = TestEnv::new().await;
    let s = env.shop.clone();
    let a = MemoryBackend::new(env.state.db.clone());
    search::reindex(&env.state, &a, false)
        .await
        .expect("reindex");
    a.delete(&[s.kimchi]).await.expect("delete");
    assert_eq!(ids(&a, "김치").await, [s.basket]);
}

#[tokio::test]
async fn a_load_of_more_entries_than_one_statement_reads_holds_every_one() {
    let env = TestEnv::new().await;
    let db = &env.state.db;
    let sql = PostgresBackend::new(db.clone());
    search::reindex(&env.state, &sql, false)
        .await
        .expect("reindex");
    let (_, kimchi) = documents::load(db, &[env.shop.kimchi])
        .await
        .expect("load")
        .remove(0);
    let kimchi = kimchi.expect("visible");
    // More than the 2,000 rows a load reads per statement.
    let many: Vec<Document> = (0..2_100)
        .map(|i| Document {
            id: Uuid::now_v7(),
            title: format!("꿀단지 {i}"),
            ..kimchi.clone()
        })
        .collect();
    sql.upsert(&many).await.expect("upsert");
    let fresh = MemoryBackend::new(db.clone());
    let found = fresh
        .search(&SearchQuery::text("꿀단지"))
        .await
        .expect("search");
    assert_eq!(found.total, 2_100);
}
