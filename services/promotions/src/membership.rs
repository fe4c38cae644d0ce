//! Which campaigns a product takes part in: the storefront badge, the search facet.
//!
//! A product belongs to a campaign when it has a hand-placed slot in one of its sections,
//! a campaign price or a time deal in it, or when it matches one of the campaign's
//! membership rules (category with its descendants, vendor, tag, certified vendor). Like
//! the prices ([`crate::live`]), what counts is the campaign's window at the instant asked
//! about, never its status column; drafts never count.

use crate::campaigns::{MembershipRule, membership_of};
use crate::error::PromotionsResult;
use crate::states::CampaignStatus;
use crate::store::{campaign, stacking_policy, time_deal};
use catalog::listing::{self, ProductFacts, ProductMatch};
use chrono::{DateTime, Utc};
use platform::db::pg;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use uuid::Uuid;

/// A live campaign a product belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveCampaignRef {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub ends_at: DateTime<Utc>,
}

impl From<&campaign::Model> for LiveCampaignRef {
    fn from(c: &campaign::Model) -> Self {
        LiveCampaignRef {
            id: c.id,
            slug: c.slug.clone(),
            title: c.title.clone(),
            ends_at: c.ends_at,
        }
    }
}

/// The campaigns live at `at` that each of `product_ids` belongs to, ending soonest first.
/// Products in no live campaign are absent from the map.
#[tracing::instrument(skip_all, fields(products = product_ids.len()))]
pub async fn live_campaigns_of(
    db: &impl ConnectionTrait,
    product_ids: &[Uuid],
    at: DateTime<Utc>,
) -> PromotionsResult<HashMap<Uuid, Vec<LiveCampaignRef>>> {
    let all = campaigns_of(db, product_ids, at).await?;
    Ok(all
        .into_iter()
        .filter_map(|(pid, cs)| {
            let live: Vec<LiveCampaignRef> = cs
                .iter()
                .filter(|c| c.starts_at <= at)
                .map(|c| LiveCampaignRef::from(&**c))
                .collect();
            (!live.is_empty()).then_some((pid, live))
        })
        .collect())
}

/// The campaigns not yet ended at `at` (live or upcoming, never drafts) that each of
/// `product_ids` belongs to, ending soonest first (then by id).
pub async fn campaigns_of(
    db: &impl ConnectionTrait,
    product_ids: &[Uuid],
    at: DateTime<Utc>,
) -> PromotionsResult<HashMap<Uuid, Vec<Arc<campaign::Model>>>> {
    if product_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let campaigns: HashMap<Uuid, Arc<campaign::Model>> = campaign::Entity::find()
        .filter(campaign::Column::Status.ne(CampaignStatus::Draft))
        .filter(campaign::Column::EndsAt.gt(at))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, Arc::new(c)))
        .collect();
    if campaigns.is_empty() {
        return Ok(HashMap::new());
    }
    let ruled = ruled(&campaigns);
    let campaign_ids: Vec<Uuid> = campaigns.keys().copied().collect();
    let pairs: HashSet<(Uuid, Uuid)> = placed(db, &campaign_ids, Some(product_ids))
        .await?
        .into_iter()
        .collect();
    by_product(db, Asked::Ids(product_ids), &campaigns, &ruled, pairs).await
}

/// What promotions hold for some products at an instant, before any price is computed.
#[derive(Debug, Default)]
pub struct Concerning {
    /// Per product, the campaigns not ended (live or upcoming) it belongs to, ending
    /// soonest first; products in none are absent.
    pub campaigns: HashMap<Uuid, Vec<Arc<campaign::Model>>>,
    /// The time deals of the products not ended.
    pub deals: Vec<time_deal::Model>,
    /// The (campaign, product) pairs of the campaign prices among them.
    pub prices: HashSet<(Uuid, Uuid)>,
}

/// [`campaigns_of`], the time deals of `products` not ended at `at` and their campaign
/// prices, read in one statement where they took three (campaigns, placements, deals): a
/// product page nobody has cached pays for every round trip. Membership rules are judged
/// against the facts the caller has read.
pub async fn campaigns_and_deals_of(
    db: &impl ConnectionTrait,
    products: &[ProductFacts],
    at: DateTime<Utc>,
) -> PromotionsResult<Concerning> {
    if products.is_empty() {
        return Ok(Concerning::default());
    }
    let product_ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    not_ended(db, Some(&product_ids), at)
        .await?
        .concerning(db, products)
        .await
}

/// The campaigns (never drafts) and time deals not ended at `at`, and the (campaign,
/// product) pairs that place products in those campaigns one by one.
pub(crate) struct NotEnded {
    pub campaigns: HashMap<Uuid, Arc<campaign::Model>>,
    /// The membership rules of those campaigns that have some.
    pub ruled: Ruled,
    pub pairs: HashSet<(Uuid, Uuid)>,
    pub deals: Vec<time_deal::Model>,
    /// The pairs that come from campaign prices (also in `pairs`).
    pub prices: HashSet<(Uuid, Uuid)>,
    /// The stacking policy, read with every product's (for [`crate::live_set`]'s copy).
    pub policy: Option<stacking_policy::Model>,
}

