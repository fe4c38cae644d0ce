//! One behaviour suite, run against every backend: Postgres always (bare, answering from
//! each process's memory, and behind the Redis result cache, which must answer exactly as
//! the backend does after every write),
//! Meilisearch when `MEILISEARCH_URL` is set (each test then uses an index of its own).

use crate::support::{self, BASKET, CERT_KIND, GINSENG, KIMCHI, RICE, TestEnv};
use platform::money::Won;
use sea_orm::TransactionTrait;
use search::indexer::sync_products;
use search::{
    CachedBackend, Document, Facet, FacetCount, Filters, MeiliConfig, MeilisearchBackend,
    MemoryBackend, PostgresBackend, SearchBackend, SearchQuery, SearchResults, Sort, documents,
};
use std::collections::BTreeSet;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Postgres,
    Memory,
    CachedPostgres,
    Meilisearch,
}

pub struct Under {
    pub env: TestEnv,
    pub backend: Arc<dyn SearchBackend>,
    _meili_index: Option<support::MeiliIndexGuard>,
}

impl Under {
    /// The shop, indexed by a full rebuild; `None` (after saying so) when the backend is
    /// not available here.
    pub async fn setup(kind: Kind) -> Option<Under> {
        let meili_config = match kind {
            Kind::Postgres | Kind::Memory | Kind::CachedPostgres => None,
            Kind::Meilisearch => match MeiliConfig::from_source(&platform::config::ProcessEnv) {
                None => {
                    skipped();
                    return None;
                }
                Some(cfg) => {
                    let mut cfg = cfg.expect("MEILISEARCH_* settings are valid");
                    cfg.index = format!("jikgu_test_{}", Uuid::now_v7().simple());
                    Some(cfg)
                }
            },
        };
        let env = TestEnv::new().await;
        let (backend, meili_index): (Arc<dyn SearchBackend>, _) = match meili_config {
            None if matches!(kind, Kind::Memory) => {
                (Arc::new(MemoryBackend::new(env.state.db.clone())), None)
            }
            None => (Arc::new(PostgresBackend::new(env.state.db.clone())), None),
            Some(cfg) => {
                // Made before the index, so that it goes however the test ends.
                let index = support::MeiliIndexGuard(cfg.index.clone());
                let b = MeilisearchBackend::connect(cfg)
                    .await
                    .expect("Meilisearch at MEILISEARCH_URL is reachable");
                (Arc::new(b), Some(index))
            }
        };
        let backend: Arc<dyn SearchBackend> = match kind {
            Kind::CachedPostgres => Arc::new(CachedBackend::new(backend, env.state.redis.clone())),
            _ => backend,
        };
        let written = search::reindex(&env.state, backend.as_ref(), false)
            .await
            .expect("reindex");
        assert_eq!(written, 5, "five products are visible");
        Some(Under {
            env,
            backend,
            _meili_index: meili_index,
        })
    }

    pub async fn search(&self, q: SearchQuery) -> SearchResults {
        self.backend.search(&q).await.expect("search")
    }

    pub async fn ids(&self, q: SearchQuery) -> Vec<Uuid> {
        ids(&self.search(q).await)
    }

    pub async fn doc(&self, id: Uuid) -> Document {
        documents::load(&self.env.state.db, &[id])
            .await
            .expect("load")
            .pop()
            .and_then(|(_, d)| d)
            .expect("visible product")
    }
}

/// Say so where it shows: libtest captures `println!` of passing tests, but not writes
/// to the stream itself.
pub fn skipped() {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: MEILISEARCH_URL not set");
}

pub fn ids(r: &SearchResults) -> Vec<Uuid> {
    r.hits.iter().map(|h| h.id).collect()
}

fn set(ids: impl IntoIterator<Item = Uuid>) -> BTreeSet<Uuid> {
    ids.into_iter().collect()
}

fn filtered(f: Filters) -> SearchQuery {
    SearchQuery {
        filters: f,
        ..SearchQuery::default()
    }
}

fn count(list: &[FacetCount], value: impl ToString) -> u64 {
    let v = value.to_string();
    list.iter().find(|c| c.value == v).map_or(0, |c| c.count)
}

