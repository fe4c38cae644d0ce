//! Time a full rebuild of the Postgres search index and a few typical searches against
//! the database at `DATABASE_URL` (e.g. one filled by `jikgu generate --products 100000`):
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/jikgu_search_scratch \
//!     cargo run --release -p search --example reindex
//! ```
//!
//! With `SYNTHETIC=100000` it writes that many made-up documents straight into
//! the search tables instead (titles such as "강화 순무김치 1kg 12345", as `jikgu
//! generate` makes them), for a database that has no catalog to rebuild from: a scratch
//! copy of the migrated test template will do. Searches go through one pool, as the
//! server's do (prepared statements, so every query shape shares connections).

use platform::AppState;
use platform::config::Config;
use platform::kv::Redis;
use platform::money::Won;
use search::{Document, Facet, PostgresBackend, SearchBackend, SearchQuery, Sort};
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
    let n = match std::env::var("SYNTHETIC").ok().and_then(|n| n.parse().ok()) {
        Some(n) => synthetic(&backend, n).await?,
        None => search::reindex(&state, &backend, true).await?,
    };
    let took = started.elapsed();
    println!(
        "reindexed {n} products in {:.1}s ({:.0} products/s)",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );
    sea_orm::ConnectionTrait::execute_unprepared(
        &state.db,
        "ANALYZE search.documents, search.entries",
    )
    .await?;

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

/// `n` made-up documents: each of 20 goods in about `n / 20` titles, 20 vendors, 10
/// categories, prices and popularity spread by a fixed formula.
async fn synthetic(backend: &PostgresBackend, n: u64) -> anyhow::Result<u64> {
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
    let mut written = 0;
    let mut batch = Vec::new();
    for i in 0..n {
        let k = i as usize;
        let category = categories[k % categories.len()];
        batch.push(Document {
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
        });
        if batch.len() == 1_000 {
            written += batch.len() as u64;
            backend.upsert(&std::mem::take(&mut batch)).await?;
        }
    }
    written += batch.len() as u64;
    backend.upsert(&batch).await?;
    Ok(written)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
