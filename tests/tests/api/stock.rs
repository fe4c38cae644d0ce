//! Stock is the one counter that must never go wrong.

use catalog::stock::{self, StockLine};
use futures::future::join_all;
use jikgu_tests::spawn_app;
use platform::quantity::Quantity;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

/// The product's variants, in the order its page shows them.
pub(crate) async fn variants_of(app: &jikgu_tests::TestApp, pid: uuid::Uuid) -> Vec<uuid::Uuid> {
    let page = app.client.get(&format!("/v1/products/{pid}")).await;
    page.json["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .map(|v| v["id"].as_str().expect("id").parse().expect("uuid"))
        .collect()
}

/// 200 concurrent reservations of one unit against 20 in stock: exactly 20 succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reservations_never_oversell() {
    let app = spawn_app().await;
    let cat = app.category("crab", None, &[]).await;
    let v = app.vendor("옹진수산").await;
    let pid = app
        .product(&v, cat, "옹진 꽃게 한정판", &[], &[("LIMITED", 50000, 20)])
        .await;
    let vid = variants_of(&app, pid).await[0];

    let results = join_all((0..200).map(|_| {
        let db = app.state.db.clone();
        tokio::spawn(async move {
            let txn = db.begin().await?;
            match stock::reserve(
                &txn,
                &[StockLine {
                    variant_id: vid,
                    quantity: Quantity::ONE,
                }],
            )
            .await
            {
                Ok(()) => {
                    txn.commit().await?;
                    Ok::<bool, sea_orm::DbErr>(true)
                }
                Err(catalog::error::CatalogError::InsufficientStock { .. }) => Ok(false),
                Err(e) => panic!("unexpected {e}"),
            }
        })
    }))
    .await;
    let won = results
        .into_iter()
        .map(|r| r.expect("task").expect("db"))
        .filter(|ok| *ok)
        .count();
    assert_eq!(won, 20);
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT on_hand, reserved FROM catalog.variants WHERE id = $1",
            [vid.into()],
        ))
        .await
        .expect("query")
        .expect("row");
    let on_hand: i32 = row.try_get("", "on_hand").expect("on_hand");
    let reserved: i32 = row.try_get("", "reserved").expect("reserved");
    assert_eq!((on_hand, reserved), (20, 20));
}

#[tokio::test]
async fn reserve_commit_and_release_move_units_correctly() {
    let app = spawn_app().await;
    let cat = app.category("rice", None, &[]).await;
    let v = app.vendor("강화섬쌀").await;
    let pid = app
        .product(&v, cat, "강화섬쌀", &[], &[("R", 39000, 5)])
        .await;
    let vid = variants_of(&app, pid).await[0];
    let line = |q| {
        [StockLine {
            variant_id: vid,
            quantity: Quantity::new(q).expect("a quantity"),
        }]
    };

    let txn = app.state.db.begin().await.expect("begin");
    stock::reserve(&txn, &line(3)).await.expect("reserve 3");
    // Two lines of one variant count together.
    let err = stock::reserve(&txn, &[line(1)[0], line(2)[0]])
        .await
        .expect_err("only 2 left");
    assert!(matches!(
        err,
        catalog::error::CatalogError::InsufficientStock { available: 2, .. }
    ));
    txn.rollback().await.expect("rollback");

    let txn = app.state.db.begin().await.expect("begin");
    stock::reserve(&txn, &line(3)).await.expect("reserve");
    stock::commit(&txn, &line(2)).await.expect("commit 2");
    stock::release(&txn, &line(1)).await.expect("release 1");
    assert!(
        stock::release(&txn, &line(1)).await.is_err(),
        "nothing left to release"
    );
    txn.rollback().await.expect("rollback");

    let txn = app.state.db.begin().await.expect("begin");
    stock::reserve(&txn, &line(3)).await.expect("reserve");
    stock::commit(&txn, &line(2)).await.expect("commit 2");
    stock::release(&txn, &line(1)).await.expect("release 1");
    txn.commit().await.expect("commit");
    app.settle().await;
    let page = app.client.get(&format!("/v1/products/{pid}")).await;
    assert_eq!(page.json["variants"][0]["available"], 3);
}

/// How many of the product's variants have free units, as the product row counts them
/// (what lists show as `in_stock`) and as the variants say.
async fn in_stock_counts(app: &jikgu_tests::TestApp, pid: uuid::Uuid) -> (i32, i64) {
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT p.in_stock_variants AS kept, \
                    (SELECT count(*) FROM catalog.variants x \
                      WHERE x.product_id = p.id AND x.on_hand > x.reserved) AS truth \
             FROM catalog.products p WHERE p.id = $1",
            [pid.into()],
        ))
        .await
        .expect("query")
        .expect("row");
    (
        row.try_get("", "kept").expect("kept"),
        row.try_get("", "truth").expect("truth"),
    )
}

