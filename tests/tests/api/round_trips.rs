//! How many statements an uncached storefront read sends to Postgres: on a read nothing
//! caches (a product page nobody opened lately, a new filter) each round trip is most of
//! its cost (issue 18). Counted with sea-orm's metric callback on a connection of its own.

use chrono::Utc;
use jikgu_tests::{TestApp, spawn_app};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The app's pool, counting every statement sent through this handle.
fn counting(app: &TestApp) -> (DatabaseConnection, Arc<AtomicUsize>) {
    let mut db = app.state.db.clone();
    let n = Arc::new(AtomicUsize::new(0));
    let seen = n.clone();
    db.set_metric_callback(move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    (db, n)
}

#[tokio::test]
async fn an_uncached_product_page_reads_the_catalog_in_two_statements() {
    let app = spawn_app().await;
    let root = app.category("food", None, &[]).await;
    let cat = app.category("kimchi", Some(root), &[]).await;
    let v = app.vendor("강화순무농장").await;
    let pid = app
        .product(
            &v,
            cat,
            "강화순무김치",
            &["김치"],
            &[("K1", 15900, 10), ("K2", 29000, 0)],
        )
        .await;
    let (db, n) = counting(&app);

    let page = catalog::storefront::detail(&db, pid)
        .await
        .expect("detail")
        .expect("visible");
    assert_eq!(
        n.load(Ordering::SeqCst),
        2,
        "statements for the catalog part: the page, and its uploaded photos"
    );
    assert_eq!(page.title, "강화순무김치");
    let slugs: Vec<&str> = page.categories.iter().map(|c| c.slug.as_str()).collect();
    assert_eq!(slugs, ["food", "kimchi"], "root first");
    assert_eq!(page.variants.len(), 2);
    assert_eq!(page.variants[0].sku, "K1");
    assert!(page.variants[0].in_stock);
    assert!(!page.variants[1].in_stock);
    assert_eq!(page.vendor.id, v.id);

    // With the live prices of a shop whose campaigns do not concern it: one statement
    // for the catalog, the rest for promotions (its campaigns and time deals).
    n.store(0, Ordering::SeqCst);
    let priced = catalog::storefront::priced_detail(
        &db,
        &promotions::storefront_prices::PromotionsLivePrices,
        pid,
        Utc::now(),
    )
    .await
    .expect("priced detail");
    assert!(priced.is_some());
    let statements = n.load(Ordering::SeqCst);
    assert!(
        statements <= 3,
        "{statements} statements for an uncached product page"
    );

    // A product nobody may see costs the same one statement and shows nothing.
    n.store(0, Ordering::SeqCst);
    let missing = catalog::storefront::detail(&db, uuid::Uuid::now_v7())
        .await
        .expect("detail");
    assert!(missing.is_none());
    assert_eq!(n.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_filtered_list_page_is_one_statement() {
    let app = spawn_app().await;
    let root = app.category("food", None, &[]).await;
    let cat = app.category("kimchi", Some(root), &[]).await;
    let v = app.vendor("강화순무농장").await;
    for i in 0..3 {
        let sku = format!("K{i}");
        app.product(
            &v,
            cat,
            &format!("김치 {i}"),
            &[],
            &[(&sku, 10000 + i * 1000, 5)],
        )
        .await;
    }
    let (db, n) = counting(&app);
    let q = catalog::storefront::ListQuery {
        category: Some(root),
        min_price: Some(10500),
        max_price: Some(20000),
        sort: Some(catalog::storefront::Sort::PriceAsc),
        limit: None, // the default page of 20
        ..Default::default()
    };
    let page = catalog::storefront::list(&db, &q).await.expect("list");
    assert_eq!(n.load(Ordering::SeqCst), 1);
    let titles: Vec<&str> = page.items.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(titles, ["김치 1", "김치 2"]);
}
