//! Live campaign prices on the storefront's product reads.
//!
//! Campaigns, time deals and the pricing engine belong to promotions, which depends on the
//! catalog, so the catalog cannot call it. It says here what it needs, [`LivePrices`]; the
//! process that mounts the catalog router passes promotions' implementation in
//! ([`crate::router`]), or [`NoLivePrices`] where no promotions are wired: list prices.

use crate::error::CatalogResult;
use crate::listing::ProductFacts;
use chrono::{DateTime, FixedOffset, Utc};
use platform::money::Won;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// The campaign (기획전) a product is shown in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CampaignRef {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    /// Asia/Seoul (`+09:00`).
    pub ends_at: DateTime<FixedOffset>,
}

/// A time deal (타임딜) that sets one of the product's prices now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimeDealRef {
    pub id: Uuid,
    pub variant_id: Uuid,
    /// Asia/Seoul (`+09:00`).
    pub ends_at: DateTime<FixedOffset>,
}

/// The badge of a product in a live campaign or time deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PromotionBadge {
    /// The campaign whose price is shown, else the live campaign the product belongs to
    /// that ends first.
    pub campaign: Option<CampaignRef>,
    pub time_deal: Option<TimeDealRef>,
}

/// A variant's unit price before and after its live promotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromotedPrice {
    pub list: Won,
    pub price: Won,
}

impl PromotedPrice {
    /// `(list - price) × 100 / list`, rounded down.
    pub fn discount_percent(&self) -> u32 {
        if self.list.0 > 0 && self.price < self.list {
            ((self.list.0 - self.price.0) * 100 / self.list.0) as u32
        } else {
            0
        }
    }
}

/// What live promotions do to one product.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductPromotion {
    pub badge: Option<PromotionBadge>,
    /// The variants whose unit price a promotion lowers, as the cart would charge it.
    pub variants: HashMap<Uuid, PromotedPrice>,
}

impl ProductPromotion {
    /// The lowest promoted price over the variants.
    pub fn lowest(&self) -> Option<PromotedPrice> {
        self.variants
            .values()
            .min_by_key(|p| (p.price, p.list))
            .copied()
    }
}

/// The promotions of a set of products at an instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LivePricing {
    /// Products without any live promotion are absent.
    pub products: HashMap<Uuid, ProductPromotion>,
    /// The first instant after the one asked about at which a campaign or time deal
    /// concerning these products starts or ends: what is shown changes by itself then.
    pub next_change: Option<DateTime<Utc>>,
}

/// Live campaign prices and badges for the storefront, priced by the same engine the cart
/// uses so that a product page never shows a price the cart would not charge.
#[async_trait::async_trait]
pub trait LivePrices: Send + Sync {
    /// The live prices of `products`, given with the facts campaign membership rules
    /// judge (the page that shows them has just read them in its own statement).
    async fn live_prices(
        &self,
        db: &DatabaseConnection,
        products: &[ProductFacts],
        at: DateTime<Utc>,
    ) -> CatalogResult<LivePricing>;
}

/// For a catalog served without promotions: list prices only.
pub struct NoLivePrices;

#[async_trait::async_trait]
impl LivePrices for NoLivePrices {
    async fn live_prices(
        &self,
        _db: &DatabaseConnection,
        _products: &[ProductFacts],
        _at: DateTime<Utc>,
    ) -> CatalogResult<LivePricing> {
        Ok(LivePricing::default())
    }
}

/// The implementation in use, as a request extension (see [`crate::router`]).
#[derive(Clone)]
pub struct LivePricesHandle(pub Arc<dyn LivePrices>);