impl NotEnded {
    /// What concerns `products` (those `self` was read or kept for).
    pub(crate) async fn concerning(
        self,
        db: &impl ConnectionTrait,
        products: &[ProductFacts],
    ) -> PromotionsResult<Concerning> {
        if self.campaigns.is_empty() {
            return Ok(Concerning {
                deals: self.deals,
                ..Concerning::default()
            });
        }
        Ok(Concerning {
            campaigns: by_product(
                db,
                Asked::Facts(products),
                &self.campaigns,
                &self.ruled,
                self.pairs,
            )
            .await?,
            deals: self.deals,
            prices: self.prices,
        })
    }
}

/// [`NotEnded`] in one statement: of `product_ids` only when given (the pairs and the
/// deals; every campaign not ended is read either way), else of every product.
pub(crate) async fn not_ended(
    db: &impl ConnectionTrait,
    product_ids: Option<&[Uuid]>,
    at: DateTime<Utc>,
) -> PromotionsResult<NotEnded> {
    let mut values = vec![at.into(), String::from(CampaignStatus::Draft).into()];
    // The whole copy also holds the stacking policy: one row, in the same round trip.
    let policy = match product_ids {
        Some(_) => "",
        None => " UNION ALL SELECT 's', row_to_json(s)::text FROM promotions.stacking_policy s",
    };
    let (ids, only): (&str, fn(&str) -> String) = match product_ids {
        Some(ids) => {
            values.push(platform::db::uuid_array(ids));
            (
                ", ids AS (SELECT unnest((SELECT $3)::uuid[]) AS id)",
                |column: &str| format!(" AND {column} IN (SELECT id FROM ids)"),
            )
        }
        None => ("", |_: &str| String::new()),
    };
    // Each row is one campaign, one (campaign, product) placement (`q` by a campaign
    // price) or one deal, as JSON.
    let rows = db
        .query_all_raw(pg(
            format!(
                "WITH c AS (SELECT * FROM promotions.campaigns WHERE status <> $2 AND ends_at > $1){ids} \
                 SELECT 'c' AS kind, to_jsonb(c.*)::text AS row FROM c \
                 UNION ALL SELECT 'p', jsonb_build_array(se.campaign_id, sl.product_id)::text \
                   FROM promotions.campaign_slots sl JOIN promotions.campaign_sections se ON se.id = sl.section_id \
                   WHERE se.campaign_id IN (SELECT id FROM c){} \
                 UNION ALL SELECT 'q', jsonb_build_array(campaign_id, product_id)::text \
                   FROM promotions.campaign_prices \
                   WHERE campaign_id IN (SELECT id FROM c){} \
                 UNION ALL SELECT 'p', jsonb_build_array(campaign_id, product_id)::text \
                   FROM promotions.time_deals \
                   WHERE campaign_id IN (SELECT id FROM c){} \
                 UNION ALL SELECT 'd', to_jsonb(d.*)::text FROM promotions.time_deals d \
                   WHERE d.ends_at > $1{}{policy}",
                only("sl.product_id"),
                only("product_id"),
                only("product_id"),
                only("d.product_id"),
            ),
            values,
        ))
        .await?;
    let mut read = NotEnded {
        campaigns: HashMap::new(),
        ruled: Vec::new().into(),
        pairs: HashSet::new(),
        deals: Vec::new(),
        prices: HashSet::new(),
        policy: None,
    };
    for r in &rows {
        let kind: String = r.try_get("", "kind")?;
        let row: String = r.try_get("", "row")?;
        let bad =
            |e: serde_json::Error| sea_orm::DbErr::Type(format!("promotions row {kind}: {e}"));
        match kind.as_str() {
            "c" => {
                let c: campaign::Model = serde_json::from_str(&row).map_err(bad)?;
                read.campaigns.insert(c.id, Arc::new(c));
            }
            "p" => {
                read.pairs.insert(serde_json::from_str(&row).map_err(bad)?);
            }
            "q" => {
                let pair = serde_json::from_str(&row).map_err(bad)?;
                read.pairs.insert(pair);
                read.prices.insert(pair);
            }
            "s" => read.policy = Some(serde_json::from_str(&row).map_err(bad)?),
            _ => read.deals.push(serde_json::from_str(&row).map_err(bad)?),
        }
    }
    read.ruled = ruled(&read.campaigns);
    Ok(read)
}

