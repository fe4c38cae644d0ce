//! This process's copy of every campaign and time deal not yet ended, with the products
//! placed in them, and the stacking policy: what a product page or list asks promotions on
//! every read, the same few rows whatever the product. Held in memory, a page nobody has
//! cached, or a cart page's quote, costs promotions no statement unless one of its products
//! is on promotion.
//!
//! The copy is what [`membership::not_ended`] read at one instant; it answers for any later
//! instant by the windows it holds (a campaign's start and end are never a reason to read
//! again). It is dropped when promotions change: at once in the process that made the
//! change (its writer bumps [`platform::local_cache::Epoch`] with the Redis generation, see
//! [`crate::cache::invalidate`]), and within [`MAX_AGE`] everywhere else, by asking Redis
//! for the generation at most that often. Without Redis it is not used at all.

use crate::PricingInputs;
use crate::cache;
use crate::error::PromotionsResult;
use crate::membership::{self, Concerning, NotEnded, Ruled};
use crate::pricing::{LivePromotions, StackingPolicy};
use crate::stacking;
use crate::store::{campaign, time_deal};
use catalog::listing::ProductFacts;
use chrono::{DateTime, Utc};
use platform::kv::Redis;
use platform::local_cache::MAX_AGE;
use sea_orm::ConnectionTrait;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use uuid::Uuid;

/// What was read, indexed by product.
struct Held {
    /// The instant it was read for: it answers for this instant and later ones.
    read_for: DateTime<Utc>,
    campaigns: HashMap<Uuid, Arc<campaign::Model>>,
    ruled: Ruled,
    /// Per product, the campaigns that place it one by one.
    placed: HashMap<Uuid, Vec<Uuid>>,
    /// Per product, the campaigns that give it a campaign price.
    priced: HashMap<Uuid, Vec<Uuid>>,
    deals: HashMap<Uuid, Vec<time_deal::Model>>,
    /// The stacking policy, read with the rest.
    policy: StackingPolicy,
}

impl Held {
    fn new(read: NotEnded, read_for: DateTime<Utc>) -> Held {
        let policy = read
            .policy
            .as_ref()
            .map_or_else(StackingPolicy::default, stacking::to_pricing);
        let mut placed: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (campaign, product) in read.pairs {
            placed.entry(product).or_default().push(campaign);
        }
        let mut priced: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (campaign, product) in read.prices {
            priced.entry(product).or_default().push(campaign);
        }
        let mut deals: HashMap<Uuid, Vec<time_deal::Model>> = HashMap::new();
        for d in read.deals {
            deals.entry(d.product_id).or_default().push(d);
        }
        Held {
            read_for,
            campaigns: read.campaigns,
            ruled: read.ruled,
            placed,
            priced,
            deals,
            policy,
        }
    }

    /// No campaign price and no time deal, whether live or still to come, concerns any of
    /// `products`.
    fn prices_none_of(&self, products: &[Uuid]) -> bool {
        products
            .iter()
            .all(|p| !self.priced.contains_key(p) && !self.deals.contains_key(p))
    }

    /// What [`membership::not_ended`] would read at `at` for `products`.
    fn at(&self, products: &[ProductFacts], at: DateTime<Utc>) -> NotEnded {
        let campaigns: HashMap<Uuid, Arc<campaign::Model>> = self
            .campaigns
            .values()
            .filter(|c| c.ends_at > at)
            .map(|c| (c.id, Arc::clone(c)))
            .collect();
        let mut pairs = HashSet::new();
        let mut prices = HashSet::new();
        let mut deals = Vec::new();
        for p in products {
            let of = |by: &HashMap<Uuid, Vec<Uuid>>| -> Vec<(Uuid, Uuid)> {
                let of_product = by.get(&p.id).into_iter().flatten();
                of_product
                    .filter(|c| campaigns.contains_key(*c))
                    .map(|c| (*c, p.id))
                    .collect()
            };
            pairs.extend(of(&self.placed));
            prices.extend(of(&self.priced));
            deals.extend(
                self.deals
                    .get(&p.id)
                    .into_iter()
                    .flatten()
                    .filter(|d| d.ends_at > at)
                    .cloned(),
            );
        }
        NotEnded {
            campaigns,
            ruled: Arc::clone(&self.ruled),
            pairs,
            deals,
            prices,
            policy: None,
        }
    }
}

/// A [`Held`] copy with what it was checked against.
struct Stamped {
    held: Arc<Held>,
    epoch: u64,
    generation: i64,
    checked: Instant,
}

/// The copy one process keeps (one per app: tests run many apps in one process).
pub struct LiveSet {
    redis: Redis,
    current: Mutex<Option<Stamped>>,
}

impl LiveSet {
    pub fn new(redis: Redis) -> LiveSet {
        LiveSet {
            redis,
            current: Mutex::new(None),
        }
    }

    /// [`membership::campaigns_and_deals_of`], answered from memory when the copy is
    /// current.
    pub async fn campaigns_and_deals_of(
        &self,
        db: &impl ConnectionTrait,
        products: &[ProductFacts],
        at: DateTime<Utc>,
    ) -> PromotionsResult<Concerning> {
        match self.held(db, at).await? {
            Some(held) => held.at(products, at).concerning(db, products).await,
            None => membership::campaigns_and_deals_of(db, products, at).await,
        }
    }

    /// [`crate::pricing_inputs`], without a statement when the copy is current and no
    /// campaign price or time deal concerns `products` (a cart of products on no
    /// promotion): the quote then needs only the stacking policy, which the copy holds.
    /// The copy lags another process's change by at most [`MAX_AGE`], as product pages
    /// do; whatever concerns `products` is read with `db`, in the caller's transaction.
    pub async fn pricing_inputs(
        &self,
        db: &impl ConnectionTrait,
        at: DateTime<Utc>,
        products: &[Uuid],
    ) -> PromotionsResult<PricingInputs> {
        if let Some(held) = self.held(db, at).await?
            && held.prices_none_of(products)
        {
            return Ok(PricingInputs {
                live: LivePromotions::new(Vec::new(), Vec::new()),
                policy: held.policy,
            });
        }
        crate::pricing_inputs(db, at, products).await
    }

    /// The copy, read again when promotions changed since; `None` when it cannot answer
    /// for `at` (Redis does not answer, or `at` is before the copy was read).
    async fn held(
        &self,
        db: &impl ConnectionTrait,
        at: DateTime<Utc>,
    ) -> PromotionsResult<Option<Arc<Held>>> {
        let epoch = self.redis.local().promotions.get();
        let known = {
            let current = self.lock();
            match current.as_ref() {
                Some(s) if s.epoch == epoch && s.held.read_for <= at => {
                    if s.checked.elapsed() < MAX_AGE {
                        return Ok(Some(s.held.clone()));
                    }
                    Some((s.generation, s.held.clone()))
                }
                _ => None,
            }
        };
        // Read before the rows: a change committed after them bumps it after this read,
        // so the next check sees a new generation.
        let Some(generation) = cache::generation(&self.redis).await else {
            return Ok(None);
        };
        let held = match known {
            Some((g, held)) if g == generation => held,
            _ => Arc::new(Held::new(membership::not_ended(db, None, at).await?, at)),
        };
        *self.lock() = Some(Stamped {
            held: held.clone(),
            epoch,
            generation,
            checked: Instant::now(),
        });
        Ok((held.read_for <= at).then_some(held))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Stamped>> {
        // A panic while holding it leaves nothing half-written: the slot is replaced whole.
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }
}
