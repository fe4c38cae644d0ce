use jikgu_tests::spawn_app;
use platform::auth::Role;
use serde_json::json;

const FOOD_NOTICE: &[&str] = &["식품의 유형", "원재료명 및 함량"];

#[tokio::test]
async fn a_product_is_visible_only_once_published_and_until_archived() {
    let app = spawn_app().await;
    let food = app.category("food", None, FOOD_NOTICE).await;
    let kimchi = app.category("kimchi", Some(food), &[]).await;
    let v = app.vendor("강화순무농장").await;
    let created = v
        .client
        .post(
            "/v1/vendor/products",
            &json!({
                "title": "강화순무김치 2kg",
                "description": "<p onclick=\"x()\">아삭한 순무<script>alert(1)</script></p>",
                "category_id": kimchi,
                "tags": ["김치", "강화"],
                "notice": {"식품의 유형": "김치류"},
                "variants": [{"sku": "SM-1", "name": "1kg", "price": 15900, "stock": 10},
                             {"sku": "SM-2", "name": "2kg", "price": 28900, "compare_at_price": 32000, "stock": 5}]
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json["status"], "draft");
    assert_eq!(created.json["price"], 15900);
    let html = created.json["description_html"].as_str().expect("html");
    assert!(
        !html.contains("script") && !html.contains("onclick") && html.contains("순무"),
        "{html}"
    );
    let id = created.json["id"].as_str().expect("id").to_owned();

    app.client
        .get(&format!("/v1/products/{id}"))
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        app.client.get("/v1/products").await.json["items"],
        json!([])
    );

    // The inherited notice field is missing.
    let r = v
        .client
        .post(&format!("/v1/vendor/products/{id}/publish"), &json!({}))
        .await;
    r.assert_problem(422, "publish_incomplete");
    assert_eq!(r.json["errors"][0]["field"], "notice.원재료명 및 함량");

    let r = v
        .client
        .patch(
            &format!("/v1/vendor/products/{id}"),
            &json!({"notice": {"식품의 유형": "김치류", "원재료명 및 함량": "순무 80%, 고춧가루(국산)"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = v
        .client
        .post(&format!("/v1/vendor/products/{id}/publish"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let page = app.client.get(&format!("/v1/products/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.json["variants"].as_array().map(Vec::len), Some(2));
    assert_eq!(page.json["variants"][1]["compare_at_price"], 32000);
    assert_eq!(page.json["categories"][0]["slug"], "food");
    assert_eq!(page.json["categories"][1]["slug"], "kimchi");
    assert_eq!(page.json["vendor"]["shipping"]["base_fee"], 3000);

    // An active product must stay publishable.
    v.client
        .patch(&format!("/v1/vendor/products/{id}"), &json!({"notice": {}}))
        .await
        .assert_problem(422, "publish_incomplete");

    let r = v
        .client
        .post(&format!("/v1/vendor/products/{id}/archive"), &json!({}))
        .await;
    assert_eq!(r.json["status"], "archived");
    app.client
        .get(&format!("/v1/products/{id}"))
        .await
        .assert_problem(404, "not_found");
    v.client
        .post(&format!("/v1/vendor/products/{id}/publish"), &json!({}))
        .await
        .assert_problem(409, "illegal_transition");
}

#[tokio::test]
async fn product_input_is_validated_field_by_field() {
    let app = spawn_app().await;
    let cat = app.category("rice", None, &[]).await;
    let v = app.vendor("강화섬쌀").await;
    let r = v
        .client
        .post(
            "/v1/vendor/products",
            &json!({"title": "", "category_id": cat, "images": ["ftp://x"],
                    "variants": [{"sku": "A 1", "name": "10kg", "price": 0}]}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = r.json["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(fields.contains(&"title"));
    assert!(fields.contains(&"images[0]"));
    assert!(fields.contains(&"variants[0].sku"));
    assert!(fields.contains(&"variants[0].price"));

    let dup = json!({"title": "강화섬쌀 10kg", "category_id": cat,
                     "variants": [{"sku": "RICE-10", "name": "10kg", "price": 39000}]});
    assert_eq!(v.client.post("/v1/vendor/products", &dup).await.status, 201);
    v.client
        .post("/v1/vendor/products", &dup)
        .await
        .assert_problem(409, "sku_taken");
    // Nothing half-written: the refused product does not exist.
    let mine = v.client.get("/v1/vendor/products").await;
    assert_eq!(mine.json["items"].as_array().map(Vec::len), Some(1));

    let unknown = json!({"title": "x", "category_id": uuid::Uuid::now_v7(), "variants": []});
    let r = v.client.post("/v1/vendor/products", &unknown).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.json["errors"][0]["field"], "category_id");
}

/// Vendor A can never read or change vendor B's anything: every vendor route answers 404.
#[tokio::test]
async fn vendors_cannot_touch_each_others_products() {
    let app = spawn_app().await;
    let cat = app.category("crab", None, &[]).await;
    let a = app.vendor("옹진꽃게").await;
    let b = app.vendor("소래젓갈").await;
    let draft = b
        .client
        .post(
            "/v1/vendor/products",
            &json!({"title": "새우젓 1kg", "category_id": cat,
            "variants": [{"sku": "SH-1", "name": "1kg", "price": 12000, "stock": 3}]}),
        )
        .await;
    let pid = draft.json["id"].as_str().expect("id").to_owned();
    let vid = draft.json["variants"][0]["id"]
        .as_str()
        .expect("variant")
        .to_owned();

    let attempts = [
        a.client.get(&format!("/v1/vendor/products/{pid}")).await,
        a.client
            .patch(
                &format!("/v1/vendor/products/{pid}"),
                &json!({"title": "탈취"}),
            )
            .await,
        a.client
            .post(&format!("/v1/vendor/products/{pid}/publish"), &json!({}))
            .await,
        a.client
            .post(&format!("/v1/vendor/products/{pid}/archive"), &json!({}))
            .await,
        a.client
            .post(
                &format!("/v1/vendor/products/{pid}/variants"),
                &json!({"sku": "X", "name": "x", "price": 1000}),
            )
            .await,
        a.client
            .patch(&format!("/v1/vendor/variants/{vid}"), &json!({"price": 1}))
            .await,
        a.client
            .put(
                &format!("/v1/vendor/variants/{vid}/stock"),
                &json!({"expected_on_hand": 3, "on_hand": 0}),
            )
            .await,
        a.client
            .post(
                &format!("/v1/vendor/variants/{vid}/stock-adjustments"),
                &json!({"delta": -3}),
            )
            .await,
    ];
    for r in attempts {
        r.assert_problem(404, "not_found");
    }
    let listed = a.client.get("/v1/vendor/products").await;
    assert_eq!(listed.json["items"], json!([]));
    // B's product is untouched.
    let mine = b.client.get(&format!("/v1/vendor/products/{pid}")).await;
    assert_eq!(mine.json["title"], "새우젓 1kg");
    assert_eq!(mine.json["status"], "draft");
    assert_eq!(mine.json["variants"][0]["on_hand"], 3);
    assert_eq!(mine.json["variants"][0]["price"], 12000);
}

#[tokio::test]
async fn vendors_set_stock_against_what_they_saw_or_by_a_delta() {
    let app = spawn_app().await;
    let cat = app.category("crab", None, &[]).await;
    let v = app.vendor("옹진꽃게").await;
    let pid = app
        .product(&v, cat, "옹진 꽃게 2kg", &[], &[("CRAB-2", 39000, 10)])
        .await;
    let prod = v.client.get(&format!("/v1/vendor/products/{pid}")).await;
    let vid = prod.json["variants"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let r = v
        .client
        .put(
            &format!("/v1/vendor/variants/{vid}/stock"),
            &json!({"expected_on_hand": 10, "on_hand": 25}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["on_hand"], 25);
    let stale = v
        .client
        .put(
            &format!("/v1/vendor/variants/{vid}/stock"),
            &json!({"expected_on_hand": 10, "on_hand": 5}),
        )
        .await;
    stale.assert_problem(409, "stock_mismatch");
    assert_eq!(stale.json["extra"]["on_hand"], 25);

    let r = v
        .client
        .post(
            &format!("/v1/vendor/variants/{vid}/stock-adjustments"),
            &json!({"delta": -5}),
        )
        .await;
    assert_eq!(r.json["on_hand"], 20);
    v.client
        .post(
            &format!("/v1/vendor/variants/{vid}/stock-adjustments"),
            &json!({"delta": -21}),
        )
        .await
        .assert_problem(422, "validation_failed");

    let page = app.client.get(&format!("/v1/products/{pid}")).await;
    assert_eq!(page.json["variants"][0]["available"], 20);
}

#[tokio::test]
async fn admins_manage_the_category_tree() {
    let app = spawn_app().await;
    let (admin, _) = app.account(Role::Admin, None).await;
    let food = admin
        .post(
            "/v1/admin/categories",
            &json!({"slug": "food", "name": "식품"}),
        )
        .await;
    assert_eq!(food.status, 201, "{}", food.body);
    let r = admin
        .post(
            "/v1/admin/categories",
            &json!({"slug": "kimchi", "name": "김치·반찬", "parent_id": food.json["id"]}),
        )
        .await;
    assert_eq!(r.status, 201);
    admin
        .post(
            "/v1/admin/categories",
            &json!({"slug": "kimchi", "name": "또"}),
        )
        .await
        .assert_problem(422, "validation_failed");
    let tree = app.client.get("/v1/categories").await;
    assert_eq!(tree.json[0]["name"], "식품");
    assert_eq!(tree.json[0]["children"][0]["slug"], "kimchi");
}
