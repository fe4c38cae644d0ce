//! Campaign prices: a percent, an amount off or a fixed price on a product (every variant)
//! or one variant, never below a floor.
//!
//! A product's campaign prices may not contradict each other: no two prices that reach
//! the same variant may be live at the same instant — within one campaign, or across
//! published campaigns whose windows overlap. Draft campaigns are checked against the
//! published ones as prices are added, and again when they are scheduled. Checks on a
//! product are serialised by a transaction-scoped advisory lock, so two marketers cannot
//! both slip a contradicting price in at once.

use crate::audit::{self, Actor};
use crate::error::{PromotionsError, PromotionsResult, map_unique};
use crate::pricing::Discount;
use crate::store::{campaign, campaign_price};
use crate::topics::{self, OUTBOX};
use chrono::Utc;
use platform::db::pg;
use platform::error::FieldError;
use platform::ids::new_id;
use platform::money::Won;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriceKind {
    /// `value`% off, rounded down to the won (1–100).
    Percent,
    /// `value` won off.
    AmountOff,
    /// The unit price becomes `value` won.
    FixedPrice,
}

impl PriceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PriceKind::Percent => "percent",
            PriceKind::AmountOff => "amount_off",
            PriceKind::FixedPrice => "fixed_price",
        }
    }

    pub fn parse(s: &str) -> Option<PriceKind> {
        match s {
            "percent" => Some(PriceKind::Percent),
            "amount_off" => Some(PriceKind::AmountOff),
            "fixed_price" => Some(PriceKind::FixedPrice),
            _ => None,
        }
    }

    pub fn discount(self, value: i64) -> Discount {
        match self {
            PriceKind::Percent => Discount::Percent(value.clamp(0, 100) as u32),
            PriceKind::AmountOff => Discount::AmountOff(Won(value)),
            PriceKind::FixedPrice => Discount::FixedPrice(Won(value)),
        }
    }

    /// Check a proposed value of this kind.
    pub fn check(self, field: &str, value: i64) -> Result<(), FieldError> {
        let ok = match self {
            PriceKind::Percent => (1..=100).contains(&value),
            PriceKind::AmountOff | PriceKind::FixedPrice => value > 0 && value <= 100_000_000,
        };
        if ok {
            Ok(())
        } else {
            Err(FieldError::new(
                field,
                "out_of_range",
                match self {
                    PriceKind::Percent => "a percent from 1 to 100",
                    _ => "an amount of won from 1 to 100,000,000",
                },
            ))
        }
    }
}

/// A price's amount as both `add` and `update` accept it: a value in its kind's range and
/// a floor that is not negative, with every failing field named in one answer.
fn check_amount(kind: PriceKind, value: i64, floor: i64) -> PromotionsResult<()> {
    let mut errors = Vec::new();
    if let Err(e) = kind.check("value", value) {
        errors.push(e);
    }
    if floor < 0 {
        errors.push(FieldError::new(
            "floor",
            "out_of_range",
            "must not be negative",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(PromotionsError::Invalid(errors))
    }
}

/// The engine's view of a stored price.
pub fn discount_of(p: &campaign_price::Model) -> Discount {
    PriceKind::parse(&p.kind)
        .unwrap_or(PriceKind::AmountOff)
        .discount(p.value)
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaignPrice {
    pub product_id: Uuid,
    /// Absent: every variant of the product.
    pub variant_id: Option<Uuid>,
    pub kind: PriceKind,
    /// `percent`: 1 to 100; `amount_off`, `fixed_price`: won.
    #[serde(deserialize_with = "platform::bounds::within::<_, _, 1, 100_000_000>")]
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub value: i64,
    /// The unit price never goes below this (won, default 0).
    #[serde(
        default,
        deserialize_with = "platform::bounds::within::<_, _, 0, 100_000_000>"
    )]
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub floor: i64,
}

/// A price's new amount; absent fields stay. Its product and variant stay too (remove the
/// price and add another to target something else), so no contradiction can appear.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignPriceUpdate {
    pub kind: Option<PriceKind>,
    /// `percent`: 1 to 100; `amount_off`, `fixed_price`: won.
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 1, 100_000_000>"
    )]
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub value: Option<i64>,
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 0, 100_000_000>"
    )]
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub floor: Option<i64>,
}

