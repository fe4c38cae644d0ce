//! The catalog's outbox event topics.

pub const PRODUCT_CREATED: &str = "catalog.product.created";
pub const PRODUCT_UPDATED: &str = "catalog.product.updated";
pub const PRODUCT_ARCHIVED: &str = "catalog.product.archived";
pub const STOCK_CHANGED: &str = "catalog.stock.changed";
pub const VENDOR_APPROVED: &str = "catalog.vendor.approved";
pub const VENDOR_SUSPENDED: &str = "catalog.vendor.suspended";
pub const VENDOR_UPDATED: &str = "catalog.vendor.updated";
pub const CERTIFICATION_CHANGED: &str = "catalog.certification.changed";
pub const CATEGORY_CHANGED: &str = "catalog.category.changed";

use platform::outbox::{self, Schema};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

pub async fn emit(
    db: &impl ConnectionTrait,
    topic: &str,
    aggregate_id: Uuid,
    payload: serde_json::Value,
) -> Result<(), DbErr> {
    outbox::enqueue(db, Schema::Catalog, topic, aggregate_id, payload)
        .await
        .map(|_| ())
}
