//! How many statements an uncached storefront read sends to Postgres: on a read nothing
//! caches (a product page nobody opened lately, a new filter) each round trip is most of
//! its cost (issue 18). Counted with sea-orm's metric callback on a connection of its own.

use chrono::Utc;
use jikgu_tests::spawn_app;
use std::sync::atomic::Ordering;

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
    let (db, n) = app.counting_statements();

    let page = catalog::storefront::detail(&db, pid)
        .await
        .expect("detail")
        .expect("visible");
    assert_eq!(
        n.load(Ordering::SeqCst),
        1,
        "statements for the catalog part: the page with its uploaded photos"
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
        &db,
        &promotions::storefront_prices::PromotionsLivePrices::default(),
        pid,
        Utc::now(),
    )
    .await
    .expect("priced detail");
    assert!(priced.is_some());
    assert_eq!(
        n.load(Ordering::SeqCst),
        2,
        "statements for an uncached product page: the catalog's, and promotions' one"
    );

    // A process holding its own copy of what is on promotion reads it once (the catalog's
    // statement and the copy's), then sends the catalog's statement alone. Settled first:
    // the product's own events would drop the copy when they reach promotions' consumer.
    app.settle().await;
    let held = promotions::storefront_prices::PromotionsLivePrices::held_in(app.redis().clone());
    for expected in [2, 1, 1] {
        n.store(0, Ordering::SeqCst);
        let priced = catalog::storefront::priced_detail(&db, &db, &held, pid, Utc::now())
            .await
            .expect("priced detail");
        assert!(priced.is_some());
        assert_eq!(
            n.load(Ordering::SeqCst),
            expected,
            "statements with a held copy"
        );
    }

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
    let (db, n) = app.counting_statements();
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

/// How many statements one checkout of a two-vendor cart sends (issue 18: checkout is
/// bound by its round trips and the time it holds the cart's and the variants' locks).
/// BEGIN and COMMIT are not counted by the callback; the second checkout is counted, so
/// the remote-area table is already cached as it is in a running shop.
#[tokio::test]
async fn a_two_vendor_checkout_is_a_handful_of_statements() {
    use platform::auth::Role;
    let app = spawn_app().await;
    let cat = app.category("food", None, &[]).await;
    let (v1, v2) = (
        app.vendor("강화순무농장").await,
        app.vendor("옹진수산").await,
    );
    let p1 = app
        .product(&v1, cat, "강화순무김치", &[], &[("K1", 15900, 50)])
        .await;
    let p2 = app
        .product(&v2, cat, "옹진 꽃게", &[], &[("C1", 39000, 50)])
        .await;
    let vids = [
        crate::checkout::variant(&app, p1).await,
        crate::checkout::variant(&app, p2).await,
    ];
    let (c, customer) = app.account(Role::Customer, None).await;
    let mut ctx = orders::context::OrdersContext::from_env().expect("orders context");
    let (db, n) = app.counting_statements();
    let mut counted = Vec::new();
    for round in 0..4 {
        // The last two with the process's copy of what is on promotion, as the shop runs.
        if round == 2 {
            app.settle().await;
            let copy = promotions::live_set::LiveSet::new(app.redis().clone());
            ctx.promotions = Some(std::sync::Arc::new(copy));
        }
        let (req, total) = two_of_each(&c, &vids).await;
        n.store(0, Ordering::SeqCst);
        let (created, resp) =
            orders::checkout::checkout(&db, &db, &ctx, customer, None, &format!("k-{round}"), req)
                .await
                .expect("checkout");
        assert!(created);
        assert_eq!(resp.grand_total, total);
        counted.push(n.load(Ordering::SeqCst));
    }
    // The key, the cart's lock and its lines (read again apart only when the cart changed
    // while the statement waited for its lock), the stock of every variant held with the
    // catalog facts read (the vendors' districts among them), the live promotions, the
    // order with its attribution, its payment and the stored answer (the test gateway, like
    // Toss, opens a payment without calling anyone, so it is written with the order):
    // BEGIN and COMMIT aside. With the copy, which says that neither product is on
    // promotion, the promotions are not read.
    assert_eq!(counted[1], 4, "statements per checkout: {counted:?}");
    assert_eq!(
        counted[3], 3,
        "statements per checkout with the copy: {counted:?}"
    );
}

