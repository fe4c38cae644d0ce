//! Catalog product reads show the live campaign price and badge: priced like the cart,
//! gone from cached reads when a campaign ends early, and never cached past the next
//! campaign boundary.

use chrono::{DateTime, Duration, DurationRound, Utc};
use jikgu_tests::fixtures::Vendor;
use jikgu_tests::{Client, TestApp, spawn_app};
use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

fn kst(t: DateTime<Utc>) -> String {
    promotions::seoul::show(t).to_rfc3339()
}

fn whole_second(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::seconds(1)).unwrap_or(t)
}

struct Shop {
    app: TestApp,
    marketer: Client,
    vendor: Vendor,
    category: Uuid,
    /// Two variants: 20,000 and 30,000 won.
    product: Uuid,
}

async fn shop() -> Shop {
    let app = spawn_app().await;
    let category = app.category("kimchi", None, &[]).await;
    let vendor = app.vendor("강화순무농장").await;
    let product = app
        .product(
            &vendor,
            category,
            "강화순무김치",
            &["김치"],
            &[("SUNMU-1KG", 20000, 50), ("SUNMU-2KG", 30000, 50)],
        )
        .await;
    let (marketer, _) = app.account(Role::Marketer, None).await;
    Shop {
        app,
        marketer,
        vendor,
        category,
        product,
    }
}

