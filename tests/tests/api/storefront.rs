use jikgu_tests::fixtures::Vendor;
use jikgu_tests::{TestApp, spawn_app};
use serde_json::Value;
use uuid::Uuid;

struct Shop {
    app: TestApp,
    food: Uuid,
    kimchi: Uuid,
    seafood: Uuid,
    a: Vendor,
    b: Vendor,
}

async fn shop() -> Shop {
    let app = spawn_app().await;
    let food = app.category("food", None, &[]).await;
    let kimchi = app.category("kimchi", Some(food), &[]).await;
    let seafood = app.category("seafood", Some(food), &[]).await;
    let a = app.vendor("강화순무농장").await;
    let b = app.vendor("옹진수산").await;
    app.product(
        &a,
        kimchi,
        "강화순무김치 1kg",
        &["김치", "강화"],
        &[("K1", 15900, 10)],
    )
    .await;
    app.product(&a, kimchi, "강화 총각김치", &["김치"], &[("K2", 22000, 0)])
        .await;
    app.product(
        &b,
        seafood,
        "옹진 꽃게 2kg",
        &["꽃게"],
        &[("C1", 39000, 5), ("C2", 19000, 5)],
    )
    .await;
    app.product(
        &b,
        seafood,
        "백령도 까나리액젓",
        &["액젓"],
        &[("F1", 9900, 50)],
    )
    .await;
    Shop {
        app,
        food,
        kimchi,
        seafood,
        a,
        b,
    }
}