/// The products a membership question is about: ids, whose facts are read when a rule
/// needs them, or their facts as the caller has already read them.
enum Asked<'a> {
    Ids(&'a [Uuid]),
    Facts(&'a [ProductFacts]),
}

/// Campaigns' membership rules as the catalog's listing rules judge them, by campaign;
/// shared, so that the copy [`crate::live_set`] keeps is parsed once, not per read.
pub(crate) type Ruled = Arc<[(Uuid, Vec<ProductMatch>)]>;

/// The membership rules of those of `campaigns` that have some.
fn ruled(campaigns: &HashMap<Uuid, Arc<campaign::Model>>) -> Ruled {
    campaigns
        .values()
        .map(|c| (c.id, membership_of(c).iter().map(product_match).collect()))
        .filter(|(_, rules): &(Uuid, Vec<ProductMatch>)| !rules.is_empty())
        .collect()
}

/// The campaigns of each product: those `pairs` place it in, and those whose membership
/// rules it matches, judged in memory against its facts; ending soonest first. A pair or
/// a rule of a campaign not in `campaigns` (one that has ended since `ruled` was read)
/// counts for nothing.
async fn by_product(
    db: &impl ConnectionTrait,
    asked: Asked<'_>,
    campaigns: &HashMap<Uuid, Arc<campaign::Model>>,
    ruled: &Ruled,
    mut pairs: HashSet<(Uuid, Uuid)>,
) -> PromotionsResult<HashMap<Uuid, Vec<Arc<campaign::Model>>>> {
    if !ruled.is_empty() {
        let read;
        let known = match asked {
            Asked::Facts(facts) => facts,
            Asked::Ids(ids) => {
                read = listing::active_product_facts(db, ids).await?;
                &read[..]
            }
        };
        for facts in known {
            for (cid, rules) in ruled.iter() {
                if rules.iter().any(|r| r.matches(facts)) {
                    pairs.insert((*cid, facts.id));
                }
            }
        }
    }

    let mut out: HashMap<Uuid, Vec<Arc<campaign::Model>>> = HashMap::new();
    for (cid, pid) in pairs {
        if let Some(c) = campaigns.get(&cid) {
            out.entry(pid).or_default().push(Arc::clone(c));
        }
    }
    for cs in out.values_mut() {
        cs.sort_by_key(|c| (c.ends_at, c.id));
    }
    Ok(out)
}

/// A membership rule as the catalog's listing rules name it.
fn product_match(rule: &MembershipRule) -> ProductMatch {
    match rule {
        MembershipRule::Category { id } => ProductMatch::Category(*id),
        MembershipRule::Vendor { id } => ProductMatch::Vendor(*id),
        MembershipRule::Tag { tag } => ProductMatch::Tag(tag.clone()),
        MembershipRule::Certified => ProductMatch::Certified,
    }
}

/// Every product of campaign `campaign_id`, whatever its status and window: hand-placed
/// slots, campaign prices, time deals and the (active) products its rules match. Ignoring
/// the window is the point: when a campaign ends, whoever keeps a copy of its membership
/// (the search index) must still learn which products to refresh. A campaign that does
/// not exist has no products.
#[tracing::instrument(skip_all, fields(campaign_id = %campaign_id))]
pub async fn products_of_campaign(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
) -> PromotionsResult<Vec<Uuid>> {
    let Some(c) = campaign::Entity::find_by_id(campaign_id).one(db).await? else {
        return Ok(Vec::new());
    };
    let mut ids: Vec<Uuid> = placed(db, &[campaign_id], None)
        .await?
        .into_iter()
        .map(|(_, product)| product)
        .collect();
    ids.extend(rule_members(db, &membership_of(&c), None).await?);
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// The (campaign, product) pairs `campaign_ids` name one by one: slots, campaign prices,
/// time deals; only of `product_ids` when given. One statement.
async fn placed(
    db: &impl ConnectionTrait,
    campaign_ids: &[Uuid],
    product_ids: Option<&[Uuid]>,
) -> PromotionsResult<Vec<(Uuid, Uuid)>> {
    let mut values = vec![platform::db::uuid_array(campaign_ids)];
    let only = |column: &str| match product_ids {
        Some(_) => format!(" AND {column} = ANY((SELECT $2)::uuid[])"),
        None => String::new(),
    };
    if let Some(ids) = product_ids {
        values.push(platform::db::uuid_array(ids));
    }
    let rows = db
        .query_all_raw(pg(
            format!(
                "SELECT se.campaign_id, sl.product_id FROM promotions.campaign_slots sl \
                 JOIN promotions.campaign_sections se ON se.id = sl.section_id \
                 WHERE se.campaign_id = ANY((SELECT $1)::uuid[]){} \
                 UNION SELECT campaign_id, product_id FROM promotions.campaign_prices \
                 WHERE campaign_id = ANY((SELECT $1)::uuid[]){} \
                 UNION SELECT campaign_id, product_id FROM promotions.time_deals \
                 WHERE campaign_id = ANY((SELECT $1)::uuid[]){}",
                only("sl.product_id"),
                only("product_id"),
                only("product_id"),
            ),
            values,
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "campaign_id")?, r.try_get("", "product_id")?)))
        .collect()
}

/// Active products that match any of `rules`, most popular first, at most `limit` of them
/// (all without one): [`listing::active_products_matching`], the SQL form of [`matches`].
pub(crate) async fn rule_members(
    db: &impl ConnectionTrait,
    rules: &[MembershipRule],
    limit: Option<u64>,
) -> PromotionsResult<Vec<Uuid>> {
    let any: Vec<ProductMatch> = rules.iter().map(product_match).collect();
    Ok(listing::active_products_matching(db, &any, limit).await?)
}
