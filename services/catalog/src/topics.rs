//! The catalog's outbox event topics.

use platform::outbox::Schema;

/// The outbox the catalog writes its events to: `OUTBOX.emit(txn, topic, id, payload)`.
pub const OUTBOX: Schema = Schema::Catalog;

pub const PRODUCT_CREATED: &str = "catalog.product.created";
pub const PRODUCT_UPDATED: &str = "catalog.product.updated";
pub const PRODUCT_ARCHIVED: &str = "catalog.product.archived";
pub const STOCK_CHANGED: &str = "catalog.stock.changed";
pub const VENDOR_APPROVED: &str = "catalog.vendor.approved";
pub const VENDOR_SUSPENDED: &str = "catalog.vendor.suspended";
pub const VENDOR_UPDATED: &str = "catalog.vendor.updated";
pub const CERTIFICATION_CHANGED: &str = "catalog.certification.changed";
pub const CATEGORY_CHANGED: &str = "catalog.category.changed";

/// Every catalog topic: what the catalog's cache and the search index follow.
pub const ALL: [&str; 9] = [
    PRODUCT_CREATED,
    PRODUCT_UPDATED,
    PRODUCT_ARCHIVED,
    STOCK_CHANGED,
    VENDOR_APPROVED,
    VENDOR_SUSPENDED,
    VENDOR_UPDATED,
    CERTIFICATION_CHANGED,
    CATEGORY_CHANGED,
];
