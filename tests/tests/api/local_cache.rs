//! The in-process cache in front of Redis: every replica keeps the hottest answers itself
//! for under a second, so a change made through one replica reaches another's answers
//! within a second, and the writer's own answers at once.

use jikgu_tests::{TestApp, replica, spawn_app};
use serde_json::json;
use std::time::{Duration, Instant};

/// Ask `app` for the product's title until it is `want`; how long that took.
async fn until_title(app: &TestApp, pid: uuid::Uuid, want: &str) -> Duration {
    let start = Instant::now();
    loop {
        let page = app.client.get(&format!("/v1/products/{pid}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        if page.json["title"] == want {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "still {} after 5 s",
            page.json["title"]
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_change_through_one_replica_reaches_the_others_answers_within_a_second() {
    let app = spawn_app().await;
    let other = replica(&app).await;
    let cat = app.category("kimchi", None, &[]).await;
    let v = app.vendor("강화순무농장").await;
    let pid = app
        .product(&v, cat, "강화순무김치", &[], &[("K1", 15900, 10)])
        .await;
    app.settle().await;
    // Both replicas hold the page (and the first list page) in memory.
    for r in [&app, &other] {
        for _ in 0..3 {
            let page = r.client.get(&format!("/v1/products/{pid}")).await;
            assert_eq!(page.json["title"], "강화순무김치");
            let list = r.client.get("/v1/products?limit=20").await;
            assert_eq!(list.json["items"][0]["title"], "강화순무김치");
        }
    }

    let r = v
        .client
        .patch(
            &format!("/v1/vendor/products/{pid}"),
            &json!({"title": "강화순무김치 2kg"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let changed = Instant::now();
    // The writer's process sees its own change at once.
    let page = app.client.get(&format!("/v1/products/{pid}")).await;
    assert_eq!(page.json["title"], "강화순무김치 2kg");
    // The other replica within a second of the commit, page and list alike.
    until_title(&other, pid, "강화순무김치 2kg").await;
    loop {
        let list = other.client.get("/v1/products?limit=20").await;
        if list.json["items"][0]["title"] == "강화순무김치 2kg" {
            break;
        }
        assert!(changed.elapsed() < Duration::from_secs(5), "list still old");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        changed.elapsed() < Duration::from_secs(1),
        "the other replica took {:?}",
        changed.elapsed()
    );
}

#[tokio::test]
async fn a_page_carries_an_etag_and_a_revalidation_is_answered_not_modified() {
    let app = spawn_app().await;
    let cat = app.category("rice", None, &[]).await;
    let v = app.vendor("강화섬쌀").await;
    let pid = app
        .product(&v, cat, "강화섬쌀 10kg", &[], &[("R10", 39000, 10)])
        .await;
    let url = format!("http://{}/v1/products/{pid}", app.addr);
    let http = reqwest::Client::new();
    let first = http.get(&url).send().await.expect("get");
    assert_eq!(first.status(), 200);
    let etag = first
        .headers()
        .get("etag")
        .expect("an ETag")
        .to_str()
        .expect("ascii")
        .to_owned();
    let again = http
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("get");
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.expect("body").is_empty());
    let stale = http
        .get(&url)
        .header("if-none-match", "W/\"0000000000000000\"")
        .send()
        .await
        .expect("get");
    assert_eq!(stale.status(), 200);
}

/// While nothing changes, a replica serves its copy past `MAX_AGE` without asking Redis
/// for the page again; once any invalidation bumps the shared counter, it drops its copies
/// within a second.
#[tokio::test]
async fn a_copy_is_served_while_nothing_changes_and_dropped_when_the_counter_moves() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let cat = app.category("salt", None, &[]).await;
    let v = app.vendor("영종염전").await;
    let pid = app
        .product(&v, cat, "영종 천일염", &[], &[("S1", 12000, 10)])
        .await;
    app.settle().await;
    let first = app.client.get(&format!("/v1/products/{pid}")).await;
    assert_eq!(first.json["title"], "영종 천일염");

    // Behind the app's back: the row changes and the Redis copy goes, with no invalidation.
    // A read of Redis would now miss and rebuild the page from Postgres.
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE catalog.products SET title = '몰래 바뀐 소금' WHERE id = '{pid}'"
        ))
        .await
        .expect("update");
    let mut conn = app.redis().conn();
    let _: () = redis::cmd("DEL")
        .arg(app.redis().key(&format!("cache:product:{pid}")))
        .query_async(&mut conn)
        .await
        .expect("del");
    tokio::time::sleep(platform::local_cache::MAX_AGE * 2).await;
    let kept = app.client.get(&format!("/v1/products/{pid}")).await;
    assert_eq!(
        kept.json["title"], "영종 천일염",
        "the process's copy, still valid by the counter"
    );

    // Any invalidation elsewhere bumps the counter.
    let mut pipe = redis::pipe();
    app.redis().bump_local_generation(&mut pipe);
    let _: () = pipe.query_async(&mut conn).await.expect("incr");
    let bumped = Instant::now();
    until_title(&app, pid, "몰래 바뀐 소금").await;
    assert!(
        bumped.elapsed() < Duration::from_secs(1),
        "dropped after {:?}",
        bumped.elapsed()
    );
}