pub async fn korean_substrings(u: &Under) {
    let s = &u.env.shop;
    let r = u.search(SearchQuery::text("김치")).await;
    // The title match ranks above the description-only match; the draft and the
    // archived product ("김치 초안", "단종된 강화 김치") never show.
    assert_eq!(ids(&r), [s.kimchi, s.basket], "{r:#?}");
    assert_eq!(r.total, 2);
    assert_eq!(r.hits[0].title, KIMCHI);
    assert!(
        r.hits[0].highlighted_title.contains("<em>김치</em>"),
        "{:?}",
        r.hits[0]
    );
    let snippet = r.hits[1].snippet.clone().unwrap_or_default();
    assert!(snippet.contains("<em>김치</em>"), "{snippet}");
    assert!(
        snippet.contains("&amp;"),
        "snippets are escaped HTML: {snippet}"
    );
    assert_eq!(r.hits[1].highlighted_title, BASKET);

    assert_eq!(u.ids(SearchQuery::text("꽃게")).await, [s.crab]);
    assert_eq!(u.ids(SearchQuery::text("인삼")).await, [s.ginseng]);
    assert_eq!(u.ids(SearchQuery::text("강화 김치")).await, [s.kimchi]);
    let rice = u.search(SearchQuery::text("섬쌀")).await;
    assert_eq!(ids(&rice), [s.rice]);
    assert_eq!(rice.hits[0].title, RICE);
    // Tags are searched too, and case does not matter.
    assert_eq!(u.ids(SearchQuery::text("수산물")).await, [s.crab]);
    assert_eq!(
        set(u.ids(SearchQuery::text("2KG")).await),
        set([s.kimchi, s.crab])
    );
    let none = u.search(SearchQuery::text("없는상품")).await;
    assert!(none.hits.is_empty() && none.total == 0 && none.next_cursor.is_none());
}

pub async fn filters(u: &Under) {
    let s = &u.env.shop;
    let sub = u
        .ids(filtered(Filters {
            category: Some(s.food),
            ..Filters::default()
        }))
        .await;
    assert_eq!(
        set(sub),
        set([s.kimchi, s.crab, s.ginseng, s.rice]),
        "subtree"
    );
    let leaf = u
        .ids(filtered(Filters {
            category: Some(s.kimchi_category),
            ..Filters::default()
        }))
        .await;
    assert_eq!(leaf, [s.kimchi]);
    let by_vendor = u
        .ids(filtered(Filters {
            vendor: Some(s.insam),
            ..Filters::default()
        }))
        .await;
    assert_eq!(set(by_vendor), set([s.ginseng, s.rice]));
    let certified = u
        .ids(filtered(Filters {
            certified: Some(true),
            ..Filters::default()
        }))
        .await;
    assert_eq!(set(certified), set([s.kimchi, s.basket]));
    let uncertified = u
        .ids(filtered(Filters {
            certified: Some(false),
            ..Filters::default()
        }))
        .await;
    assert_eq!(set(uncertified), set([s.crab, s.ginseng, s.rice]));
    let priced = u
        .ids(filtered(Filters {
            min_price: Some(Won(25_000)),
            max_price: Some(Won(45_000)),
            ..Filters::default()
        }))
        .await;
    assert_eq!(
        set(priced),
        set([s.kimchi, s.ginseng, s.crab]),
        "bounds are inclusive"
    );
    let stocked = u
        .ids(filtered(Filters {
            in_stock: Some(true),
            ..Filters::default()
        }))
        .await;
    assert_eq!(set(stocked), set([s.kimchi, s.crab, s.rice, s.basket]));
    // Text and filters together.
    let r = u
        .ids(SearchQuery {
            text: Some("강화".into()),
            filters: Filters {
                in_stock: Some(true),
                ..Filters::default()
            },
            ..SearchQuery::default()
        })
        .await;
    assert_eq!(set(r), set([s.kimchi, s.rice]));
    // Campaigns: none yet from the catalog, so put one on a document by hand.
    let campaign = Uuid::now_v7();
    let mut crab = u.doc(s.crab).await;
    crab.campaign_ids = vec![campaign];
    u.backend.upsert(&[crab]).await.expect("upsert");
    let in_campaign = u
        .ids(filtered(Filters {
            campaign: Some(campaign),
            ..Filters::default()
        }))
        .await;
    assert_eq!(in_campaign, [s.crab]);
}

