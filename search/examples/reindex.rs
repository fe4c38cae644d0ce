//! Time a full rebuild of the Postgres search index and a few typical searches against
//! the database at `DATABASE_URL` (e.g. one filled by `jikgu generate --products 100000`):
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/jikgu_search_scratch \
//!     cargo run --release -p search --example reindex
//! ```

use platform::AppState;
use platform::config::Config;
use platform::kv::Redis;
use search::{Facet, PostgresBackend, SearchBackend, SearchQuery, Sort};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Arc::new(Config::from_env()?);
    let db = platform::db::connect(&config).await?;
    let redis = Redis::connect(&config).await?;
    let state = AppState::new(config, db.clone(), redis);
    let backend = PostgresBackend::new(db);

    let started = Instant::now();
    let n = search::reindex(&state, &backend, true).await?;
    let took = started.elapsed();
    println!(
        "reindexed {n} products in {:.1}s ({:.0} products/s)",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );
    sea_orm::ConnectionTrait::execute_unprepared(&state.db, "ANALYZE search.documents").await?;

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
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
