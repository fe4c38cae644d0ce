//! The Redis result cache: it serves repeated questions without the backend, and every
//! write through it that changes a document retires what it kept.

use crate::support::{KIMCHI, TestEnv};
use search::{CachedBackend, PostgresBackend, SearchBackend, SearchQuery, documents};
use std::sync::Arc;

struct Cached {
    env: TestEnv,
    bare: Arc<dyn SearchBackend>,
    cached: CachedBackend,
}

async fn setup() -> Cached {
    let env = TestEnv::new().await;
    let bare: Arc<dyn SearchBackend> = Arc::new(PostgresBackend::new(env.state.db.clone()));
    let cached = CachedBackend::new(bare.clone(), env.state.redis.clone());
    search::reindex(&env.state, &cached, false)
        .await
        .expect("reindex");
    Cached { env, bare, cached }
}

async fn titles(b: &dyn SearchBackend, q: &str) -> Vec<String> {
    b.search(&SearchQuery::text(q))
        .await
        .expect("search")
        .hits
        .into_iter()
        .map(|h| h.title)
        .collect()
}

#[tokio::test]
async fn answers_are_kept_until_a_write_through_the_cache_changes_a_document() {
    let c = setup().await;
    let kimchi_id = c.env.shop.kimchi;
    assert_eq!(titles(&c.cached, "김치").await[0], KIMCHI);

    // Written around the cache (as a process without it would): the kept answer stands,
    // which is what shows that answers are kept at all.
    let mut kimchi = documents::load(&c.env.state.db, &[kimchi_id])
        .await
        .expect("load")
        .pop()
        .and_then(|(_, d)| d)
        .expect("visible");
    let original = kimchi.clone();
    kimchi.title = "강화순무김치 특가 3kg".into();
    c.bare.upsert(&[kimchi.clone()]).await.expect("upsert");
    assert_eq!(
        titles(c.bare.as_ref(), "김치").await[0],
        "강화순무김치 특가 3kg"
    );
    assert_eq!(titles(&c.cached, "김치").await[0], KIMCHI);
    // Spaces around the words ask the same question.
    assert_eq!(titles(&c.cached, "  김치 ").await[0], KIMCHI);

    // Writing through the cache what the index already holds changes nothing, so the
    // kept answer stays (a stock event that leaves a product in stock keeps it warm).
    let changed = c.cached.upsert(&[kimchi.clone()]).await.expect("upsert");
    assert_eq!(changed, 0);
    assert_eq!(titles(&c.cached, "김치").await[0], KIMCHI);

    // A change through the cache retires every kept answer.
    let changed = c.cached.upsert(&[original]).await.expect("upsert");
    assert_eq!(changed, 1);
    assert_eq!(titles(&c.cached, "김치").await[0], KIMCHI);
    c.bare.delete(&[kimchi_id]).await.expect("delete");
    assert_eq!(titles(&c.cached, "김치").await[0], KIMCHI, "kept again");
    let removed = c.cached.delete(&[kimchi_id]).await.expect("delete");
    assert_eq!(removed, 0, "already gone");
    assert_eq!(
        titles(&c.cached, "김치").await[0],
        KIMCHI,
        "nothing changed"
    );
    c.cached.upsert(&[kimchi]).await.expect("upsert");
    assert_eq!(titles(&c.cached, "김치").await[0], "강화순무김치 특가 3kg");
}

#[tokio::test]
async fn suggestions_are_kept_per_prefix_and_limit_and_a_rebuild_retires_them() {
    let c = setup().await;
    let first = c.cached.suggest("강화", 10).await.expect("suggest");
    assert!(first.iter().any(|s| s.title == KIMCHI), "{first:?}");
    c.bare.delete(&[c.env.shop.kimchi]).await.expect("delete");
    let kept = c.cached.suggest("강화", 10).await.expect("suggest");
    assert_eq!(kept, first);
    // Another limit is another question.
    let other = c.cached.suggest("강화", 1).await.expect("suggest");
    assert_eq!(other.len(), 1);
    // The rebuild writes the kimchi back and retires every kept answer.
    search::reindex(&c.env.state, &c.cached, false)
        .await
        .expect("reindex");
    let after = c.cached.suggest("강화", 10).await.expect("suggest");
    assert_eq!(
        after,
        c.bare.as_ref().suggest("강화", 10).await.expect("suggest")
    );
}

#[tokio::test]
async fn invalid_questions_are_refused_as_without_the_cache() {
    let c = setup().await;
    let q = SearchQuery {
        limit: 0,
        ..SearchQuery::text("김치")
    };
    assert!(matches!(
        c.cached.search(&q).await,
        Err(search::SearchError::Invalid(_))
    ));
}