/// Eight variants of one product, one unit each, emptied at once by 64 racing
/// reservations (each holding its transaction open a moment), then filled again at
/// once by releases and restocks: the product's count of variants with free units
/// follows every crossing, so a list says "sold out" exactly when it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_products_in_stock_count_follows_racing_stock_writes() {
    let app = spawn_app().await;
    let cat = app.category("crab", None, &[]).await;
    let v = app.vendor("옹진수산").await;
    let skus: Vec<(String, i64, i32)> = (0..8).map(|i| (format!("C{i}"), 30000, 1)).collect();
    let variants: Vec<(&str, i64, i32)> =
        skus.iter().map(|(s, p, n)| (s.as_str(), *p, *n)).collect();
    let pid = app.product(&v, cat, "옹진 꽃게 세트", &[], &variants).await;
    let vids = variants_of(&app, pid).await;
    assert_eq!(vids.len(), 8);
    assert_eq!(in_stock_counts(&app, pid).await, (8, 8));
    let line = |vid| {
        [StockLine {
            variant_id: vid,
            quantity: Quantity::ONE,
        }]
    };

    let won = join_all((0..64).map(|i| {
        let db = app.state.db.clone();
        let vid = vids[i % vids.len()];
        tokio::spawn(async move {
            let txn = db.begin().await.expect("begin");
            match stock::reserve(&txn, &line(vid)).await {
                Ok(()) => {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    txn.commit().await.expect("commit");
                    true
                }
                Err(catalog::error::CatalogError::InsufficientStock { .. }) => false,
                Err(e) => panic!("unexpected {e}"),
            }
        })
    }))
    .await
    .into_iter()
    .filter(|won| *won.as_ref().expect("task"))
    .count();
    assert_eq!(won, 8, "one reservation per unit");
    assert_eq!(
        in_stock_counts(&app, pid).await,
        (0, 0),
        "every variant sold out"
    );
    app.settle().await;
    let listed = app.client.get("/v1/products?in_stock=true").await;
    assert_eq!(listed.status, 200);
    assert!(
        !listed.body.contains(&pid.to_string()),
        "a sold-out product is not listed as in stock"
    );
    let all = app.client.get("/v1/products").await;
    let row = all.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["id"] == pid.to_string())
        .expect("a sold-out product is still listed");
    assert_eq!(row["in_stock"], false);

    // Half the variants get their reserved unit back, the other half a new one.
    join_all(vids.iter().enumerate().map(|(i, vid)| {
        let db = app.state.db.clone();
        let lines = line(*vid);
        tokio::spawn(async move {
            let txn = db.begin().await.expect("begin");
            if i % 2 == 0 {
                stock::release(&txn, &lines).await.expect("release");
            } else {
                stock::restock(&txn, &lines).await.expect("restock");
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            txn.commit().await.expect("commit");
        })
    }))
    .await
    .into_iter()
    .for_each(|r| r.expect("task"));
    assert_eq!(
        in_stock_counts(&app, pid).await,
        (8, 8),
        "every variant back"
    );
}