pub async fn facets(u: &Under) {
    let s = &u.env.shop;
    let r = u
        .search(SearchQuery {
            facets: Facet::ALL.to_vec(),
            ..SearchQuery::default()
        })
        .await;
    assert_eq!(r.total, 5);
    let f = &r.facets;
    assert_eq!(count(&f.categories, s.food), 4, "{f:#?}");
    assert_eq!(count(&f.categories, s.kimchi_category), 1);
    assert_eq!(count(&f.categories, s.seafood), 1);
    assert_eq!(count(&f.categories, s.crafts), 1);
    assert_eq!(
        f.categories[0].value,
        s.food.to_string(),
        "most frequent first"
    );
    assert_eq!(count(&f.vendors, s.sunmu), 2);
    assert_eq!(count(&f.vendors, s.insam), 2);
    assert_eq!(count(&f.vendors, s.sea), 1);
    let sunmu = f.vendors.iter().find(|v| v.value == s.sunmu.to_string());
    assert_eq!(
        sunmu.and_then(|v| v.label.clone()).as_deref(),
        Some("강화순무농원")
    );
    assert_eq!(
        f.certifications.len(),
        1,
        "the expired HACCP does not count"
    );
    assert_eq!(count(&f.certifications, CERT_KIND), 2);
    assert_eq!(f.certified, 2);
    let prices: Vec<(String, u64)> = f
        .prices
        .iter()
        .map(|p| (p.value.clone(), p.count))
        .collect();
    assert_eq!(
        prices,
        [
            ("under_10000".to_owned(), 1),
            ("10000_30000".to_owned(), 1),
            ("30000_50000".to_owned(), 2),
            ("50000_plus".to_owned(), 1)
        ]
    );
    // Facets count the filtered set; facets not asked for stay empty.
    let r = u
        .search(SearchQuery {
            text: Some("강화".into()),
            facets: vec![Facet::Vendor, Facet::Price],
            ..SearchQuery::default()
        })
        .await;
    assert_eq!(r.total, 3);
    assert_eq!(count(&r.facets.vendors, s.insam), 2);
    assert_eq!(count(&r.facets.vendors, s.sunmu), 1);
    assert!(r.facets.categories.is_empty() && r.facets.certifications.is_empty());
    assert_eq!(r.facets.prices.iter().map(|p| p.count).sum::<u64>(), 3);
}

pub async fn sorts(u: &Under) {
    let s = &u.env.shop;
    let sorted = |sort| SearchQuery {
        sort,
        ..SearchQuery::default()
    };
    assert_eq!(
        u.ids(sorted(Sort::PriceAsc)).await,
        [s.basket, s.kimchi, s.ginseng, s.crab, s.rice]
    );
    assert_eq!(
        u.ids(sorted(Sort::PriceDesc)).await,
        [s.rice, s.crab, s.ginseng, s.kimchi, s.basket]
    );
    assert_eq!(
        u.ids(sorted(Sort::Popular)).await,
        [s.crab, s.rice, s.kimchi, s.ginseng, s.basket]
    );
    assert_eq!(
        u.ids(sorted(Sort::Newest)).await,
        [s.basket, s.rice, s.ginseng, s.crab, s.kimchi]
    );
    // Relevance without words: the most popular first.
    assert_eq!(u.ids(sorted(Sort::Relevance)).await[0], s.crab);
    // A sort applies to a text search too.
    let r = u
        .ids(SearchQuery {
            text: Some("강화".into()),
            sort: Sort::PriceAsc,
            ..SearchQuery::default()
        })
        .await;
    assert_eq!(r, [s.kimchi, s.ginseng, s.rice]);
    let hit = &u.search(sorted(Sort::PriceAsc)).await.hits[0];
    assert_eq!(hit.price, Won(8_000));
    assert_eq!(hit.vendor.trade_name, "강화순무농원");
    assert_eq!(hit.category_id, s.crafts);
    assert!(hit.certified && hit.in_stock);
    assert!(hit.published_at.is_some() && hit.image.is_some());
}

pub async fn pagination(u: &Under) {
    let s = &u.env.shop;
    let mut q = SearchQuery {
        sort: Sort::PriceAsc,
        limit: 2,
        ..SearchQuery::default()
    };
    let mut pages = Vec::new();
    loop {
        let r = u.search(q.clone()).await;
        assert_eq!(r.total, 5);
        pages.push(ids(&r));
        match r.next_cursor {
            Some(c) => q = q.with_cursor(&c).expect("our own cursor"),
            None => break,
        }
    }
    assert_eq!(
        pages,
        [
            vec![s.basket, s.kimchi],
            vec![s.ginseng, s.crab],
            vec![s.rice]
        ]
    );
    assert!(matches!(
        SearchQuery::default().with_cursor("not a cursor"),
        Err(search::SearchError::InvalidCursor)
    ));
}

