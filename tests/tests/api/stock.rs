//! Stock is the one counter that must never go wrong.

use catalog::stock::{self, StockLine};
use futures::future::join_all;
use jikgu_tests::spawn_app;
use platform::quantity::Quantity;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

async fn variant_of(app: &jikgu_tests::TestApp, pid: uuid::Uuid) -> uuid::Uuid {
    let page = app.client.get(&format!("/v1/products/{pid}")).await;
    page.json["variants"][0]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid")
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
    let vid = variant_of(&app, pid).await;

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
    let vid = variant_of(&app, pid).await;
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