/// A scheduled campaign over `[starts, ends)` with `product` in a section at `percent` off
/// (no price when 0) and the given membership rules; returns its id.
async fn campaign(
    m: &Client,
    slug: &str,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
    product: Option<(Uuid, u32)>,
    membership: Value,
) -> String {
    let r = m
        .post(
            "/v1/marketing/campaigns",
            &json!({"title": format!("기획전 {slug}"), "slug": slug, "starts_at": kst(starts),
                    "ends_at": kst(ends), "membership": membership}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json["id"].as_str().expect("id").to_owned();
    if let Some((pid, percent)) = product {
        let r = m
            .post(
                &format!("/v1/marketing/campaigns/{id}/sections"),
                &json!({"title": "베스트", "product_ids": [pid]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = m
            .post(
                &format!("/v1/marketing/campaigns/{id}/prices"),
                &json!({"product_id": pid, "kind": "percent", "value": percent}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = m
        .post(
            &format!("/v1/marketing/campaigns/{id}/schedule"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    id
}

/// The product page of `pid` as a process without a held promotions copy reads it, and
/// the statements it sent to Postgres.
async fn uncached_page(
    app: &TestApp,
    pid: Uuid,
) -> (
    catalog::storefront::Priced<catalog::storefront::ProductDetail>,
    usize,
) {
    let (db, n) = app.counting_statements();
    let page = catalog::storefront::priced_detail(
        &db,
        &db,
        &promotions::storefront_prices::PromotionsLivePrices::default(),
        pid,
        Utc::now(),
    )
    .await
    .expect("priced detail")
    .expect("visible");
    (page, n.load(std::sync::atomic::Ordering::SeqCst))
}

fn list_item(list: &Value, id: Uuid) -> &Value {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == id.to_string().as_str())
        .expect("product listed")
}

#[tokio::test]
async fn live_campaign_prices_and_badges_show_on_product_reads_as_the_cart_charges() {
    let s = shop().await;
    let now = Utc::now();
    let ends = whole_second(now + Duration::days(2));
    let kimchi_week = campaign(
        &s.marketer,
        "kimchi-week",
        now - Duration::hours(1),
        ends,
        Some((s.product, 10)),
        json!([]),
    )
    .await;
    // A time deal beats the campaign price on the larger variant (read from a page that
    // is cached now: the deal's event must retire it).
    let before = s
        .app
        .client
        .get(&format!("/v1/products/{}", s.product))
        .await;
    let big = before.json["variants"][1]["id"]
        .as_str()
        .expect("variant")
        .to_owned();
    let deal_ends = whole_second(now + Duration::hours(5));
    let r = s
        .marketer
        .post(
            "/v1/marketing/time-deals",
            &json!({"variant_id": big, "campaign_id": kimchi_week, "deal_price": 24000,
                    "starts_at": kst(now - Duration::minutes(1)), "ends_at": kst(deal_ends),
                    "quantity": 10}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // A campaign by membership rule only: a badge, no price.
    let other = s
        .app
        .product(
            &s.vendor,
            s.category,
            "순무 깍두기",
            &["깍두기"],
            &[("KK-1", 12000, 5)],
        )
        .await;
    campaign(
        &s.marketer,
        "kkakdugi",
        now - Duration::hours(1),
        now + Duration::days(1),
        None,
        json!([{"kind": "tag", "tag": "깍두기"}]),
    )
    .await;
    let plain = s
        .app
        .product(
            &s.vendor,
            s.category,
            "순무 장아찌",
            &[],
            &[("JJ-1", 9000, 5)],
        )
        .await;
    s.app.settle().await;

    let page = s
        .app
        .client
        .get(&format!("/v1/products/{}", s.product))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let p = &page.json;
    assert_eq!(p["price"], 20000);
    assert_eq!(p["sale_price"], 18000);
    assert_eq!(p["discount_percent"], 10);
    assert_eq!(p["promotion"]["campaign"]["slug"], "kimchi-week");
    assert_eq!(p["promotion"]["campaign"]["title"], "기획전 kimchi-week");
    assert_eq!(p["promotion"]["campaign"]["ends_at"], kst(ends));
    assert_eq!(p["promotion"]["time_deal"]["variant_id"], big.as_str());
    assert_eq!(p["promotion"]["time_deal"]["ends_at"], kst(deal_ends));
    assert_eq!(p["variants"][0]["sale_price"], 18000);
    assert_eq!(p["variants"][0]["discount_percent"], 10);
    assert_eq!(p["variants"][1]["sale_price"], 24000);
    assert_eq!(p["variants"][1]["discount_percent"], 20);

    let badge_only = s.app.client.get(&format!("/v1/products/{other}")).await;
    assert_eq!(badge_only.json["sale_price"], Value::Null);
    assert_eq!(
        badge_only.json["promotion"]["campaign"]["slug"], "kkakdugi",
        "{}",
        badge_only.body
    );
    let none = s.app.client.get(&format!("/v1/products/{plain}")).await;
    assert_eq!(none.json["promotion"], Value::Null);
    assert_eq!(none.json["sale_price"], Value::Null);
    assert_eq!(none.json["variants"][0].get("sale_price"), None);

    let list = s.app.client.get("/v1/products").await;
    assert_eq!(list.status, 200, "{}", list.body);
    let item = list_item(&list.json, s.product);
    assert_eq!(item["sale_price"], 18000);
    assert_eq!(item["discount_percent"], 10);
    assert_eq!(item["promotion"]["campaign"]["slug"], "kimchi-week");
    assert_eq!(
        list_item(&list.json, other)["promotion"]["campaign"]["slug"],
        "kkakdugi"
    );
    assert_eq!(list_item(&list.json, plain)["promotion"], Value::Null);

    // The cart charges what the page shows, variant by variant.
    let (c, _) = s.app.account(Role::Customer, None).await;
    for (i, v) in p["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .enumerate()
    {
        let vid = v["id"].as_str().expect("variant id");
        let cart = c
            .put(
                &format!("/v1/carts/current/lines/{vid}"),
                &json!({"quantity": 1}),
            )
            .await;
        assert_eq!(cart.status, 200, "{}", cart.body);
        let line = cart.json["quote"]["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .find(|l| l["variant_id"] == vid)
            .expect("quoted line")
            .clone();
        assert_eq!(line["unit_price"], v["sale_price"], "variant {i}: {line}");
    }

    // Uncached, a page with a campaign price is quoted: the page, the campaigns and deals
    // concerning it, the variants' catalog facts and the pricing inputs.
    let (page, statements) = uncached_page(&s.app, s.product).await;
    assert!(page.value.sale_price.is_some(), "{:?}", page.value);
    assert_eq!(statements, 4);
}

/// Membership by category reaches products of its sub-categories, by vendor the vendor's
/// products, and neither reaches anything else (the tag rule is shown above).
#[tokio::test]
async fn category_and_vendor_rules_badge_the_products_they_match() {
    let s = shop().await;
    let now = Utc::now();
    let seafood = s.app.category("seafood", None, &[]).await;
    let crab = s.app.category("crab", Some(seafood), &[]).await;
    let fishery = s.app.vendor("옹진수산").await;
    let in_sub = s
        .app
        .product(&s.vendor, crab, "꽃게장", &[], &[("CRAB-1", 39000, 5)])
        .await;
    let by_vendor = s
        .app
        .product(
            &fishery,
            s.category,
            "어리굴젓",
            &[],
            &[("GUL-1", 15000, 5)],
        )
        .await;
    for (slug, membership) in [
        ("seafood-week", json!([{"kind": "category", "id": seafood}])),
        ("ongjin-week", json!([{"kind": "vendor", "id": fishery.id}])),
    ] {
        campaign(
            &s.marketer,
            slug,
            now - Duration::hours(1),
            now + Duration::days(1),
            None,
            membership,
        )
        .await;
    }
    s.app.settle().await;
    let badge = |pid: Uuid| {
        let client = &s.app.client;
        async move {
            let page = client.get(&format!("/v1/products/{pid}")).await;
            assert_eq!(page.status, 200, "{}", page.body);
            page.json["promotion"]["campaign"]["slug"].clone()
        }
    };
    assert_eq!(badge(in_sub).await, "seafood-week");
    assert_eq!(badge(by_vendor).await, "ongjin-week");
    assert_eq!(badge(s.product).await, Value::Null);
    // The list page judges the same rules from the facts its own statement reads.
    let listed = s.app.client.get("/v1/products").await;
    let slug = |pid: Uuid| list_item(&listed.json, pid)["promotion"]["campaign"]["slug"].clone();
    assert_eq!(slug(in_sub), "seafood-week");
    assert_eq!(slug(by_vendor), "ongjin-week");
    assert_eq!(slug(s.product), Value::Null);

    // Uncached, a page the rules alone reach reads no product facts beyond its own
    // statement, and quotes nothing (no campaign price or deal can lower its price): the
    // page, and the campaigns and deals concerning it.
    let (page, statements) = uncached_page(&s.app, in_sub).await;
    assert_eq!(
        page.value.promotion.map(|b| b.campaign.map(|c| c.slug)),
        Some(Some("seafood-week".to_owned()))
    );
    assert_eq!(statements, 2);
}

#[tokio::test]
async fn an_early_end_takes_the_campaign_price_off_cached_reads() {
    let s = shop().await;
    let now = Utc::now();
    let id = campaign(
        &s.marketer,
        "ends-early",
        now - Duration::hours(1),
        now + Duration::days(2),
        Some((s.product, 25)),
        json!([]),
    )
    .await;
    s.app.settle().await;
    let path = format!("/v1/products/{}", s.product);
    // Twice: the second read is a cache hit.
    for _ in 0..2 {
        assert_eq!(s.app.client.get(&path).await.json["sale_price"], 15000);
        assert_eq!(
            list_item(&s.app.client.get("/v1/products").await.json, s.product)["sale_price"],
            15000
        );
    }

    let r = s
        .marketer
        .post(&format!("/v1/marketing/campaigns/{id}/end"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    s.app.settle().await;
    let page = s.app.client.get(&path).await;
    assert_eq!(page.json["sale_price"], Value::Null, "{}", page.body);
    assert_eq!(page.json["promotion"], Value::Null);
    assert_eq!(page.json["variants"][0].get("sale_price"), None);
    let item = list_item(&s.app.client.get("/v1/products").await.json, s.product).clone();
    assert_eq!(item["sale_price"], Value::Null, "{item}");
    assert_eq!(item["promotion"], Value::Null);
}

#[tokio::test]
async fn a_cached_product_page_never_outlives_the_next_campaign_boundary() {
    let s = shop().await;
    let starts = whole_second(Utc::now() + Duration::seconds(30));
    campaign(
        &s.marketer,
        "soon",
        starts,
        starts + Duration::days(1),
        Some((s.product, 10)),
        json!([]),
    )
    .await;
    s.app.settle().await;
    let page = s
        .app
        .client
        .get(&format!("/v1/products/{}", s.product))
        .await;
    assert_eq!(page.json["sale_price"], Value::Null, "{}", page.body);
    // Read before the TTL, so that it is not less than what is left when Redis answers.
    let left = (starts - Utc::now()).num_milliseconds();
    let mut conn = s.app.redis().conn();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(s.app.redis().key(&catalog::cache::product_key(s.product)))
        .query_async(&mut conn)
        .await
        .expect("pttl");
    // A few milliseconds of slack for the clocks' rounding; the default is 300 s.
    assert!(
        ttl > 0 && ttl <= left + 5,
        "cached for {ttl} ms, the campaign starts in {left} ms"
    );
}

/// A campaign for certified vendors: its page shows the product at the same sale price as
/// the product page (both price through `storefront_prices::unit_prices`, the campaign page
/// with the vendor's real certification rather than `certified: false`).
#[tokio::test]
async fn a_certified_only_campaign_shows_the_product_page_sale_price_on_its_page() {
    let s = shop().await;
    let now = Utc::now();
    let cert = s
        .vendor
        .client
        .post(
            "/v1/vendor/certifications",
            &json!({"kind": "HACCP", "number": "1", "issued_on": "2025-01-01",
                    "expires_on": "2099-01-01"}),
        )
        .await;
    assert_eq!(cert.status, 201, "{}", cert.body);
    let (admin, _) = s.app.account(Role::Admin, None).await;
    let r = admin
        .post(
            &format!(
                "/v1/admin/certifications/{}/verify",
                cert.json["id"].as_str().expect("id")
            ),
            &json!({}),
        )
        .await;
    assert!(r.status < 300, "{}", r.body);
    // Members by the rule alone: the certified vendor's other product is in, an
    // uncertified vendor's is not.
    let by_rule = s
        .app
        .product(
            &s.vendor,
            s.category,
            "순무청",
            &[],
            &[("CHEONG-1", 9000, 5)],
        )
        .await;
    let other = s.app.vendor("무인증농장").await;
    let uncertified = s
        .app
        .product(&other, s.category, "무김치", &[], &[("MU-1", 9000, 5)])
        .await;
    campaign(
        &s.marketer,
        "haccp-week",
        now - Duration::hours(1),
        now + Duration::days(1),
        Some((s.product, 15)),
        json!([{"kind": "certified"}]),
    )
    .await;
    s.app.settle().await;
    let product = s
        .app
        .client
        .get(&format!("/v1/products/{}", s.product))
        .await;
    assert_eq!(product.status, 200, "{}", product.body);
    assert_eq!(product.json["sale_price"], 17000);
    for (pid, badge) in [(by_rule, json!("haccp-week")), (uncertified, Value::Null)] {
        let page = s.app.client.get(&format!("/v1/products/{pid}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(
            page.json["promotion"]["campaign"]["slug"], badge,
            "{}",
            page.body
        );
    }
    let page = s.app.client.get("/v1/campaigns/haccp-week").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let shown: Vec<&Value> = page.json["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|s| s["products"].as_array().expect("products"))
        .chain(page.json["members"].as_array().expect("members"))
        .filter(|p| p["product_id"] == s.product.to_string().as_str())
        .collect();
    assert!(!shown.is_empty(), "{}", page.body);
    for p in shown {
        assert_eq!(p["price"], product.json["sale_price"], "{p}");
        assert_eq!(p["list_price"], product.json["price"], "{p}");
    }
}

/// The product page's price, as a process holding its own copy of what is on promotion
/// shows it (`promotions::live_set`), uncached.
async fn held_price(
    s: &Shop,
    held: &promotions::storefront_prices::PromotionsLivePrices,
) -> Option<platform::money::Won> {
    catalog::storefront::priced_detail(
        &s.app.state.autocommit,
        &s.app.state.db,
        held,
        s.product,
        Utc::now(),
    )
    .await
    .expect("priced detail")
    .expect("visible")
    .value
    .sale_price
}

/// A live campaign with the shop's product at 25 % off (20,000 won becomes 15,000).
async fn quarter_off_now(s: &Shop, slug: &str) {
    let now = Utc::now();
    let window = (now - Duration::hours(1), now + Duration::days(1));
    campaign(
        &s.marketer,
        slug,
        window.0,
        window.1,
        Some((s.product, 25)),
        json!([]),
    )
    .await;
}

#[tokio::test]
async fn a_process_holding_promotions_in_memory_shows_its_own_changes_at_once() {
    let s = shop().await;
    // The app's own Redis handle: the process that makes the change.
    let held = promotions::storefront_prices::PromotionsLivePrices::held_in(s.app.redis().clone());
    assert_eq!(
        held_price(&s, &held).await,
        None,
        "nothing on promotion yet"
    );
    quarter_off_now(&s, "held-here").await;
    assert_eq!(
        held_price(&s, &held).await,
        Some(platform::money::Won(15000)),
        "the writer's process drops its copy right after the commit"
    );
}

#[tokio::test]
async fn another_process_sees_a_promotions_change_within_a_second() {
    let s = shop().await;
    // A handle of its own on the same Redis keys: another replica, which learns of the
    // change only through the Redis generation.
    let elsewhere =
        platform::kv::Redis::connect_url(s.app.state.config.redis_url(), s.app.redis().prefix())
            .await
            .expect("redis");
    let held = promotions::storefront_prices::PromotionsLivePrices::held_in(elsewhere);
    assert_eq!(held_price(&s, &held).await, None);
    quarter_off_now(&s, "held-elsewhere").await;
    let changed = std::time::Instant::now();
    loop {
        if held_price(&s, &held).await == Some(platform::money::Won(15000)) {
            break;
        }
        assert!(
            changed.elapsed()
                < platform::local_cache::MAX_AGE + std::time::Duration::from_millis(500),
            "another process still shows no campaign price {:?} after the change",
            changed.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A cart page quotes with the process's copy of what is on promotion: a cart of products
/// on no promotion sends Postgres nothing for its promotions, and a campaign price added
/// through the API is in the very next quote.
#[tokio::test]
async fn a_cart_quote_reads_no_promotions_for_products_on_none_and_follows_a_new_price() {
    use orders::carts::{self, Owner};
    use std::sync::atomic::Ordering;
    let s = shop().await;
    let held = promotions::live_set::LiveSet::new(s.app.redis().clone());
    let remote = orders::remote_areas::RemoteAreas::default();
    let kept = orders::quoting::Kept {
        remote_areas: &remote,
        promotions: Some(&held),
    };
    let vid = crate::checkout::variant(&s.app, s.product).await;
    let (_, customer) = s.app.account(Role::Customer, None).await;
    let (db, n) = s.app.counting_statements();
    let (cart, found) = carts::write(
        &db,
        &Owner::Customer(customer),
        vid,
        Some(platform::quantity::Quantity::clamped(1)),
    )
    .await
    .expect("line");
    let quote = || carts::view_known(&db, kept, &cart, found.clone(), None, Default::default());
    // The first quote reads the copy and the remote-area table.
    quote().await.expect("quote");
    n.store(0, Ordering::SeqCst);
    let plain = quote().await.expect("quote");
    assert_eq!(n.load(Ordering::SeqCst), 0, "statements for a plain cart");
    assert_eq!(plain.quote.totals.promotion_discount.get(), 0);

    quarter_off_now(&s, "cart-copy").await;
    let promoted = quote().await.expect("quote");
    assert_eq!(
        promoted.quote.totals.promotion_discount.get(),
        5000,
        "25 % off 20,000 won, in the quote right after the change"
    );
}
