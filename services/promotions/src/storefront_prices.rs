//! The catalog's [`LivePrices`]: the campaign prices and badges its product reads show,
//! priced by the same engine and from the same catalog facts as the cart, so that a
//! product page never shows a price the cart would not charge.

use crate::cart_input;
use crate::error::PromotionsError;
use crate::live_set::LiveSet;
use crate::membership;
use crate::pricing::{
    self, CartLine, Destination, LineQuote, LivePromotions, PricingError, PromotionRef,
    QuoteRequest, RemoteAreaTable, StackingPolicy, VendorShipping,
};
use crate::seoul;
use crate::store::campaign;
use catalog::campaign_prices::{
    CampaignRef, LivePrices, LivePricing, ProductPromotion, PromotedPrice, PromotionBadge,
    TimeDealRef,
};
use catalog::error::{CatalogError, CatalogResult};
use catalog::listing::ProductFacts;
use catalog::purchasable;
use chrono::{DateTime, Utc};
use platform::kv::Redis;
use platform::money::Won;
use platform::quantity::Quantity;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// Plugged into the catalog router by every process that serves it. With a [`LiveSet`],
/// what is on promotion is read from this process's copy; without one (`default()`),
/// from Postgres on every read.
#[derive(Default)]
pub struct PromotionsLivePrices {
    held: Option<Arc<LiveSet>>,
}

impl PromotionsLivePrices {
    /// With a copy of its own.
    pub fn held_in(redis: Redis) -> PromotionsLivePrices {
        PromotionsLivePrices::sharing(Arc::new(LiveSet::new(redis)))
    }

    /// With the process's copy, which its cart quotes read too.
    pub fn sharing(held: Arc<LiveSet>) -> PromotionsLivePrices {
        PromotionsLivePrices { held: Some(held) }
    }
}

#[async_trait::async_trait]
impl LivePrices for PromotionsLivePrices {
    async fn live_prices(
        &self,
        db: &DatabaseConnection,
        products: &[ProductFacts],
        at: DateTime<Utc>,
    ) -> CatalogResult<LivePricing> {
        live_prices(db, self.held.as_deref(), products, at).await
    }
}

fn to_catalog(err: PromotionsError) -> CatalogError {
    match err {
        PromotionsError::Db(e) => CatalogError::Db(e),
        other => CatalogError::LivePrices(other.to_string()),
    }
}

/// What one unit of each of `lines` costs at `at` as the cart would charge it (no coupon,
/// no earlier deal purchases), quoted in a stable order so that equal reads give equal
/// pages. The one place the promoted price of a product is computed: the product page
/// ([`live_prices`]) and the campaign page (`crate::page`) both read it.
pub fn unit_prices(
    live: &LivePromotions,
    policy: &StackingPolicy,
    mut lines: Vec<CartLine>,
    shipping: &[VendorShipping],
    at: DateTime<Utc>,
) -> Result<Vec<LineQuote>, PricingError> {
    if lines.is_empty() {
        return Ok(Vec::new());
    }
    lines.sort_by_key(|l| (l.product_id, l.variant_id));
    let quote = pricing::quote(
        live,
        &RemoteAreaTable::default(),
        policy,
        &QuoteRequest {
            at,
            lines: &lines,
            shipping,
            coupons: &[],
            // Unit prices do not depend on the address; any non-remote code will do.
            destination: &Destination::postal(Destination::NON_REMOTE),
            deal_purchases: &[],
        },
    )?;
    Ok(quote.lines)
}