fn titles(r: &Value) -> Vec<String> {
    r["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["title"].as_str().expect("title").to_owned())
        .collect()
}

#[tokio::test]
async fn lists_filter_by_category_subtree_vendor_price_tag_and_stock() {
    let s = shop().await;
    let c = &s.app.client;
    assert_eq!(
        titles(
            &c.get(&format!("/v1/products?category={}", s.food))
                .await
                .json
        )
        .len(),
        4
    );
    let mut k = titles(
        &c.get(&format!("/v1/products?category={}", s.kimchi))
            .await
            .json,
    );
    k.sort();
    assert_eq!(k, ["강화 총각김치", "강화순무김치 1kg"]);
    assert_eq!(
        titles(
            &c.get(&format!("/v1/products?category={}", s.seafood))
                .await
                .json
        )
        .len(),
        2
    );
    assert_eq!(
        titles(&c.get(&format!("/v1/products?vendor={}", s.b.id)).await.json).len(),
        2
    );
    assert_eq!(
        titles(&c.get(&format!("/v1/products?vendor={}", s.a.id)).await.json).len(),
        2
    );
    let mut mid = titles(
        &c.get("/v1/products?min_price=10000&max_price=20000")
            .await
            .json,
    );
    mid.sort();
    // 꽃게's lowest variant is 19,000.
    assert_eq!(mid, ["강화순무김치 1kg", "옹진 꽃게 2kg"]);
    assert_eq!(
        titles(&c.get("/v1/products?tag=%EA%B9%80%EC%B9%98").await.json).len(),
        2
    );
    let in_stock = titles(&c.get("/v1/products?in_stock=true").await.json);
    assert_eq!(in_stock.len(), 3);
    assert!(!in_stock.contains(&"강화 총각김치".to_owned()));
}

#[tokio::test]
async fn lists_sort_by_price_and_page_without_gaps_or_repeats() {
    let s = shop().await;
    let c = &s.app.client;
    let asc = titles(&c.get("/v1/products?sort=price_asc").await.json);
    assert_eq!(
        asc,
        [
            "백령도 까나리액젓",
            "강화순무김치 1kg",
            "옹진 꽃게 2kg",
            "강화 총각김치"
        ]
    );
    let desc = titles(&c.get("/v1/products?sort=price_desc").await.json);
    assert_eq!(
        desc,
        [
            "강화 총각김치",
            "옹진 꽃게 2kg",
            "강화순무김치 1kg",
            "백령도 까나리액젓"
        ]
    );
    let newest = titles(&c.get("/v1/products").await.json);
    assert_eq!(newest[0], "백령도 까나리액젓");

    for sort in ["newest", "price_asc", "price_desc", "popular"] {
        let mut seen = Vec::new();
        let mut path = format!("/v1/products?sort={sort}&limit=3");
        loop {
            let r = c.get(&path).await;
            assert_eq!(r.status, 200, "{}", r.body);
            seen.extend(titles(&r.json));
            match r.json["next_cursor"].as_str() {
                Some(cur) => path = format!("/v1/products?sort={sort}&limit=3&cursor={cur}"),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(seen.len(), 4, "{sort}: {seen:?}");
        assert_eq!(unique.len(), 4, "{sort}: {seen:?}");
    }
}

#[tokio::test]
async fn bad_list_parameters_are_4xx() {
    let s = shop().await;
    let c = &s.app.client;
    c.get("/v1/products?sort=cheapest")
        .await
        .assert_problem(422, "validation_failed");
    c.get("/v1/products?min_price=abc")
        .await
        .assert_problem(422, "validation_failed");
    c.get("/v1/products?cursor=nope")
        .await
        .assert_problem(422, "invalid_cursor");
    c.get("/v1/products/not-a-uuid")
        .await
        .assert_problem(404, "not_found");
    c.get(&format!("/v1/products/{}", Uuid::now_v7()))
        .await
        .assert_problem(404, "not_found");
}

/// A category's list sorted by price walks the products of its top-level category: it
/// follows a category moved under another top-level category, and a product moved to
/// another category, at once.
#[tokio::test]
async fn price_sorted_category_lists_follow_moved_categories_and_products() {
    use platform::auth::Role;
    use serde_json::json;
    let app = spawn_app().await;
    let food = app.category("food", None, &[]).await;
    let kimchi = app.category("kimchi", Some(food), &[]).await;
    let radish = app.category("radish-kimchi", Some(kimchi), &[]).await;
    let crafts = app.category("crafts", None, &[]).await;
    let v = app.vendor("강화순무농장").await;
    let p1 = app
        .product(&v, radish, "강화순무김치", &[], &[("K1", 9000, 5)])
        .await;
    app.product(&v, crafts, "화문석 방석", &[], &[("M1", 5000, 5)])
        .await;
    app.product(&v, crafts, "강화 소창 행주", &[], &[("T1", 12000, 5)])
        .await;
    let list = |cat: Uuid, q: &'static str| category_titles(&app, cat, q);
    assert_eq!(list(food, "sort=price_asc").await, ["강화순무김치"]);
    assert_eq!(list(kimchi, "sort=price_desc").await, ["강화순무김치"]);
    assert_eq!(
        list(crafts, "sort=price_desc").await,
        ["강화 소창 행주", "화문석 방석"]
    );
    assert_eq!(
        list(crafts, "sort=price_asc&min_price=6000&max_price=20000").await,
        ["강화 소창 행주"]
    );

    // kimchi, with radish-kimchi under it, moves under crafts.
    let (admin, _) = app.account(Role::Admin, None).await;
    let r = admin
        .put(
            &format!("/v1/admin/categories/{kimchi}"),
            &json!({"name": "김치", "parent_id": crafts, "position": 0}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(list(food, "sort=price_asc").await.is_empty());
    assert_eq!(
        list(crafts, "sort=price_asc").await,
        ["화문석 방석", "강화순무김치", "강화 소창 행주"]
    );
    assert_eq!(
        list(crafts, "sort=price_desc&max_price=10000").await,
        ["강화순무김치", "화문석 방석"]
    );
    assert_eq!(list(radish, "sort=price_asc").await, ["강화순무김치"]);

    // The product itself moves back under food.
    let r = v
        .client
        .patch(
            &format!("/v1/vendor/products/{p1}"),
            &json!({"category_id": food}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(list(food, "sort=price_asc").await, ["강화순무김치"]);
    assert_eq!(
        list(crafts, "sort=price_asc").await,
        ["화문석 방석", "강화 소창 행주"]
    );
    assert!(list(kimchi, "sort=price_asc").await.is_empty());

    // Paged one by one, each sort walks the category without gaps or repeats.
    for (sort, want) in [
        ("price_asc", ["화문석 방석", "강화 소창 행주"]),
        ("price_desc", ["강화 소창 행주", "화문석 방석"]),
    ] {
        assert_eq!(
            one_a_page(&app, crafts, sort, want.len()).await,
            want,
            "{sort}"
        );
    }
}

/// A category's list with the query `q`.
async fn category_list(app: &TestApp, cat: Uuid, q: &str) -> Value {
    let r = app
        .client
        .get(&format!("/v1/products?category={cat}&{q}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json
}

/// The titles of a category's list with the query `q`.
async fn category_titles(app: &TestApp, cat: Uuid, q: &str) -> Vec<String> {
    titles(&category_list(app, cat, q).await)
}

/// A category's list in `sort` order, read one product a page by its cursors; fails once
/// it has seen more than `most` products.
async fn one_a_page(app: &TestApp, cat: Uuid, sort: &str, most: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = category_list(app, cat, &format!("sort={sort}&limit=1{cursor}")).await;
        seen.extend(titles(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return seen,
        }
        assert!(seen.len() <= most, "{sort}: {seen:?}");
    }
}

/// Sorted by price, a category under a top-level one lists its own subtree only: its
/// siblings' products share the top-level category's price walk and stay out, in both
/// directions and across pages.
#[tokio::test]
async fn price_sorted_subcategory_lists_leave_out_sibling_categories() {
    let app = spawn_app().await;
    let food = app.category("food", None, &[]).await;
    let kimchi = app.category("kimchi", Some(food), &[]).await;
    let radish = app.category("radish-kimchi", Some(kimchi), &[]).await;
    let rice = app.category("rice", Some(food), &[]).await;
    let v = app.vendor("강화순무농장").await;
    let radish_kimchi = app
        .product(&v, radish, "강화순무김치", &[], &[("K1", 9000, 5)])
        .await;
    app.product(&v, kimchi, "포기김치", &[], &[("K2", 15000, 5)])
        .await;
    app.product(&v, rice, "강화섬쌀", &[], &[("R1", 12000, 5)])
        .await;
    app.product(&v, food, "인천 종합선물", &[], &[("G1", 10000, 5)])
        .await;
    let list = |cat: Uuid, q: &'static str| category_titles(&app, cat, q);
    assert_eq!(
        list(kimchi, "sort=price_asc").await,
        ["강화순무김치", "포기김치"]
    );
    assert_eq!(
        list(kimchi, "sort=price_desc&min_price=9500").await,
        ["포기김치"]
    );
    assert_eq!(list(rice, "sort=price_desc").await, ["강화섬쌀"]);
    assert_eq!(list(radish, "sort=price_asc").await, ["강화순무김치"]);
    assert_eq!(
        list(food, "sort=price_asc").await,
        ["강화순무김치", "인천 종합선물", "강화섬쌀", "포기김치"]
    );
    // Every field of a listed row, as the list reads it (by position, unchecked).
    let listed = category_list(&app, radish, "sort=price_asc").await;
    let item = &listed["items"][0];
    assert_eq!(item["id"], radish_kimchi.to_string(), "{listed}");
    assert_eq!(item["title"], "강화순무김치");
    assert_eq!(item["image"], "https://img.jikgu.kr/1.jpg");
    assert_eq!(item["price"], 9000);
    assert_eq!(item["vendor"]["id"], v.id.to_string());
    assert_eq!(item["vendor"]["trade_name"], "강화순무농장");
    assert_eq!(item["category_id"], radish.to_string());
    assert_eq!(item["in_stock"], true);
    assert_eq!(item["certified"], false);
    let published: chrono::DateTime<chrono::Utc> = item["published_at"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("published_at");
    assert!((chrono::Utc::now() - published).num_minutes().abs() < 10);

    // One a page: the next page's walk starts past siblings' rows, never on them.
    assert_eq!(
        one_a_page(&app, kimchi, "price_asc", 2).await,
        ["강화순무김치", "포기김치"]
    );
}

/// A list reads whether a vendor may sell, and its trade name, from the product rows
/// (`m20261209_000101_product_seller`). Products written while their vendor is being
/// suspended leave the lists with it: a product takes its vendor's status when written,
/// waiting for a change in flight, and a change rewrites the products already there.
/// Reinstated (through the API), all come back; a new trade name shows on every row.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lists_follow_a_vendors_status_and_trade_name_even_mid_write() {
    use futures::future::join_all;
    use platform::auth::Role;
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
    use serde_json::json;
    let s = shop().await;
    let app = &s.app;
    let (admin, _) = app.account(Role::Admin, None).await;
    // A write to the vendor's row as any writer may issue it, bypassing the API.
    let vendor_sql = |sql: &'static str| async move {
        app.state
            .db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [s.b.id.into()],
            ))
            .await
            .expect(sql);
    };
    // Each query string is asked once, so no cached page can answer for the rows.
    let vendors_rows = |q: String| async move {
        let r = app
            .client
            .get(&format!("/v1/products?vendor={}&{q}", s.b.id))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json["items"].as_array().expect("items").clone()
    };
    assert_eq!(vendors_rows("sort=price_asc".into()).await.len(), 2);

    // Sixteen products are being written (each transaction holds its insert for 100 ms)
    // while the vendor is suspended.
    let writes = (0..16).map(|i| {
        let db = app.state.db.clone();
        let (vendor, category) = (s.b.id, s.seafood);
        tokio::spawn(async move {
            let txn = db.begin().await.expect("begin");
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO catalog.products (id, vendor_id, category_id, title, status, min_price, published_at) \
                 VALUES ($1, $2, $3, $4, 'active', $5, now())",
                [
                    Uuid::now_v7().into(),
                    vendor.into(),
                    category.into(),
                    format!("옹진 대하 {i}").into(),
                    (20_000 + i as i64).into(),
                ],
            ))
            .await
            .expect("insert");
            txn.execute_unprepared("SELECT pg_sleep(0.1)")
                .await
                .expect("sleep");
            txn.commit().await.expect("commit");
        })
    });
    let writes: Vec<_> = writes.collect();
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    // A plain UPDATE: the API's suspension locks the vendor `FOR UPDATE`, which waits for
    // the products' foreign-key locks by itself.
    vendor_sql("UPDATE catalog.vendors SET status = 'suspended' WHERE id = $1").await;
    for w in join_all(writes).await {
        w.expect("write");
    }
    assert_eq!(
        vendors_rows("sort=price_desc".into()).await,
        Vec::<Value>::new()
    );
    let food = app
        .client
        .get(&format!("/v1/products?category={}&sort=price_desc", s.food))
        .await;
    assert_eq!(
        titles(&food.json),
        ["강화 총각김치", "강화순무김치 1kg"],
        "only the other vendor's products"
    );

    let r = admin
        .post(
            &format!("/v1/admin/vendors/{}/reinstate", s.b.id),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(vendors_rows("sort=newest".into()).await.len(), 18);

    vendor_sql("UPDATE catalog.vendors SET trade_name = '옹진바다' WHERE id = $1").await;
    let rows = vendors_rows("sort=popular".into()).await;
    assert_eq!(rows.len(), 18);
    assert!(
        rows.iter().all(|p| p["vendor"]["trade_name"] == "옹진바다"),
        "{rows:?}"
    );
}