pub async fn suggest(u: &Under) {
    let s = &u.env.shop;
    let got = u.backend.suggest("강화", 10).await.expect("suggest");
    assert_eq!(
        set(got.iter().map(|g| g.id)),
        set([s.kimchi, s.ginseng, s.rice]),
        "{got:#?}"
    );
    assert!(
        got.iter().all(|g| g.highlighted.contains("<em>강화</em>")),
        "{got:#?}"
    );
    let one = u.backend.suggest("강화", 1).await.expect("suggest");
    assert_eq!(one.len(), 1);
    let infix = u.backend.suggest("김치", 10).await.expect("suggest");
    assert_eq!(
        infix.iter().map(|g| g.title.as_str()).collect::<Vec<_>>(),
        [KIMCHI]
    );
    let ginseng = u.backend.suggest("강화인삼", 10).await.expect("suggest");
    assert_eq!(ginseng.first().map(|g| g.title.as_str()), Some(GINSENG));
    assert!(
        u.backend
            .suggest("  ", 10)
            .await
            .expect("suggest")
            .is_empty()
    );
}

pub async fn delete_and_update(u: &Under) {
    let s = &u.env.shop;
    // Asked before each write too, so that an answer kept from before it would show.
    assert_eq!(u.ids(SearchQuery::text("김치")).await, [s.kimchi, s.basket]);
    assert_eq!(u.search(SearchQuery::text("특대")).await.total, 0);
    u.backend.delete(&[s.kimchi]).await.expect("delete");
    assert_eq!(u.ids(SearchQuery::text("김치")).await, [s.basket]);
    // Deleting what is not there is fine.
    u.backend
        .delete(&[s.kimchi, Uuid::now_v7()])
        .await
        .expect("delete again");
    let mut crab = u.doc(s.crab).await;
    crab.title = "옹진 꽃게 3kg 특대".into();
    u.backend.upsert(&[crab.clone()]).await.expect("upsert");
    u.backend
        .upsert(&[crab.clone(), crab])
        .await
        .expect("upsert twice");
    let r = u.search(SearchQuery::text("특대")).await;
    assert_eq!(ids(&r), [s.crab]);
    assert_eq!(r.hits[0].title, "옹진 꽃게 3kg 특대");
    let all = u.search(SearchQuery::default()).await;
    assert_eq!(all.total, 4);
}

pub async fn visibility_follows_the_catalog(u: &Under) {
    let s = &u.env.shop;
    let db = &u.env.state.db;
    let loaded = documents::load(db, &[s.kimchi, s.draft, s.archived, Uuid::now_v7()])
        .await
        .expect("load");
    assert!(loaded[0].1.is_some());
    assert!(loaded[1..].iter().all(|(_, d)| d.is_none()));
    let kimchi = loaded[0].1.clone().expect("kimchi");
    assert_eq!(kimchi.category_ids, [s.food, s.kimchi_category]);
    assert_eq!(kimchi.price, Won(25_000));
    assert_eq!(kimchi.description, "강화 순무로 담근 섞박지");
    assert_eq!(kimchi.certification_kinds, [CERT_KIND]);
    assert!(kimchi.certified && kimchi.in_stock);
    let mut batches = Vec::new();
    let n = documents::load_all_batched(db, 2, |docs| {
        batches.push(docs.len());
        async { Ok(()) }
    })
    .await
    .expect("load all");
    assert_eq!((n, batches), (5, vec![2, 2, 1]));

    // A suspended vendor's products leave the index once synced.
    let txn = db.begin().await.expect("begin");
    catalog::vendors::suspend(&txn, s.insam, "테스트".into())
        .await
        .expect("suspend");
    txn.commit().await.expect("commit");
    let (written, deleted) = sync_products(db, u.backend.as_ref(), &[s.ginseng, s.rice, s.crab])
        .await
        .expect("sync");
    assert_eq!((written, deleted), (1, 2));
    // Pages that hold only the suspended vendor's products are skipped, not ended on.
    let mut batches = Vec::new();
    let n = documents::load_all_batched(db, 1, |docs| {
        batches.push(docs.len());
        async { Ok(()) }
    })
    .await
    .expect("load all");
    assert_eq!((n, batches), (3, vec![1, 1, 1]));
    assert_eq!(u.ids(SearchQuery::text("강화")).await, [s.kimchi]);
}

