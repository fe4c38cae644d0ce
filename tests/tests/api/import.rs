use jikgu_tests::{Client, spawn_app};

#[tokio::test]
async fn csv_import_creates_good_products_and_reports_bad_rows_without_half_writes() {
    let app = spawn_app().await;
    app.category("kimchi", None, &[]).await;
    let v = app.vendor("강화순무농장").await;
    let csv = "\
product_key,title,category,description,tags,origin,taxable,withdrawal_restricted,max_per_order,images,sku,variant_name,price,compare_at_price,stock,notice.식품의 유형
sunmu,강화순무김치,kimchi,아삭한 순무김치,김치|강화,국내산,true,false,10,https://img.jikgu.kr/a.jpg,SM-1,1kg,\"15,900\",,10,김치류
sunmu,강화순무김치,kimchi,아삭한 순무김치,김치|강화,국내산,true,false,10,,SM-2,2kg,28900,32000,5,김치류
bad,잘못된 상품,kimchi,,,,true,false,,,BAD-1,1kg,9900,,3,
bad,잘못된 상품,kimchi,,,,maybe,false,,,BAD-2,2kg,free,,3,
nocat,없는 분류,pickles,,,,true,false,,,NC-1,1kg,5000,,1,
";
    let rb = v
        .client
        .request(reqwest::Method::POST, "/v1/vendor/products/import")
        .header("content-type", "text/csv; charset=utf-8")
        .body(csv);
    let r = Client::send(rb).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["products_created"], 1);
    assert_eq!(r.json["products_rejected"], 2);
    let rows = r.json["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0]["line"], 2);
    assert_eq!(rows[0]["ok"], true);
    assert_eq!(rows[1]["ok"], true);
    // Line 4 is the bad one; line 3 is rejected with it, saying why.
    assert_eq!(rows[2]["ok"], false);
    assert_eq!(rows[2]["errors"][0]["code"], "product_rejected");
    let bad: Vec<&str> = rows[3]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(bad.contains(&"price"), "{bad:?}");
    assert_eq!(rows[4]["errors"][0]["field"], "category");

    let mine = v.client.get("/v1/vendor/products").await;
    let items = mine.json["items"].as_array().expect("items");
    assert_eq!(
        items.len(),
        1,
        "only the good product exists: {}",
        mine.body
    );
    assert_eq!(items[0]["title"], "강화순무김치");
    assert_eq!(items[0]["variants"].as_array().map(Vec::len), Some(2));
    assert_eq!(items[0]["variants"][0]["price"], 15900);
    assert_eq!(items[0]["notice"]["식품의 유형"], "김치류");

    // Importing again collides on SKUs and writes nothing.
    let again = Client::send(
        v.client
            .request(reqwest::Method::POST, "/v1/vendor/products/import")
            .header("content-type", "text/csv")
            .body(csv),
    )
    .await;
    assert_eq!(again.json["products_created"], 0);
    assert_eq!(again.json["rows"][0]["errors"][0]["code"], "sku_taken");
    assert_eq!(
        v.client.get("/v1/vendor/products").await.json["items"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn csv_import_needs_csv_and_its_columns() {
    let app = spawn_app().await;
    let v = app.vendor("강화순무농장").await;
    let r = Client::send(
        v.client
            .request(reqwest::Method::POST, "/v1/vendor/products/import")
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await;
    r.assert_problem(415, "unsupported_media_type");
    let r = Client::send(
        v.client
            .request(reqwest::Method::POST, "/v1/vendor/products/import")
            .header("content-type", "text/csv")
            .body("title,price\n김치,1000\n"),
    )
    .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.json["errors"][0]["code"], "missing_column");
}
