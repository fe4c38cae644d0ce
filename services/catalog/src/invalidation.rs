//! The cache follows the event stream: whatever process changed the catalog, every
//! cached read that shows it is dropped. Handlers also invalidate right after their
//! commit; this consumer covers the rest (a crash between commit and invalidation, or a
//! change made by another process such as checkout reserving stock).

use crate::cache::{self, Lists};
use crate::stock;
use crate::store::product;
use crate::topics;
use platform::AppState;
use platform::events::{self, Event};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

pub const GROUP: &str = "catalog-cache";

/// The promotions topics that change shown prices, which the cache follows beside every
/// catalog topic ([`topics::ALL`]; the catalog cannot name promotions' constants, since
/// promotions depends on the catalog). Coupons do not change shown prices; the stacking
/// policy can (it decides whether a time deal beats a campaign price).
const PROMOTIONS_TOPICS: [&str; 6] = [
    "promotions.campaign.changed",
    "promotions.campaign.scheduled",
    "promotions.campaign.live",
    "promotions.campaign.ended",
    "promotions.prices.changed",
    "promotions.stacking_policy.changed",
];

/// The topics that change every product page of the vendor (the aggregate): trade name,
/// approval and badges are on each.
fn names_vendor(topic: &str) -> bool {
    matches!(
        topic,
        topics::VENDOR_APPROVED
            | topics::VENDOR_SUSPENDED
            | topics::VENDOR_UPDATED
            | topics::CERTIFICATION_CHANGED
    )
}

/// Whether a stock event can change a list page. A list shows whether each product is in
/// stock and may be sorted by popularity, so it changes when a variant's availability
/// crosses zero, and when units are sold: a sale leaves availability where it was (the
/// held units leave `on_hand` and `reserved` together) and counts towards popularity in
/// the same transaction. A hold or a release that leaves units on the shelf shows on the
/// product's page only; under checkout load those are nearly all stock events, and each
/// used to empty every cached list.
fn stock_shows_on_lists(payload: &serde_json::Value) -> bool {
    stock::in_stock_may_have_changed(payload)
        || stock::availability_moved(payload).is_some_and(|(before, after)| before == after)
}

/// Drop the cached reads a read of events changed, and answer one outcome per event, in
/// order. The pages the events name go in one Redis round trip with one generation bump,
/// and the vendors' products are read in one statement: checkout's stock events (one per
/// line) are most of the stream under load, and one round trip each made this consumer
/// the busiest Redis client of a checkout. Only the vendors' events fail when their
/// products cannot be read (and are retried); the rest of the read is invalidated. The
/// list pages go only when an event can change one ([`stock_shows_on_lists`]).
pub async fn handle_batch(state: &AppState, events: &[Event]) -> Vec<Result<(), sea_orm::DbErr>> {
    let mut products: Vec<Uuid> = Vec::new();
    let mut vendors: Vec<Uuid> = Vec::new();
    let (mut categories, mut promotions) = (false, false);
    let mut lists = Lists::Keep;
    for ev in events {
        match ev.topic.as_str() {
            topics::STOCK_CHANGED => {
                products.push(ev.aggregate_id);
                if stock_shows_on_lists(&ev.payload) {
                    lists = Lists::Retire;
                }
            }
            topics::PRODUCT_CREATED | topics::PRODUCT_UPDATED | topics::PRODUCT_ARCHIVED => {
                products.push(ev.aggregate_id);
                lists = Lists::Retire;
            }
            t if names_vendor(t) => {
                vendors.push(ev.aggregate_id);
                lists = Lists::Retire;
            }
            topics::CATEGORY_CHANGED => categories = true,
            // The promotions topics of [`PROMOTIONS_TOPICS`].
            t if t.starts_with("promotions.") => promotions = true,
            _ => {}
        }
    }
    vendors.sort_unstable();
    vendors.dedup();
    let of_vendors = if vendors.is_empty() {
        Ok(Vec::new())
    } else {
        product::Entity::find()
            .select_only()
            .column(product::Column::Id)
            .filter(product::Column::VendorId.is_in(vendors.iter().copied()))
            .into_tuple::<Uuid>()
            .all(&state.db)
            .await
    };
    match &of_vendors {
        Ok(ids) => products.extend(ids),
        Err(_) => vendors.clear(),
    }
    products.sort_unstable();
    products.dedup();
    if !products.is_empty() || !vendors.is_empty() {
        cache::invalidate_sellers(&state.redis, &vendors, &products, lists).await;
    }
    if categories {
        cache::invalidate_categories(&state.redis).await;
    }
    if promotions {
        cache::invalidate_promotions(&state.redis).await;
    }
    events
        .iter()
        .map(|ev| match &of_vendors {
            Err(err) if names_vendor(&ev.topic) => Err(err.clone()),
            _ => Ok(()),
        })
        .collect()
}

/// Run the invalidation consumer until `stop` flips.
pub async fn run(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    let redis = state.redis.clone();
    let handler = move |evs: Vec<Event>| {
        let state = state.clone();
        async move { handle_batch(&state, &evs).await }
    };
    let followed = [topics::ALL.as_slice(), &PROMOTIONS_TOPICS].concat();
    events::run_batch_consumer(redis, GROUP, &followed, handler, stop).await;
}
