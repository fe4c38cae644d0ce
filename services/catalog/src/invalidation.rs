//! The cache follows the event stream: whatever process changed the catalog, every
//! cached read that shows it is dropped. Handlers also invalidate right after their
//! commit; this consumer covers the rest (a crash between commit and invalidation, or a
//! change made by another process such as checkout reserving stock).

use crate::cache;
use crate::store::product;
use crate::topics;
use platform::AppState;
use platform::events::{self, Event};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

pub const GROUP: &str = "catalog-cache";

pub async fn handle(state: AppState, ev: Event) -> Result<(), sea_orm::DbErr> {
    let state = &state;
    match ev.topic.as_str() {
        topics::PRODUCT_CREATED
        | topics::PRODUCT_UPDATED
        | topics::PRODUCT_ARCHIVED
        | topics::STOCK_CHANGED => {
            cache::invalidate_products(&state.redis, &[ev.aggregate_id]).await;
        }
        topics::VENDOR_APPROVED
        | topics::VENDOR_SUSPENDED
        | topics::VENDOR_UPDATED
        | topics::CERTIFICATION_CHANGED => {
            let ids: Vec<Uuid> = product::Entity::find()
                .select_only()
                .column(product::Column::Id)
                .filter(product::Column::VendorId.eq(ev.aggregate_id))
                .into_tuple()
                .all(&state.db)
                .await?;
            cache::invalidate_vendor(&state.redis, ev.aggregate_id, &ids).await;
        }
        topics::CATEGORY_CHANGED => cache::invalidate_categories(&state.redis).await,
        // Promotions' topics (the catalog cannot name its constants: promotions depends on
        // the catalog). Coupons do not change shown prices; the stacking policy can (it
        // decides whether a time deal beats a campaign price).
        t if t.starts_with("promotions.campaign.")
            || t == "promotions.prices.changed"
            || t == "promotions.stacking_policy.changed" =>
        {
            cache::invalidate_promotions(&state.redis).await;
        }
        _ => {}
    }
    Ok(())
}

/// Run the invalidation consumer until `stop` flips.
pub async fn run(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    events::run_app_consumer(state, GROUP, handle, stop).await;
}
