//! Time a full rebuild of the search index and a few typical searches, on the backend
//! the environment picks (Meilisearch when `MEILISEARCH_URL` is set, else Postgres at
//! `DATABASE_URL`, e.g. one filled by `jikgu generate --products 100000`), without the
//! result cache:
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/jikgu_search_scratch \
//!     cargo run --release -p search --example reindex
//! ```
//!
//! With `SYNTHETIC=100000` it writes that many made-up documents instead (upserted on
//! Postgres, whose rebuild would sweep what the catalog does not list; a rebuild
//! elsewhere) (titles such as "강화 순무김치 1kg 12345", as `jikgu generate` makes them),
//! for a database that has no catalog to rebuild from: a scratch copy of the migrated
//! test template will do. `SYNTHETIC=0` keeps the index as it is. Searches go through
//! one pool, as the server's do (prepared statements, so every query shape shares
//! connections).
//!
//! With `CONNECTIONS=16` (and `SECONDS`, default 20) it then runs that many searchers at
//! once for that long, each asking for a word drawn from [`LOAD_WORDS`] with all facets
//! and 20 hits, and prints requests per second and the p50/p95/p99 latencies.

use futures::StreamExt;
use platform::AppState;
use platform::config::{Config, ProcessEnv};
use platform::kv::Redis;
use platform::money::Won;
use search::{Document, Facet, SearchBackend, SearchQuery, Sort};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Words that each match some of the synthetic titles, one to four syllables.
const LOAD_WORDS: [&str; 20] = [
    "김치",
    "꽃게",
    "인삼",
    "새우젓",
    "강화",
    "옹진",
    "순무김치",
    "인삼정과",
    "섬쌀",
    "고구마",
    "꿀",
    "액젓",
    "밴댕이",
    "바구니",
    "선물",
    "오징어",
    "화문석",
    "백미",
    "젓갈",
    "물김치",
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Arc::new(Config::from_env()?);
    let db = platform::db::connect(&config).await?;
    let redis = Redis::connect(&config).await?;
    let state = AppState::new(config, db.clone(), redis);
    // Never the result cache: every search below reaches the backend.
    let backend = search::from_source(&db, &ProcessEnv).await?;
    println!("backend: {}", backend.name());

    let synthetic_n = std::env::var("SYNTHETIC").ok().and_then(|n| n.parse().ok());
    if synthetic_n != Some(0) {
        let started = Instant::now();
        let n = match synthetic_n {
            // Postgres' rebuild sweeps what the catalog does not list (all of the made-up
            // documents), so there they are upserted, batch after batch, into the index
            // as it is; other backends build a new index and swap it in.
            Some(n) if backend.name().starts_with("postgres") => {
                let mut batches = synthetic(n);
                let mut written = 0;
                while let Some(batch) = batches.next().await {
                    let batch = batch?;
                    backend.upsert(&batch).await?;
                    written += batch.len() as u64;
                }
                written
            }
            Some(n) => backend.rebuild(synthetic(n)).await?,
            None => search::reindex(&state, backend.as_ref(), true).await?,
        };
        let took = started.elapsed();
        println!(
            "reindexed {n} products in {:.1}s ({:.0} products/s)",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64()
        );
    }
    if backend.name().starts_with("postgres") {
        sea_orm::ConnectionTrait::execute_unprepared(
            &state.db,
            "ANALYZE search.documents, search.entries",
        )
        .await?;
    }
    let shared = backend.clone();
    let backend = backend.as_ref();

    let all = Facet::ALL.to_vec();
    let cases: Vec<(&str, SearchQuery)> = vec![
        (
            "q=김치 (2 syllables), facets",
            SearchQuery {
                facets: all.clone(),
                ..SearchQuery::text("김치")
            },
        ),
        ("q=꽃게, no facets", SearchQuery::text("꽃게")),
        (
            "q=꿀 (1 syllable), facets",
            SearchQuery {
                facets: all.clone(),
                ..SearchQuery::text("꿀")
            },
        ),
        (
            "q=강화 인삼정과, facets",
            SearchQuery {
                facets: all.clone(),
                ..SearchQuery::text("강화 인삼정과")
            },
        ),
        (
            "q=순무김치 (4), sort=price_asc",
            SearchQuery {
                sort: Sort::PriceAsc,
                ..SearchQuery::text("순무김치")
            },
        ),
        (
            "no q, facets (whole catalog)",
            SearchQuery {
                facets: all.clone(),
                ..SearchQuery::default()
            },
        ),
        (
            "no q, sort=newest, no facets",
            SearchQuery {
                sort: Sort::Newest,
                ..SearchQuery::default()
            },
        ),
        ("q=없는상품", SearchQuery::text("없는상품")),
    ];
    for (name, q) in cases {
        // Warm once, then take the median of 7 runs.
        let first = backend.search(&q).await?;
        let mut times = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            backend.search(&q).await?;
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "{name:<36} total {:>6}  median {:>7.1} ms",
            first.total,
            ms(times[times.len() / 2])
        );
    }
    for prefix in ["강", "강화", "인삼정", "꽃게 2"] {
        let mut times = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            backend.suggest(prefix, 10).await?;
            times.push(t.elapsed());
        }
        times.sort();
        println!("suggest {prefix:<28} median {:>7.1} ms", ms(times[3]));
    }
    let env_num = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    if let Some(connections) = env_num("CONNECTIONS") {
        let seconds = env_num("SECONDS").unwrap_or(20);
        load(shared, usize::try_from(connections)?, seconds).await;
    }
    Ok(())
}