/// Two checkouts that each take the last unit of a variant of two products, the products
/// in opposite order of their variants (`a` of P1 and `b` of P2; `c` of P2 and `d` of
/// P1, a < b < c < d), while a third transaction holds P1's row: both must go through
/// when it lets go. Counting each crossing as its row is updated would lock P1 then P2
/// for one and P2 then P1 for the other, and the first to get P1 would wait for the P2
/// the other holds: a deadlock, which Postgres breaks by failing one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn checkouts_emptying_variants_of_the_same_products_in_opposite_order_do_not_deadlock() {
    let app = spawn_app().await;
    let cat = app.category("crab", None, &[]).await;
    let v = app.vendor("옹진수산").await;
    let p1 = app
        .product(&v, cat, "꽃게 1kg", &[], &[("P1-A", 30000, 1)])
        .await;
    let p2 = app
        .product(
            &v,
            cat,
            "꽃게 2kg",
            &[],
            &[("P2-B", 50000, 1), ("P2-C", 50000, 1)],
        )
        .await;
    let d = catalog::products::add_variant(
        &app.state.db,
        v.id,
        p1,
        serde_json::from_value(serde_json::json!(
            {"sku": "P1-D", "name": "선물용", "price": 32000, "stock": 1}
        ))
        .expect("a variant"),
    )
    .await
    .expect("add variant")
    .id;
    let (a, bc) = (variants_of(&app, p1).await[0], variants_of(&app, p2).await);
    let (b, c) = (bc[0], bc[1]);
    assert!(
        a < b && b < c && c < d,
        "the variants' ids in the order the test needs"
    );

    let holder = app.state.db.begin().await.expect("begin");
    holder
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 FROM catalog.products WHERE id = $1 FOR UPDATE",
            [p1.into()],
        ))
        .await
        .expect("hold P1");
    let checkout = |first: uuid::Uuid, second: uuid::Uuid| {
        let db = app.state.db.clone();
        tokio::spawn(async move {
            let txn = db.begin().await?;
            let lines = [first, second].map(|variant_id| StockLine {
                variant_id,
                quantity: Quantity::ONE,
            });
            stock::reserve(&txn, &lines)
                .await
                .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
            txn.commit().await
        })
    };
    let one = checkout(a, b);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let other = checkout(c, d);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    holder.commit().await.expect("let P1 go");
    one.await.expect("task").expect("the first checkout");
    other.await.expect("task").expect("the second checkout");
    assert_eq!(in_stock_counts(&app, p1).await, (0, 0));
    assert_eq!(in_stock_counts(&app, p2).await, (0, 0));
}

/// Checkout holds a cart's stock with the catalog facts it prices from
/// (`stock::reserve_reading`): a line with the units is held and its availability is what
/// the lock found; a line already short in the statement's snapshot is reported, not held
/// and not locked, so a sold-out variant's late buyers are refused while another
/// checkout still holds its row instead of queueing behind it.
#[tokio::test]
async fn a_short_line_is_refused_without_waiting_for_the_variants_lock() {
    let app = spawn_app().await;
    let cat = app.category("crab", None, &[]).await;
    let v = app.vendor("옹진수산").await;
    let pid = app
        .product(
            &v,
            cat,
            "옹진 꽃게",
            &[],
            &[("BIG", 50000, 3), ("SMALL", 30000, 5)],
        )
        .await;
    let [big, small] = variants_of(&app, pid).await[..] else {
        panic!("two variants")
    };
    let line = |variant_id, q| StockLine {
        variant_id,
        quantity: Quantity::new(q).expect("a quantity"),
    };

    // Both lines have the units: both held, each read as it stood before the hold.
    let txn = app.state.db.begin().await.expect("begin");
    let read = stock::reserve_reading(&txn, &[line(big, 2), line(small, 1)])
        .await
        .expect("hold");
    let mut held = read.held.clone();
    held.sort();
    let mut both = vec![big, small];
    both.sort();
    assert_eq!(held, both);
    let available = |id| {
        read.found
            .iter()
            .find(|p| p.variant_id == id)
            .expect("found")
            .available
    };
    assert_eq!((available(big), available(small)), (3, 5));
    txn.commit().await.expect("commit");

    // Another checkout holds the big crab's row (its last unit, not yet committed).
    let holder = app.state.db.begin().await.expect("begin");
    stock::reserve(&holder, &[line(big, 1)])
        .await
        .expect("the last unit");
    // Two more big crabs are short in any snapshot: refused at once, the small crab
    // held though the holder has the big crab's row (two of the four left, so that the
    // product's in-stock count, which the holder's last unit locked, does not move).
    let answer = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let txn = app.state.db.begin().await.expect("begin");
        let read = stock::reserve_reading(&txn, &[line(big, 2), line(small, 2)])
            .await
            .expect("read");
        txn.rollback().await.expect("rollback");
        read
    })
    .await
    .expect("answered while the row is held");
    assert_eq!(answer.held, [small]);
    let short = answer
        .found
        .iter()
        .find(|p| p.variant_id == big)
        .expect("the big crab is reported");
    assert_eq!(short.available, 1, "as committed, before the holder");
    holder.rollback().await.expect("rollback");
}

/// `(on_hand, reserved)` of a variant, and its product's popularity.
async fn units_and_popularity(app: &jikgu_tests::TestApp, vid: uuid::Uuid) -> (i32, i32, i64) {
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT v.on_hand, v.reserved, p.popularity FROM catalog.variants v \
             JOIN catalog.products p ON p.id = v.product_id WHERE v.id = $1",
            [vid.into()],
        ))
        .await
        .expect("query")
        .expect("row");
    (
        row.try_get("", "on_hand").expect("on_hand"),
        row.try_get("", "reserved").expect("reserved"),
        row.try_get("", "popularity").expect("popularity"),
    )
}