pub async fn rebuild_replaces_everything(u: &Under) {
    let s = &u.env.shop;
    let mut stray = u.doc(s.crab).await;
    stray.id = Uuid::now_v7();
    stray.title = "사라질 상품".into();
    u.backend.upsert(&[stray]).await.expect("upsert");
    assert_eq!(u.search(SearchQuery::text("사라질")).await.total, 1);
    let another = support::vendor(&u.env.state, "새로운상회").await;
    let fresh = support::product(
        &u.env.state,
        support::NewItem {
            vendor: another,
            category: s.crafts,
            title: "강화 화문석",
            variants: &[(99_000, 1)],
            ..support::NewItem::default()
        },
        true,
    )
    .await;
    let n = search::reindex(&u.env.state, u.backend.as_ref(), false)
        .await
        .expect("reindex");
    assert_eq!(n, 6);
    assert_eq!(u.search(SearchQuery::text("사라질")).await.total, 0);
    assert_eq!(u.ids(SearchQuery::text("화문석")).await, [fresh]);
    assert_eq!(u.search(SearchQuery::default()).await.total, 6);
}

/// Many different shapes of query, one after another on one backend (one connection
/// pool): one word, several words, long and short words, filters, every sort, facets on
/// and off, pages, suggestions. A statement whose parameters differ from what an earlier
/// statement with the same text prepared answered 500 here.
pub async fn query_shapes(u: &Under) {
    let s = &u.env.shop;
    let texts = [
        None,
        Some("김치"),
        Some("강화 순무"),
        Some("김치"),
        Some("강화 순무김치 2kg"),
        Some("꿀"),
        Some("강화인삼정과 선물 6년근"),
        Some("꽃게 2kg"),
        Some("없는상품 강화"),
    ];
    let filters = [
        Filters::default(),
        Filters {
            category: Some(s.food),
            ..Filters::default()
        },
        Filters {
            vendor: Some(s.sunmu),
            certified: Some(true),
            ..Filters::default()
        },
        Filters {
            min_price: Some(Won(10_000)),
            max_price: Some(Won(50_000)),
            in_stock: Some(true),
            ..Filters::default()
        },
    ];
    let sorts = Sort::ALL;
    let facet_sets = [Vec::new(), Facet::ALL.to_vec(), vec![Facet::Vendor]];
    let mut asked = 0;
    // Twice round, so that every connection of the pool sees shapes another prepared.
    for round in 0..2 {
        for (k, facets) in facet_sets.iter().enumerate() {
            for (j, f) in filters.iter().enumerate() {
                for (i, text) in texts.iter().enumerate() {
                    let q = SearchQuery {
                        text: text.map(str::to_owned),
                        filters: f.clone(),
                        sort: sorts[(i + j + k + round) % sorts.len()],
                        facets: facets.clone(),
                        limit: 1 + (i + j) % 3,
                        ..SearchQuery::default()
                    };
                    let first = u
                        .backend
                        .search(&q)
                        .await
                        .unwrap_or_else(|e| panic!("{q:?}: {e}"));
                    asked += 1;
                    if let Some(cursor) = &first.next_cursor {
                        let next = q.clone().with_cursor(cursor).expect("our own cursor");
                        u.backend
                            .search(&next)
                            .await
                            .unwrap_or_else(|e| panic!("{next:?}: {e}"));
                        asked += 1;
                    }
                }
            }
        }
        for (i, text) in texts.iter().flatten().enumerate() {
            u.backend
                .suggest(text, 1 + i % 5)
                .await
                .unwrap_or_else(|e| panic!("suggest {text}: {e}"));
            asked += 1;
        }
    }
    assert!(asked > 200, "{asked}");
    // And the answers are still right afterwards.
    assert_eq!(u.ids(SearchQuery::text("강화 순무")).await, [s.kimchi]);
    assert_eq!(u.ids(SearchQuery::text("김치")).await, [s.kimchi, s.basket]);
}

/// One module of test cases per backend kind.
macro_rules! suite {
    ($module:ident, $kind:ident, $($case:ident),*) => {
        mod $module {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(u) = super::Under::setup(super::Kind::$kind).await else { return };
                    super::$case(&u).await;
                }
            )*
        }
    };
}

macro_rules! behaviour {
    ($($case:ident),* $(,)?) => {
        suite!(postgres, Postgres, $($case),*);
        suite!(memory, Memory, $($case),*);
        suite!(cached_postgres, CachedPostgres, $($case),*);
        suite!(meilisearch, Meilisearch, $($case),*);
    };
}

behaviour!(
    korean_substrings,
    filters,
    facets,
    sorts,
    pagination,
    suggest,
    delete_and_update,
    visibility_follows_the_catalog,
    rebuild_replaces_everything,
    query_shapes,
);
