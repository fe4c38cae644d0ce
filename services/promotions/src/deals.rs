//! Time deals (타임딜): a deal price on one variant for a limited number of units within a
//! window, with a per-customer limit. The counter is as race-proof as stock: one
//! conditional UPDATE takes units, a CHECK constraint backs it, and each customer's units
//! are one row updated conditionally against their limit.

use crate::audit::{self, Actor};
use crate::error::{PromotionsError, PromotionsResult};
use crate::pricing::DealPurchase;
use crate::store::{campaign, time_deal};
use crate::topics::{self, OUTBOX};
use chrono::{DateTime, FixedOffset, Utc};
use platform::db::pg;
use platform::error::FieldError;
use platform::ids::new_id;
use platform::pagination::newest_first;
use platform::quantity::Quantity;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, FromQueryResult, Set};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTimeDeal {
    pub variant_id: Uuid,
    /// The campaign the deal runs in, if any (its page shows it; campaign coupons reach it).
    pub campaign_id: Option<Uuid>,
    /// Won per unit.
    #[serde(deserialize_with = "platform::bounds::within::<_, _, 1, 100_000_000>")]
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub deal_price: i64,
    /// RFC 3339 with an offset (Asia/Seoul).
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    /// Units on offer at the deal price.
    #[serde(deserialize_with = "platform::bounds::within::<_, _, 1, 1_000_000>")]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub quantity: i32,
    /// Units one customer may buy at the deal price; absent = no limit.
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 1, 1_000_000>"
    )]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub per_customer_limit: Option<i32>,
    /// The vendor's share of the discount, in basis points from 0 (the platform funds it)
    /// to 10000 (the vendor does); absent: 10000. Recorded on each order's quote at checkout.
    #[schema(minimum = 0, maximum = 10000)]
    pub vendor_share_bp: Option<i32>,
}

