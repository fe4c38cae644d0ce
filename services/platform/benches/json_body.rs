//! What writing a storefront list page costs the server, piece by piece, each beside the
//! way it was done before `platform::timestamps` and the XXH3 `ETag`: a page of 20 products
//! (Korean titles, an image address, a vendor, a publication instant with microseconds).
//!
//! `cargo bench -p platform --bench json_body` (add `-- --quick` for a short run).

use std::hash::{Hash, Hasher};
use std::hint::black_box;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use serde::Serialize;
use uuid::Uuid;

/// A list item's shape, as `catalog::storefront::ProductSummary` serialises it.
#[derive(Serialize)]
struct Item<const FAST: bool> {
    id: Uuid,
    title: String,
    image: Option<String>,
    price: i64,
    sale_price: Option<i64>,
    discount_percent: Option<u32>,
    promotion: Option<()>,
    vendor: Vendor,
    category_id: Uuid,
    certified: bool,
    in_stock: bool,
    #[serde(serialize_with = "published::<FAST, _>")]
    published_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
struct Vendor {
    id: Uuid,
    trade_name: String,
}

#[derive(Serialize)]
struct Page<const FAST: bool> {
    items: Vec<Item<FAST>>,
    next_cursor: Option<String>,
}

fn published<const FAST: bool, S: serde::Serializer>(
    at: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    if FAST {
        platform::timestamps::serialize_option(at, s)
    } else {
        at.serialize(s)
    }
}

fn page<const FAST: bool>() -> Page<FAST> {
    let items = (0..20u128)
        .map(|n| Item {
            id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n),
            title: format!("강화 순무 김치 {n}kg 산지직송 국내산"),
            image: Some(format!(
                "https://img.jikgu.kr/products/{:032x}/main.webp",
                n
            )),
            price: 12_900 + n as i64 * 100,
            sale_price: None,
            discount_percent: None,
            promotion: None,
            vendor: Vendor {
                id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0001_0000 | (n % 5)),
                trade_name: "인천 남동 농업회사법인".into(),
            },
            category_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0002_0000),
            certified: n % 3 == 0,
            in_stock: true,
            published_at: DateTime::from_timestamp(1_795_316_400 + n as i64 * 3_607, 123_456_000),
        })
        .collect();
    Page {
        items,
        next_cursor: Some("eyJuIjoxMjkwMCwiaWQiOiIwMTkwIn0".into()),
    }
}

/// `etag_of` as it was: SipHash (std's `DefaultHasher`).
fn sip_etag(body: &[u8]) -> axum::http::HeaderValue {
    let mut h = std::hash::DefaultHasher::new();
    body.hash(&mut h);
    let tag = format!("W/\"{:016x}{:04x}\"", h.finish(), body.len() & 0xffff);
    axum::http::HeaderValue::from_str(&tag).expect("an ASCII tag")
}

fn bench(c: &mut Criterion) {
    let before = page::<false>();
    let after = page::<true>();
    let body = serde_json::to_vec(&after).expect("a page serialises");
    assert_eq!(
        body,
        serde_json::to_vec(&before).expect("a page serialises")
    );

    let mut g = c.benchmark_group("list page of 20");
    g.bench_function("body before (to_vec, chrono's instants)", |b| {
        b.iter(|| serde_json::to_vec(black_box(&before)).expect("serialises"))
    });
    g.bench_function("body now (sized buffer, timestamps)", |b| {
        b.iter(|| {
            let page = black_box(&after);
            // The capacity the list handler gives.
            platform::local_cache::json_body(page, 512 * (page.items.len() + 1))
                .expect("serialises")
        })
    });
    g.bench_function("etag before (SipHash)", |b| {
        b.iter(|| sip_etag(black_box(&body)))
    });
    g.bench_function("etag now (etag_of)", |b| {
        b.iter(|| platform::local_cache::etag_of(black_box(&body)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
