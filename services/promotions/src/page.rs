//! The public campaign page and list: sections with their products priced by the pricing
//! engine at an instant, the campaign's time deals, and a countdown.
//!
//! A page is built for an instant `at`: now for everyone (cached per minute), or any
//! moment a marketer wants to preview ("preview at time T", drafts included).

use crate::campaigns::{self, membership_of};
use crate::error::PromotionsResult;
use crate::live;
use crate::membership;
use crate::prices;
use crate::pricing::{CartLine, LivePromotions, PromotionRef, StackingPolicy, VendorShipping};
use crate::seoul;
use crate::states::CampaignStatus;
use crate::store::{campaign, time_deal};
use crate::storefront_prices;
use chrono::{DateTime, FixedOffset, Utc};
use platform::money::Won;
use platform::quantity::Quantity;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Products listed from membership rules, besides the hand-placed slots.
const MEMBERS_LIMIT: u64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    Upcoming,
    Live,
    Ended,
}

/// The state of a campaign at `at`.
pub fn state_at(c: &campaign::Model, at: DateTime<Utc>) -> CampaignState {
    window_state(c.starts_at, c.ends_at, at)
}

/// The state of a window `[starts_at, ends_at)` at `at` (half-open, like the pricing
/// engine): campaigns, cached summaries and time deals all count their windows this way.
fn window_state(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> CampaignState {
    if at < starts_at {
        CampaignState::Upcoming
    } else if at < ends_at {
        CampaignState::Live
    } else {
        CampaignState::Ended
    }
}

/// Seconds until the start (upcoming) or the end (live); 0 once ended.
pub fn countdown(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, at: DateTime<Utc>) -> i64 {
    if at < starts_at {
        (starts_at - at).num_seconds()
    } else if at < ends_at {
        (ends_at - at).num_seconds()
    } else {
        0
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CampaignSummary {
    pub id: Uuid,
    pub title: String,
    pub slug: String,
    pub theme: String,
    pub banner_pc: Option<String>,
    pub banner_mobile: Option<String>,
    /// Asia/Seoul (`+09:00`).
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    pub state: CampaignState,
    /// Seconds until the start (upcoming) or the end (live).
    pub countdown_seconds: i64,
}

impl CampaignSummary {
    pub fn of(c: &campaign::Model, at: DateTime<Utc>) -> Self {
        CampaignSummary {
            id: c.id,
            title: c.title.clone(),
            slug: c.slug.clone(),
            theme: c.theme.clone(),
            banner_pc: c.banner_pc.clone(),
            banner_mobile: c.banner_mobile.clone(),
            starts_at: seoul::show(c.starts_at),
            ends_at: seoul::show(c.ends_at),
            state: state_at(c, at),
            countdown_seconds: countdown(c.starts_at, c.ends_at, at),
        }
    }

    /// Recompute the state and countdown for another instant (a cached summary).
    pub fn at(mut self, at: DateTime<Utc>) -> Self {
        let (s, e) = (
            self.starts_at.with_timezone(&Utc),
            self.ends_at.with_timezone(&Utc),
        );
        self.state = window_state(s, e, at);
        self.countdown_seconds = countdown(s, e, at);
        self
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VendorRef {
    pub id: Uuid,
    pub trade_name: String,
}

/// The promotion that sets a product's shown price.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AppliedRef {
    CampaignPrice {
        price_id: Uuid,
        campaign_id: Uuid,
        campaign_title: String,
    },
    TimeDeal {
        deal_id: Uuid,
        campaign_id: Option<Uuid>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CampaignProduct {
    pub product_id: Uuid,
    pub title: String,
    pub image: Option<String>,
    pub vendor: VendorRef,
    /// The list price of the variant shown (the cheapest after promotions).
    pub list_price: Won,
    /// What one unit costs at the page's instant, as the pricing engine computes it.
    pub price: Won,
    /// `(list_price - price) × 100 / list_price`, rounded down.
    pub discount_percent: u32,
    pub promotion: Option<AppliedRef>,
    pub in_stock: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SectionView {
    pub id: Uuid,
    pub title: String,
    pub products: Vec<CampaignProduct>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DealView {
    pub id: Uuid,
    pub product_id: Uuid,
    pub variant_id: Uuid,
    pub deal_price: Won,
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    pub quantity: i32,
    pub remaining: i32,
    pub per_customer_limit: Option<i32>,
    pub state: CampaignState,
}

impl DealView {
    pub fn of(d: &time_deal::Model, at: DateTime<Utc>) -> Self {
        DealView {
            id: d.id,
            product_id: d.product_id,
            variant_id: d.variant_id,
            deal_price: Won(d.deal_price),
            starts_at: seoul::show(d.starts_at),
            ends_at: seoul::show(d.ends_at),
            quantity: d.quantity,
            remaining: (d.quantity - d.sold).max(0),
            per_customer_limit: d.per_customer_limit,
            state: window_state(d.starts_at, d.ends_at, at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CampaignPage {
    #[serde(flatten)]
    pub summary: CampaignSummary,
    pub description: String,
    /// The instant the prices are for (Asia/Seoul).
    pub at: DateTime<FixedOffset>,
    /// True when a marketer asked for another instant (`?at=`).
    pub preview: bool,
    pub sections: Vec<SectionView>,
    /// Products that belong by the campaign's membership rules (category, vendor, tag,
    /// certified), most popular first.
    pub members: Vec<CampaignProduct>,
    /// The campaign's time deals that have not ended at `at`.
    pub time_deals: Vec<DealView>,
}

impl CampaignPage {
    /// The next instant after `at` at which the page changes by itself (a window opens or
    /// closes); a cached page must not outlive it.
    pub fn boundaries(&self) -> Vec<DateTime<Utc>> {
        let mut b = vec![
            self.summary.starts_at.with_timezone(&Utc),
            self.summary.ends_at.with_timezone(&Utc),
        ];
        for d in &self.time_deals {
            b.push(d.starts_at.with_timezone(&Utc));
            b.push(d.ends_at.with_timezone(&Utc));
        }
        b
    }
}

/// Live and upcoming campaigns at `at`: live first (ending soonest first), then upcoming
/// by start.
pub async fn list(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
) -> PromotionsResult<Vec<CampaignSummary>> {
    let rows = campaign::Entity::find()
        .filter(campaign::Column::Status.ne(CampaignStatus::Draft))
        .filter(campaign::Column::EndsAt.gt(at))
        .order_by_asc(campaign::Column::StartsAt)
        .order_by_asc(campaign::Column::Id)
        .all(db)
        .await?;
    let mut out: Vec<CampaignSummary> = rows.iter().map(|c| CampaignSummary::of(c, at)).collect();
    sort_summaries(&mut out);
    Ok(out)
}

pub fn sort_summaries(out: &mut [CampaignSummary]) {
    out.sort_by_key(|s| match s.state {
        CampaignState::Live => (0, s.ends_at.timestamp()),
        CampaignState::Upcoming => (1, s.starts_at.timestamp()),
        CampaignState::Ended => (2, s.ends_at.timestamp()),
    });
}

struct ProductRow {
    id: Uuid,
    title: String,
    image: Option<String>,
    vendor: VendorRef,
    category_path: Vec<Uuid>,
    tags: Vec<String>,
    taxable: bool,
    certified: bool,
    variants: Vec<(Uuid, i64, bool)>,
}

/// The products a shopper may see ([`catalog::listing::showcase_products`]), with their
/// variants (id, price, in stock).
async fn load_products(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> PromotionsResult<HashMap<Uuid, ProductRow>> {
    Ok(catalog::listing::showcase_products(db, ids)
        .await?
        .into_iter()
        .map(|(id, p)| {
            let row = ProductRow {
                id: p.id,
                title: p.title,
                image: p.image,
                vendor: VendorRef {
                    id: p.vendor_id,
                    trade_name: p.vendor_name,
                },
                category_path: p.category_path,
                tags: p.tags,
                taxable: p.taxable,
                certified: p.certified,
                variants: p
                    .variants
                    .iter()
                    .map(|v| (v.id, v.price, v.in_stock))
                    .collect(),
            };
            (id, row)
        })
        .collect())
}

/// Price every variant of `products` at `at` with the pricing engine (one unit each) and
/// keep, per product, the cheapest variant.
fn price_products(
    promotions: &LivePromotions,
    policy: &StackingPolicy,
    products: &HashMap<Uuid, ProductRow>,
    at: DateTime<Utc>,
) -> HashMap<Uuid, CampaignProduct> {
    let mut order: Vec<&ProductRow> = products.values().collect();
    order.sort_by_key(|p| p.id);
    let mut lines = Vec::new();
    let mut shipping: Vec<VendorShipping> = Vec::new();
    for p in &order {
        for (vid, price, _) in &p.variants {
            if *price <= 0 {
                continue;
            }
            lines.push(CartLine {
                variant_id: *vid,
                product_id: p.id,
                vendor_id: p.vendor.id,
                category_path: p.category_path.clone(),
                tags: p.tags.clone(),
                certified: p.certified,
                unit_price: Won(*price),
                quantity: Quantity::ONE,
                taxable: p.taxable,
            });
        }
        if !shipping.iter().any(|s| s.vendor_id == p.vendor.id) {
            shipping.push(VendorShipping {
                vendor_id: p.vendor.id,
                base_fee: Won::ZERO,
                free_threshold: None,
            });
        }
    }
    // The same unit prices the product page shows (shipping, which the page omits, does
    // not change them).
    let quoted = storefront_prices::unit_prices(promotions, policy, lines, &shipping, at)
        .unwrap_or_else(|err| {
            tracing::warn!(error = %err, "campaign page could not be priced; showing list prices");
            Vec::new()
        });
    let mut best: HashMap<Uuid, CampaignProduct> = HashMap::new();
    for p in &order {
        let in_stock = p.variants.iter().any(|v| v.2);
        let mut candidates: Vec<(Won, Won, Option<AppliedRef>)> = quoted
            .iter()
            .filter(|l| l.product_id == p.id)
            .map(|l| {
                let applied = l.applied.as_ref().map(|a| match &a.promotion {
                    PromotionRef::CampaignRule {
                        rule_id,
                        campaign_id,
                        campaign_title,
                    } => AppliedRef::CampaignPrice {
                        price_id: *rule_id,
                        campaign_id: *campaign_id,
                        campaign_title: campaign_title.clone(),
                    },
                    PromotionRef::TimeDeal {
                        deal_id,
                        campaign_id,
                    } => AppliedRef::TimeDeal {
                        deal_id: *deal_id,
                        campaign_id: *campaign_id,
                    },
                });
                (l.unit_price, l.list_unit_price, applied)
            })
            .collect();
        if candidates.is_empty() {
            candidates = p
                .variants
                .iter()
                .map(|v| (Won(v.1), Won(v.1), None))
                .collect();
        }
        candidates.sort_by_key(|c| (c.0, c.1));
        let Some((price, list, promotion)) = candidates.into_iter().next() else {
            continue;
        };
        let discount_percent = if list.0 > 0 && price < list {
            ((list.0 - price.0) * 100 / list.0) as u32
        } else {
            0
        };
        best.insert(
            p.id,
            CampaignProduct {
                product_id: p.id,
                title: p.title.clone(),
                image: p.image.clone(),
                vendor: p.vendor.clone(),
                list_price: list,
                price,
                discount_percent,
                promotion,
                in_stock,
            },
        );
    }
    best
}

/// Build the page of `c` as of `at`. For a draft (a marketer's preview), its own prices
/// are priced as if it were published.
pub async fn build(
    db: &impl ConnectionTrait,
    c: &campaign::Model,
    at: DateTime<Utc>,
    preview: bool,
) -> PromotionsResult<CampaignPage> {
    let sections = campaigns::sections(db, c.id).await?;
    let member_ids = membership::rule_members(db, &membership_of(c), Some(MEMBERS_LIMIT)).await?;
    let mut all: Vec<Uuid> = sections
        .iter()
        .flat_map(|s| s.product_ids.iter().copied())
        .chain(member_ids.iter().copied())
        .collect();
    all.sort();
    all.dedup();
    let products = load_products(db, &all).await?;
    let live::PricingInputs {
        live: mut promotions,
        policy,
    } = live::load(db, at, &all).await?;
    if c.status == CampaignStatus::Draft {
        let mut rules = promotions.rules().to_vec();
        rules.extend(
            prices::of_campaign(db, c.id)
                .await?
                .iter()
                .map(|p| live::rule(p, &c.title, c.starts_at, c.ends_at)),
        );
        promotions = LivePromotions::new(rules, promotions.deals().to_vec());
    }
    let priced = price_products(&promotions, &policy, &products, at);
    let deals = time_deal::Entity::find()
        .filter(time_deal::Column::CampaignId.eq(c.id))
        .filter(time_deal::Column::EndsAt.gt(at))
        .order_by_asc(time_deal::Column::StartsAt)
        .all(db)
        .await?;
    let in_sections: std::collections::HashSet<Uuid> = sections
        .iter()
        .flat_map(|s| s.product_ids.iter().copied())
        .collect();
    let mut section_views: BTreeMap<(i32, Uuid), SectionView> = BTreeMap::new();
    for s in &sections {
        section_views.insert(
            (s.section.position, s.section.id),
            SectionView {
                id: s.section.id,
                title: s.section.title.clone(),
                products: s
                    .product_ids
                    .iter()
                    .filter_map(|p| priced.get(p).cloned())
                    .collect(),
            },
        );
    }
    Ok(CampaignPage {
        summary: CampaignSummary::of(c, at),
        description: c.description.clone(),
        at: seoul::show(at),
        preview,
        sections: section_views.into_values().collect(),
        members: member_ids
            .iter()
            .filter(|p| !in_sections.contains(p))
            .filter_map(|p| priced.get(p).cloned())
            .collect(),
        time_deals: deals.iter().map(|d| DealView::of(d, at)).collect(),
    })
}