/// How many statements applying a successful payment to a two-vendor order of three lines
/// sends (the pay request held its pooled connection for about a dozen): the event
/// recorded against the payment's order, the order locked with its lines and quote, the
/// stock sold (its units counted towards the products' popularity), the order's writes
/// (status, history, the sale event, the vendor orders) and the payment's state. BEGIN
/// and COMMIT are not counted. What it did is checked too: a count is no use if the work
/// went missing.
#[tokio::test]
async fn paying_a_two_vendor_order_is_five_statements() {
    use orders::payments::{GatewayEvent, GatewayEventKind, apply};
    use platform::auth::Role;
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let cat = app.category("food", None, &[]).await;
    let (v1, v2) = (
        app.vendor("강화순무농장").await,
        app.vendor("옹진수산").await,
    );
    let p1 = app
        .product(
            &v1,
            cat,
            "강화순무김치",
            &[],
            &[("K1", 15900, 50), ("K2", 29000, 50)],
        )
        .await;
    let p2 = app
        .product(&v2, cat, "옹진 꽃게", &[], &[("C1", 39000, 50)])
        .await;
    let mut vids = crate::stock::variants_of(&app, p1).await;
    vids.push(crate::checkout::variant(&app, p2).await);
    let (c, customer) = app.account(Role::Customer, None).await;
    let (req, total) = two_of_each(&c, &vids).await;
    let ctx = orders::context::OrdersContext::from_env().expect("orders context");
    let db = &app.state.db;
    let (_, order) = orders::checkout::checkout(db, db, &ctx, customer, None, "pay-1", req)
        .await
        .expect("checkout");

    let (db, n) = app.counting_statements();
    let txn = sea_orm::TransactionTrait::begin(&db).await.expect("begin");
    n.store(0, Ordering::SeqCst);
    let event = GatewayEvent {
        event_id: format!("test:{}:succeeded", order.order_id),
        kind: GatewayEventKind::PaymentSucceeded {
            payment_ref: order.payment.payment_ref.clone(),
            order_id: None,
            amount: platform::money::Won(total),
        },
    };
    let (applied, refund) = apply::apply_in(&txn, "test", event).await.expect("apply");
    assert_eq!(n.load(Ordering::SeqCst), 5, "statements per payment");
    sea_orm::TransactionSession::commit(txn)
        .await
        .expect("commit");
    assert_eq!(applied, apply::Applied::Applied);
    assert_eq!(refund, None);

    let paid = c.get(&format!("/v1/orders/{}", order.order_id)).await;
    assert_eq!(paid.json["status"], "paid", "{}", paid.body);
    let row = app
        .state
        .db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT (SELECT popularity FROM catalog.products WHERE id = $1) AS p1, \
                    (SELECT popularity FROM catalog.products WHERE id = $2) AS p2, \
                    (SELECT sum(on_hand + reserved)::bigint FROM catalog.variants WHERE product_id IN ($1, $2)) AS units, \
                    (SELECT array_agg(status::text ORDER BY status) FROM orders.vendor_orders WHERE order_id = $3) AS vendor_orders, \
                    (SELECT status::text FROM orders.payments WHERE order_id = $3) AS payment",
            [p1.into(), p2.into(), order.order_id.into()],
        ))
        .await
        .expect("query")
        .expect("row");
    let got = |k: &str| row.try_get::<i64>("", k).expect(k);
    assert_eq!((got("p1"), got("p2")), (4, 2), "units sold per product");
    assert_eq!(got("units"), 150 - 6, "six units left the shelf, none held");
    let sales: Vec<usize> = app
        .published("orders.sale")
        .await
        .iter()
        .filter(|(aggregate, _)| *aggregate == order.order_id)
        .map(|(_, payload)| payload["lines"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sales, [3], "one sale event with its three lines");
    let vendor_orders: Vec<String> = row.try_get("", "vendor_orders").expect("vendor orders");
    assert_eq!(vendor_orders, ["preparing", "preparing"]);
    let payment: String = row.try_get("", "payment").expect("payment");
    assert_eq!(payment, "succeeded");
}