/// A sale moves every line's held units or none: a line whose variant does not hold its
/// units refuses the whole sale, naming that variant, and leaves the other line's units
/// held and its product's popularity as it was. A sale that goes through counts its
/// units towards each product's popularity (the lists' popularity sort), two lines of one
/// variant together.
#[tokio::test]
async fn a_sale_moves_every_lines_units_or_none_and_counts_them_as_popularity() {
    let app = spawn_app().await;
    let cat = app.category("crab", None, &[]).await;
    let v = app.vendor("옹진수산").await;
    let p1 = app
        .product(&v, cat, "꽃게 1kg", &[], &[("S1", 30000, 10)])
        .await;
    let p2 = app
        .product(&v, cat, "꽃게 2kg", &[], &[("S2", 50000, 10)])
        .await;
    let (a, b) = (
        variants_of(&app, p1).await[0],
        variants_of(&app, p2).await[0],
    );
    let line = |variant_id, q| StockLine {
        variant_id,
        quantity: Quantity::new(q).expect("a quantity"),
    };
    stock::reserve(&app.state.db, &[line(a, 3), line(b, 1)])
        .await
        .expect("hold");

    let err = stock::commit(&app.state.db, &[line(a, 2), line(b, 2)])
        .await
        .expect_err("the second crab holds one unit, not two");
    assert!(
        matches!(&err, catalog::error::CatalogError::IllegalTransition { state, .. } if state.contains(&b.to_string())),
        "{err:?}"
    );
    assert_eq!(units_and_popularity(&app, a).await, (10, 3, 0), "untouched");
    assert_eq!(units_and_popularity(&app, b).await, (10, 1, 0), "untouched");

    stock::commit(&app.state.db, &[line(a, 1), line(b, 1), line(a, 2)])
        .await
        .expect("sold");
    assert_eq!(units_and_popularity(&app, a).await, (7, 0, 3));
    assert_eq!(units_and_popularity(&app, b).await, (9, 0, 1));
}

/// Sixteen sales at once of two products' variants, each sale a variant of each product
/// and no two racing sales the same pair, while a transaction holds the first product's
/// row: the sales wait for it holding their variants, then each locks its products in id
/// order (so none holds one product while waiting for the other), and every one goes
/// through with every unit counted once, in stock and in popularity.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_sales_of_the_same_products_go_through_and_count_every_unit_once() {
    let app = spawn_app().await;
    let cat = app.category("crab", None, &[]).await;
    let v = app.vendor("옹진수산").await;
    let four = |sku: &'static str| [1, 2, 3, 4].map(move |i| (format!("{sku}{i}"), 30000 + i, 100));
    let mut pids = Vec::new();
    for (title, sku) in [("꽃게 1kg", "A"), ("꽃게 2kg", "B")] {
        let variants = four(sku);
        let refs: Vec<(&str, i64, i32)> = variants
            .iter()
            .map(|(s, price, n)| (s.as_str(), *price, *n))
            .collect();
        pids.push(app.product(&v, cat, title, &[], &refs).await);
    }
    let (a, b) = (
        variants_of(&app, pids[0]).await,
        variants_of(&app, pids[1]).await,
    );
    let line = |variant_id| StockLine {
        variant_id,
        quantity: Quantity::ONE,
    };
    let pairs: Vec<[StockLine; 2]> = (0..16)
        .map(|i| [line(a[i % 4]), line(b[(i + i / 4) % 4])])
        .collect();
    let all: Vec<StockLine> = pairs.iter().flatten().copied().collect();
    stock::reserve(&app.state.db, &all)
        .await
        .expect("hold every sale's units");

    let holder = app.state.db.begin().await.expect("begin");
    holder
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 FROM catalog.products WHERE id = $1 FOR UPDATE",
            [pids[0].into()],
        ))
        .await
        .expect("hold the first product");
    let sales: Vec<_> = pairs
        .into_iter()
        .map(|lines| {
            let db = app.state.db.clone();
            tokio::spawn(async move {
                let txn = db.begin().await?;
                stock::commit(&txn, &lines)
                    .await
                    .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
                txn.commit().await
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    holder.commit().await.expect("let the product go");
    for sale in join_all(sales).await {
        sale.expect("task").expect("every sale goes through");
    }
    for vid in a.iter().chain(&b) {
        assert_eq!(units_and_popularity(&app, *vid).await, (96, 0, 16));
    }
}
