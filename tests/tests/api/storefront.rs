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
    let list = |cat: Uuid, q: &'static str| {
        let app = &app;
        async move {
            let r = app
                .client
                .get(&format!("/v1/products?category={cat}&{q}"))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            titles(&r.json)
        }
    };
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
        let mut seen = Vec::new();
        let mut cursor = String::new();
        loop {
            let r = app
                .client
                .get(&format!(
                    "/v1/products?category={crafts}&sort={sort}&limit=1{cursor}"
                ))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            seen.extend(titles(&r.json));
            match r.json["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => break,
            }
            assert!(seen.len() <= want.len(), "{sort}: {seen:?}");
        }
        assert_eq!(seen, want, "{sort}");
    }
}