/// Create a time deal.
#[tracing::instrument(skip_all, fields(variant_id = %new.variant_id))]
pub async fn create(
    db: &impl ConnectionTrait,
    actor: Actor,
    new: NewTimeDeal,
) -> PromotionsResult<time_deal::Model> {
    let starts = new.starts_at.with_timezone(&Utc);
    let ends = new.ends_at.with_timezone(&Utc);
    let mut errors = Vec::new();
    if new.deal_price <= 0 || new.deal_price > 100_000_000 {
        errors.push(FieldError::new(
            "deal_price",
            "out_of_range",
            "an amount of won from 1 to 100,000,000",
        ));
    }
    crate::campaigns::check_window(&mut errors, starts, ends);
    if new.quantity <= 0 || new.quantity > 1_000_000 {
        errors.push(FieldError::new(
            "quantity",
            "out_of_range",
            "from 1 to 1,000,000 units",
        ));
    }
    if new.per_customer_limit.is_some_and(|l| l <= 0) {
        errors.push(FieldError::new(
            "per_customer_limit",
            "out_of_range",
            "at least 1 when given",
        ));
    }
    crate::funding::check(&mut errors, new.vendor_share_bp);
    let v = catalog::listing::variant_ref(db, new.variant_id).await?;
    if v.is_none() {
        errors.push(FieldError::new(
            "variant_id",
            "unknown_variant",
            "no such variant",
        ));
    }
    if let Some(c) = new.campaign_id {
        let found = campaign::Entity::find_by_id(c).one(db).await?;
        if found.is_none_or(|c| c.status == crate::states::CampaignStatus::Ended) {
            errors.push(FieldError::new(
                "campaign_id",
                "unknown_campaign",
                "no such campaign that has not ended",
            ));
        }
    }
    let Some(v) = v.filter(|_| errors.is_empty()) else {
        return Err(PromotionsError::Invalid(errors));
    };
    if v.price <= new.deal_price {
        return Err(PromotionsError::field(
            "deal_price",
            "not_a_discount",
            format!("must be below the list price of {} won", v.price),
        ));
    }
    let d = time_deal::ActiveModel {
        id: Set(new_id()),
        campaign_id: Set(new.campaign_id),
        product_id: Set(v.product_id),
        variant_id: Set(new.variant_id),
        deal_price: Set(new.deal_price),
        starts_at: Set(starts),
        ends_at: Set(ends),
        quantity: Set(new.quantity),
        sold: Set(0),
        per_customer_limit: Set(new.per_customer_limit),
        vendor_share_bp: Set(new
            .vendor_share_bp
            .unwrap_or(crate::funding::DEFAULT_PROMOTION_BP)),
        created_by: Set(actor.user_id()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    audit::log(db, actor, "deal.create", None, Some(&d)).await?;
    OUTBOX
        .emit(
            db,
            topics::PRICES_CHANGED,
            d.id,
            json!({ "deal_id": d.id, "campaign_id": d.campaign_id, "product_ids": [d.product_id] }),
        )
        .await?;
    Ok(d)
}

/// Deals newest first: `limit` of them after the deal `after` (a cursor page fetches
/// `limit + 1` to learn whether there is more).
pub async fn page(
    db: &impl ConnectionTrait,
    after: Option<Uuid>,
    limit: u64,
) -> PromotionsResult<Vec<time_deal::Model>> {
    let q = time_deal::Entity::find();
    Ok(newest_first(db, q, time_deal::Column::Id, after, limit).await?)
}

/// Take `quantity` units of a deal for `customer`, inside the caller's transaction
/// (checkout). Refuses with [`PromotionsError::DealSoldOut`] when fewer units remain and
/// [`PromotionsError::DealLimit`] past the customer's limit. On an error the caller must
/// roll its transaction back (the units may already be counted in it).
///
/// The window is not checked here: the quote made at the same `at` decided that the deal
/// applies; this only keeps the counters exact under any concurrency.
#[tracing::instrument(skip(db))]
pub async fn take_deal(
    db: &impl ConnectionTrait,
    deal_id: Uuid,
    customer: Uuid,
    quantity: Quantity,
) -> PromotionsResult<()> {
    let q = quantity.as_i32();
    let row = db
        .query_one_raw(pg(
            "UPDATE promotions.time_deals SET sold = sold + $2 \
             WHERE id = $1 AND sold + $2 <= quantity RETURNING per_customer_limit",
            [deal_id.into(), q.into()],
        ))
        .await?;
    let limit: Option<i32> = match row {
        Some(r) => r.try_get("", "per_customer_limit")?,
        None => {
            let exists = time_deal::Entity::find_by_id(deal_id).one(db).await?;
            return Err(match exists {
                Some(_) => PromotionsError::DealSoldOut { deal_id },
                None => PromotionsError::NotFound("time deal"),
            });
        }
    };
    if let Some(l) = limit
        && q > l
    {
        return Err(PromotionsError::DealLimit { deal_id, limit: l });
    }
    // The deal row is locked by the UPDATE above until commit, so a customer's concurrent
    // takes of this deal run one after the other; the conditional upsert is the backstop.
    let row = db
        .query_one_raw(pg(
            "INSERT INTO promotions.deal_purchases AS dp (deal_id, customer_id, quantity) \
             VALUES ($1, $2, $3) \
             ON CONFLICT (deal_id, customer_id) DO UPDATE SET quantity = dp.quantity + EXCLUDED.quantity \
             WHERE $4::int IS NULL OR dp.quantity + EXCLUDED.quantity <= $4::int \
             RETURNING quantity",
            [deal_id.into(), customer.into(), q.into(), limit.into()],
        ))
        .await?;
    match row {
        Some(_) => Ok(()),
        None => Err(PromotionsError::DealLimit {
            deal_id,
            limit: limit.unwrap_or(0),
        }),
    }
}

/// Give back units of a canceled or expired order: the deal's counter and the customer's
/// count go down (never below zero). Call once per order line, in the transaction that
/// cancels the order.
#[tracing::instrument(skip(db))]
pub async fn release_deal(
    db: &impl ConnectionTrait,
    deal_id: Uuid,
    customer: Uuid,
    quantity: Quantity,
) -> PromotionsResult<()> {
    // Both counters in one statement.
    db.execute_raw(pg(
        "WITH deal AS (UPDATE promotions.time_deals SET sold = GREATEST(sold - $3, 0) WHERE id = $1) \
         UPDATE promotions.deal_purchases SET quantity = GREATEST(quantity - $3, 0) \
         WHERE deal_id = $1 AND customer_id = $2",
        [deal_id.into(), customer.into(), quantity.into()],
    ))
    .await?;
    Ok(())
}

/// What this customer already bought of deals running at `at`, for the quote's
/// per-customer limits.
pub async fn deal_purchases(
    db: &impl ConnectionTrait,
    customer: Uuid,
    at: DateTime<Utc>,
) -> PromotionsResult<Vec<DealPurchase>> {
    #[derive(FromQueryResult)]
    struct Row {
        deal_id: Uuid,
        quantity: i32,
    }
    let rows = Row::find_by_statement(pg(
        "SELECT dp.deal_id, dp.quantity FROM promotions.deal_purchases dp \
         JOIN promotions.time_deals d ON d.id = dp.deal_id \
         WHERE dp.customer_id = $1 AND dp.quantity > 0 AND d.ends_at > $2 ORDER BY dp.deal_id",
        [customer.into(), at.into()],
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DealPurchase {
            deal_id: r.deal_id,
            quantity: r.quantity.max(0) as u32,
        })
        .collect())
}