/// Two units of each variant put in the customer's cart, one line write each, and a
/// checkout request for the total the last write's quote shows (a non-remote address).
async fn two_of_each(
    c: &jikgu_tests::Client,
    vids: &[uuid::Uuid],
) -> (orders::checkout::CheckoutRequest, i64) {
    use serde_json::json;
    let mut total = 0;
    for vid in vids {
        let r = c
            .put(
                &format!("/v1/carts/current/lines/{vid}"),
                &json!({"quantity": 2}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        total = r.json["quote"]["totals"]["grand_total"]
            .as_i64()
            .expect("total");
    }
    let req = serde_json::from_value(json!({
        "address": jikgu_tests::fixtures::address("21554"), "expected_total": total}))
    .expect("request");
    (req, total)
}

/// One vendor's products (title, SKU, price), each one variant of 50 units in one
/// category: their product and variant ids, in order.
pub(crate) async fn one_vendor(
    app: &jikgu_tests::TestApp,
    products: &[(&str, &str, i64)],
) -> Vec<(uuid::Uuid, uuid::Uuid)> {
    let cat = app.category("food", None, &[]).await;
    let v = app.vendor("강화순무농장").await;
    let mut ids = Vec::new();
    for (title, sku, price) in products {
        let pid = app.product(&v, cat, title, &[], &[(sku, *price, 50)]).await;
        ids.push((pid, crate::checkout::variant(app, pid).await));
    }
    ids
}

/// What a quote keeps between reads, without the process's copy of what is on promotion.
fn kept(remote: &orders::remote_areas::RemoteAreas) -> orders::quoting::Kept<'_> {
    orders::quoting::Kept {
        remote_areas: remote,
        promotions: None,
    }
}

/// How many statements a cart line write sends: the write itself, which reads the
/// catalog's facts of the cart's variants with it and answers with the lines it wrote,
/// and the live promotions (read here without the process's copy, which spares it for
/// products on no promotion: see `campaign_prices`). A write that waited for another one
/// to commit computes its lines from the row that one left: no statement more, and the
/// other's change shows.
#[tokio::test]
async fn a_cart_line_write_is_two_statements() {
    use orders::carts::{self, Owner};
    use platform::quantity::Quantity;
    use sea_orm::TransactionTrait;
    let app = spawn_app().await;
    let shop = one_vendor(
        &app,
        &[("강화순무김치", "K1", 15900), ("강화 섬쌀", "R1", 32000)],
    )
    .await;
    let vids = [shop[0].1, shop[1].1];
    let (_, customer) = app.account(platform::auth::Role::Customer, None).await;
    let owner = Owner::Customer(customer);
    let remote = orders::remote_areas::RemoteAreas::default();
    let (db, n) = app.counting_statements();
    let two = Quantity::clamped(2);
    // The customer's first line creates the cart; warm the remote-area table, as in a
    // running shop.
    let (cart, found) = carts::write(&db, &owner, vids[0], Some(two))
        .await
        .expect("first line");
    carts::view_known(&db, kept(&remote), &cart, found, None, Default::default())
        .await
        .expect("view");

    n.store(0, Ordering::SeqCst);
    let (cart, found) = carts::write(&db, &owner, vids[1], Some(two))
        .await
        .expect("second line");
    let view = carts::view_known(&db, kept(&remote), &cart, found, None, Default::default())
        .await
        .expect("view");
    assert_eq!(n.load(Ordering::SeqCst), 2, "statements per line write");
    assert_eq!(view.lines.len(), 2);
    assert_eq!(view.quote.totals.list_subtotal.get(), 2 * 15900 + 2 * 32000);

    // Another tab removes the first line and commits while this write waits for the
    // cart's lock: the write starts from the row the other tab left, and the removal shows.
    let other = app.state.db.begin().await.expect("begin");
    let (_, _) = carts::write(&other, &owner, vids[0], None)
        .await
        .expect("other tab removes the first line");
    n.store(0, Ordering::SeqCst);
    let waiting = tokio::spawn({
        let (db, owner) = (db.clone(), owner.clone());
        async move { carts::write(&db, &owner, vids[1], Some(Quantity::clamped(3))).await }
    });
    // Until the write is seen waiting on the lock, the other tab keeps it.
    crate::races::until_a_statement_waits_on_a_lock(&app, "the write waits on the cart's lock")
        .await;
    other.commit().await.expect("commit");
    let (stale, _) = waiting.await.expect("join").expect("stale write");
    assert_eq!(n.load(Ordering::SeqCst), 1, "the write alone");
    let lines: Vec<_> = stale
        .lines
        .iter()
        .map(|l| (l.variant_id, l.quantity.get()))
        .collect();
    assert_eq!(lines, [(vids[1], 3)], "the other tab's removal shows");
}

/// A line the catalog refuses is not written, and the refusal is named: a variant that
/// does not exist, more units than the product's per-order limit.
#[tokio::test]
async fn a_refused_line_write_changes_nothing() {
    use orders::carts::{self, Owner};
    use orders::error::OrdersError;
    use platform::quantity::Quantity;
    let app = spawn_app().await;
    let (p1, vid) = one_vendor(&app, &[("강화순무김치", "K1", 15900)]).await[0];
    let (_, customer) = app.account(platform::auth::Role::Customer, None).await;
    let owner = Owner::Customer(customer);
    let db = &app.state.db;
    let (cart, _) = carts::write(db, &owner, vid, Some(Quantity::clamped(2)))
        .await
        .expect("a line");
    let missing = carts::write(db, &owner, uuid::Uuid::now_v7(), Some(Quantity::ONE)).await;
    assert!(
        matches!(missing, Err(OrdersError::NotFound("variant"))),
        "{missing:?}"
    );
    use sea_orm::ConnectionTrait;
    db.execute_raw(platform::db::pg(
        "UPDATE catalog.products SET max_per_order = 3 WHERE id = $1",
        [p1.into()],
    ))
    .await
    .expect("limit");
    let over = carts::write(db, &owner, vid, Some(Quantity::clamped(4))).await;
    assert!(
        matches!(over, Err(OrdersError::QuantityLimit { max: 3, .. })),
        "{over:?}"
    );
    let after = carts::open(db, &owner).await.expect("open");
    assert_eq!(after.id, cart.id);
    assert_eq!(after.lines.len(), 1, "nothing was written");
    assert_eq!(after.lines[0].quantity.get(), 2);
    let (at_limit, _) = carts::write(db, &owner, vid, Some(Quantity::clamped(3)))
        .await
        .expect("up to the limit");
    assert_eq!(at_limit.lines[0].quantity.get(), 3);
}