/// The promotions of `products` at `at`: per product its badge and the variants a live
/// campaign price or time deal makes cheaper (one unit, no coupon), and when that changes
/// by itself next.
#[tracing::instrument(skip_all, fields(products = products.len()))]
pub async fn live_prices(
    db: &impl ConnectionTrait,
    held: Option<&LiveSet>,
    products: &[ProductFacts],
    at: DateTime<Utc>,
) -> CatalogResult<LivePricing> {
    if products.is_empty() {
        return Ok(LivePricing::default());
    }
    let product_ids: &[Uuid] = &products.iter().map(|p| p.id).collect::<Vec<_>>();
    let membership::Concerning {
        campaigns,
        deals,
        prices,
    } = match held {
        Some(held) => held.campaigns_and_deals_of(db, products, at).await,
        None => membership::campaigns_and_deals_of(db, products, at).await,
    }
    .map_err(to_catalog)?;
    let next_change = campaigns
        .values()
        .flatten()
        .map(|c| (c.starts_at, c.ends_at))
        .chain(deals.iter().map(|d| (d.starts_at, d.ends_at)))
        .map(|(starts, ends)| if starts > at { starts } else { ends })
        .min();
    let live_campaign = campaigns.values().flatten().any(|c| c.starts_at <= at);
    let live_deal = deals.iter().any(|d| d.starts_at <= at);
    if !live_campaign && !live_deal {
        return Ok(LivePricing {
            products: HashMap::new(),
            next_change,
        });
    }

    // Only a campaign price or a time deal changes what a product costs: a product a
    // campaign holds by its rules or a slot alone takes its badge, and needs no quote.
    let priced: Vec<Uuid> = product_ids
        .iter()
        .copied()
        .filter(|pid| {
            let members = campaigns.get(pid).map_or(&[][..], Vec::as_slice);
            members
                .iter()
                .any(|c| c.starts_at <= at && prices.contains(&(c.id, *pid)))
                || deals
                    .iter()
                    .any(|d| d.product_id == *pid && d.starts_at <= at)
        })
        .collect();
    let quoted = if priced.is_empty() {
        Vec::new()
    } else {
        quote_units(db, &priced, at).await?
    };

    let mut products: HashMap<Uuid, ProductPromotion> = HashMap::new();
    // Per product: the campaign of its cheapest promoted variant, which names the badge,
    // and the cheapest variant a time deal prices.
    let mut shown: HashMap<Uuid, (Won, Option<Uuid>)> = HashMap::new();
    let mut on_deal: HashMap<Uuid, (Won, TimeDealRef)> = HashMap::new();
    for l in &quoted {
        let Some(applied) = &l.applied else { continue };
        if l.unit_price >= l.list_unit_price {
            continue;
        }
        products.entry(l.product_id).or_default().variants.insert(
            l.variant_id,
            PromotedPrice {
                list: l.list_unit_price,
                price: l.unit_price,
            },
        );
        if shown
            .get(&l.product_id)
            .is_none_or(|(price, _)| l.unit_price < *price)
        {
            shown.insert(
                l.product_id,
                (l.unit_price, applied.promotion.campaign_id()),
            );
        }
        if let PromotionRef::TimeDeal { deal_id, .. } = &applied.promotion
            && let Some(d) = deals.iter().find(|d| d.id == *deal_id)
            && on_deal
                .get(&l.product_id)
                .is_none_or(|(price, _)| l.unit_price < *price)
        {
            let deal = TimeDealRef {
                id: d.id,
                variant_id: l.variant_id,
                ends_at: seoul::show(d.ends_at),
            };
            on_deal.insert(l.product_id, (l.unit_price, deal));
        }
    }
    for &pid in product_ids {
        let members: &[Arc<campaign::Model>] = campaigns.get(&pid).map_or(&[], Vec::as_slice);
        let live_members = || members.iter().filter(|c| c.starts_at <= at);
        let campaign = shown
            .get(&pid)
            .and_then(|(_, id)| *id)
            .and_then(|id| live_members().find(|c| c.id == id))
            .or_else(|| live_members().next())
            .map(|c| CampaignRef {
                id: c.id,
                slug: c.slug.clone(),
                title: c.title.clone(),
                ends_at: seoul::show(c.ends_at),
            });
        let time_deal = on_deal.remove(&pid).map(|(_, d)| d);
        if campaign.is_some() || time_deal.is_some() {
            products.entry(pid).or_default().badge = Some(PromotionBadge {
                campaign,
                time_deal,
            });
        }
    }
    Ok(LivePricing {
        products,
        next_change,
    })
}

/// One unit of every sellable variant of `product_ids` at `at`, quoted as the cart would.
async fn quote_units(
    db: &impl ConnectionTrait,
    product_ids: &[Uuid],
    at: DateTime<Utc>,
) -> CatalogResult<Vec<LineQuote>> {
    // The lines the cart would quote, one unit of every sellable variant.
    let items = purchasable::load_products(db, product_ids).await?;
    let sellable: Vec<_> = items.iter().filter(|p| p.sellable && p.price > 0).collect();
    let lines: Vec<CartLine> = sellable
        .iter()
        .map(|p| cart_input::cart_line(p, Quantity::ONE))
        .collect();
    let shipping = cart_input::vendor_shipping(sellable.iter().copied());
    // The stored policy decides, e.g., whether a time deal beats a campaign price: the
    // page must show what the cart will charge.
    let crate::PricingInputs { live, policy } = crate::pricing_inputs(db, at, product_ids)
        .await
        .map_err(to_catalog)?;
    unit_prices(&live, &policy, lines, &shipping, at)
        .map_err(|e| CatalogError::LivePrices(e.to_string()))
}