/// `n` made-up documents in batches of 1,000, made as they are asked for: each of 20
/// goods in about `n / 20` titles, 20 vendors, 10 categories, prices and popularity
/// spread by a fixed formula.
fn synthetic(n: u64) -> search::DocumentStream<'static> {
    const PLACES: [&str; 5] = ["강화", "옹진", "인천", "영종", "교동"];
    const GOODS: [&str; 20] = [
        "순무김치",
        "꽃게",
        "인삼정과",
        "섬쌀",
        "꿀",
        "물김치",
        "건오징어",
        "액젓",
        "육젓",
        "새우젓",
        "고구마",
        "밴댕이",
        "화문석",
        "바구니",
        "순무",
        "포기김치",
        "선물세트",
        "감칠맛양념",
        "백미",
        "젓갈",
    ];
    let vendors: Vec<uuid::Uuid> = (0..20).map(|_| uuid::Uuid::now_v7()).collect();
    let categories: Vec<uuid::Uuid> = (0..10).map(|_| uuid::Uuid::now_v7()).collect();
    let now = chrono::Utc::now();
    let doc = move |i: u64| {
        let k = i as usize;
        let category = categories[k % categories.len()];
        Document {
            id: uuid::Uuid::now_v7(),
            title: format!(
                "{} {} {}kg {i}",
                PLACES[k % PLACES.len()],
                GOODS[(k / 7) % GOODS.len()],
                1 + k % 5
            ),
            description: format!(
                "{}에서 온 {}. 선물용으로 좋은 {} 상품입니다.",
                PLACES[(k / 3) % PLACES.len()],
                GOODS[(k / 7) % GOODS.len()],
                GOODS[(k / 11) % GOODS.len()]
            ),
            vendor_id: vendors[k % vendors.len()],
            vendor_name: format!("상회{}", k % vendors.len()),
            category_id: category,
            category_ids: vec![categories[0], category],
            tags: vec![PLACES[k % PLACES.len()].to_owned()],
            certified: k.is_multiple_of(3),
            certification_kinds: Vec::new(),
            campaign_ids: Vec::new(),
            price: Won(3_000 + ((k * 7_919) % 120) as i64 * 1_000),
            in_stock: !k.is_multiple_of(10),
            popularity: ((k * 31) % 1_000) as i64,
            published_at: Some(now - chrono::Duration::minutes((k % 100_000) as i64)),
            image: None,
        }
    };
    futures::stream::iter((0..n).step_by(1_000))
        .map(move |start| Ok((start..(start + 1_000).min(n)).map(&doc).collect()))
        .boxed()
}

/// `connections` searchers asking at once for `seconds`; prints the rate and latencies.
async fn load(backend: Arc<dyn SearchBackend>, connections: usize, seconds: u64) {
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let searchers: Vec<_> = (0..connections)
        .map(|c| {
            let backend = backend.clone();
            tokio::spawn(async move {
                let (mut times, mut errors) = (Vec::new(), 0u64);
                // A fixed walk through the words, different per searcher.
                let mut i = c * 7;
                while Instant::now() < until {
                    let q = SearchQuery {
                        facets: Facet::ALL.to_vec(),
                        limit: 20,
                        ..SearchQuery::text(LOAD_WORDS[i % LOAD_WORDS.len()])
                    };
                    i += 13;
                    let t = Instant::now();
                    match backend.search(&q).await {
                        Ok(_) => times.push(t.elapsed()),
                        Err(_) => errors += 1,
                    }
                }
                (times, errors)
            })
        })
        .collect();
    let (mut times, mut errors) = (Vec::new(), 0);
    for s in searchers {
        if let Ok((t, e)) = s.await {
            times.extend(t);
            errors += e;
        }
    }
    let took = started.elapsed();
    times.sort();
    let at =
        |p: f64| times.get(((times.len() as f64 * p) as usize).min(times.len().saturating_sub(1)));
    println!(
        "load: {connections} searchers, {:.1}s: {} searches ({errors} errors), {:.1}/s, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        took.as_secs_f64(),
        times.len(),
        times.len() as f64 / took.as_secs_f64(),
        at(0.50).map_or(0.0, |d| ms(*d)),
        at(0.95).map_or(0.0, |d| ms(*d)),
        at(0.99).map_or(0.0, |d| ms(*d)),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