/// The product (and variant) a price targets, checked against the catalog.
async fn check_target(
    db: &impl ConnectionTrait,
    product_id: Uuid,
    variant_id: Option<Uuid>,
) -> PromotionsResult<()> {
    if catalog::listing::existing_products(db, &[product_id])
        .await?
        .is_empty()
    {
        return Err(PromotionsError::field(
            "product_id",
            "unknown_product",
            "no such product",
        ));
    }
    if let Some(v) = variant_id {
        let found = catalog::listing::variant_ref(db, v).await?;
        if found.is_none_or(|f| f.product_id != product_id) {
            return Err(PromotionsError::field(
                "variant_id",
                "unknown_variant",
                "no such variant of this product",
            ));
        }
    }
    Ok(())
}

/// Serialise every price check on `product_id` until the transaction ends.
async fn lock_product(db: &impl ConnectionTrait, product_id: Uuid) -> PromotionsResult<()> {
    db.execute_raw(pg(
        "SELECT pg_advisory_xact_lock(hashtextextended('promotions.price:' || $1::text, 0))",
        [product_id.into()],
    ))
    .await?;
    Ok(())
}

/// The first price that reaches the same variant as `(product_id, variant_id)` and could be
/// live together with a price of `c`: any price of `c` itself, or a price of another
/// published campaign whose window overlaps `c`'s.
async fn find_contradiction(
    db: &impl ConnectionTrait,
    c: &campaign::Model,
    product_id: Uuid,
    variant_id: Option<Uuid>,
    include_own: bool,
    exclude_price: Option<Uuid>,
) -> PromotionsResult<Option<(Uuid, Uuid)>> {
    let row = db
        .query_one_raw(pg("SELECT p.id, p.campaign_id FROM promotions.campaign_prices p \
             JOIN promotions.campaigns c ON c.id = p.campaign_id \
             WHERE p.product_id = $1 \
               AND ($2::uuid IS NULL OR p.variant_id IS NULL OR p.variant_id = $2) \
               AND p.id IS DISTINCT FROM $6 \
               AND ((c.id = $3 AND $7) \
                    OR (c.id <> $3 AND c.status <> 'draft' AND c.starts_at < $5 AND $4 < c.ends_at)) \
             ORDER BY p.id LIMIT 1",
            [
                product_id.into(),
                variant_id.into(),
                c.id.into(),
                c.starts_at.into(),
                c.ends_at.into(),
                exclude_price.into(),
                include_own.into(),
            ],
        ))
        .await?;
    Ok(match row {
        Some(r) => Some((r.try_get("", "id")?, r.try_get("", "campaign_id")?)),
        None => None,
    })
}

/// Check every price of a published campaign against the other published campaigns
/// (after scheduling it or moving its window).
pub async fn check_campaign(
    db: &impl ConnectionTrait,
    c: &campaign::Model,
) -> PromotionsResult<()> {
    let mine = of_campaign(db, c.id).await?;
    let mut products: Vec<Uuid> = mine.iter().map(|p| p.product_id).collect();
    products.sort();
    products.dedup();
    // Locks in id order: two campaigns scheduled at once cannot deadlock.
    for p in &products {
        lock_product(db, *p).await?;
    }
    for p in &mine {
        if let Some((other_price_id, other_campaign_id)) =
            find_contradiction(db, c, p.product_id, p.variant_id, false, Some(p.id)).await?
        {
            return Err(PromotionsError::PriceContradiction {
                product_id: p.product_id,
                variant_id: p.variant_id,
                other_campaign_id,
                other_price_id,
            });
        }
    }
    Ok(())
}

/// The prices of a campaign, oldest first.
pub async fn of_campaign(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
) -> PromotionsResult<Vec<campaign_price::Model>> {
    Ok(campaign_price::Entity::find()
        .filter(campaign_price::Column::CampaignId.eq(campaign_id))
        .order_by_asc(campaign_price::Column::Id)
        .all(db)
        .await?)
}

/// Add a price to a campaign that has not ended.
#[tracing::instrument(skip_all, fields(campaign_id = %campaign_id, product_id = %new.product_id))]
pub async fn add(
    db: &impl ConnectionTrait,
    actor: Actor,
    campaign_id: Uuid,
    new: NewCampaignPrice,
    application_id: Option<Uuid>,
) -> PromotionsResult<campaign_price::Model> {
    let c = campaign::get_for_update(db, campaign_id).await?;
    campaign::refuse_ended(&c, "add a price")?;
    check_amount(new.kind, new.value, new.floor)?;
    check_target(db, new.product_id, new.variant_id).await?;
    lock_product(db, new.product_id).await?;
    if let Some((other_price_id, other_campaign_id)) =
        find_contradiction(db, &c, new.product_id, new.variant_id, true, None).await?
    {
        return Err(PromotionsError::PriceContradiction {
            product_id: new.product_id,
            variant_id: new.variant_id,
            other_campaign_id,
            other_price_id,
        });
    }
    let p = campaign_price::ActiveModel {
        id: Set(new_id()),
        campaign_id: Set(campaign_id),
        product_id: Set(new.product_id),
        variant_id: Set(new.variant_id),
        kind: Set(new.kind.as_str().to_owned()),
        value: Set(new.value),
        floor: Set(new.floor),
        application_id: Set(application_id),
        created_by: Set(actor.user_id()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .map_err(|e| {
        map_unique(e, "campaign_prices_campaign_id", || {
            PromotionsError::Conflict("the campaign already prices this product".into())
        })
    })?;
    audit::log(db, actor, "price.create", None, Some(&p)).await?;
    price_changed(db, campaign_id, p.product_id).await?;
    Ok(p)
}

/// Tells the outbox that a campaign's price of a product came or went.
async fn price_changed(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    product_id: Uuid,
) -> PromotionsResult<()> {
    let payload = json!({ "campaign_id": campaign_id, "product_ids": [product_id] });
    OUTBOX
        .emit(db, topics::PRICES_CHANGED, campaign_id, payload)
        .await?;
    Ok(())
}

/// Change the amount of a price of a campaign that has not ended.
#[tracing::instrument(skip_all, fields(campaign_id = %campaign_id, price_id = %price_id))]
pub async fn update(
    db: &impl ConnectionTrait,
    actor: Actor,
    campaign_id: Uuid,
    price_id: Uuid,
    upd: CampaignPriceUpdate,
) -> PromotionsResult<campaign_price::Model> {
    let c = campaign::get_for_update(db, campaign_id).await?;
    campaign::refuse_ended(&c, "change a price")?;
    let before = price_of(db, campaign_id, price_id).await?;
    let kind = upd
        .kind
        .or_else(|| PriceKind::parse(&before.kind))
        .unwrap_or(PriceKind::AmountOff);
    let value = upd.value.unwrap_or(before.value);
    let floor = upd.floor.unwrap_or(before.floor);
    check_amount(kind, value, floor)?;
    let mut am: campaign_price::ActiveModel = before.clone().into();
    am.kind = Set(kind.as_str().to_owned());
    am.value = Set(value);
    am.floor = Set(floor);
    let after = am.update(db).await?;
    audit::log(db, actor, "price.update", Some(&before), Some(&after)).await?;
    price_changed(db, campaign_id, after.product_id).await?;
    Ok(after)
}

async fn price_of(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    price_id: Uuid,
) -> PromotionsResult<campaign_price::Model> {
    campaign_price::Entity::find_by_id(price_id)
        .filter(campaign_price::Column::CampaignId.eq(campaign_id))
        .one(db)
        .await?
        .ok_or(PromotionsError::NotFound("campaign price"))
}

/// Remove a price from a campaign that has not ended.
pub async fn remove(
    db: &impl ConnectionTrait,
    actor: Actor,
    campaign_id: Uuid,
    price_id: Uuid,
) -> PromotionsResult<()> {
    let c = campaign::get_for_update(db, campaign_id).await?;
    campaign::refuse_ended(&c, "remove a price")?;
    let p = price_of(db, campaign_id, price_id).await?;
    campaign_price::Entity::delete_by_id(p.id).exec(db).await?;
    audit::log(db, actor, "price.delete", Some(&p), None).await?;
    price_changed(db, campaign_id, p.product_id).await?;
    Ok(())
}
