//! Daily first-come drops (선착순 쿠폰): a per-day quota of an issued-only coupon that opens
//! at a set Asia/Seoul time; a customer claims one and it is issued to them.

use crate::audit::{self, Actor};
use crate::coupons::get;
use crate::error::{PromotionsError, PromotionsResult};
use crate::seoul;
use crate::store::{coupon, coupon_drop};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use platform::db::pg;
use platform::error::FieldError;
use platform::ids::new_id;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, FromQueryResult, Set};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDrop {
    /// Coupons handed out per day.
    #[serde(deserialize_with = "platform::bounds::within::<_, _, 1, 1_000_000>")]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub daily_quota: i32,
    /// Asia/Seoul wall-clock time the day's quota opens, e.g. `10:00:00`.
    #[schema(value_type = String, example = "10:00:00")]
    pub opens_at: NaiveTime,
    /// First and last Seoul calendar day of the drop.
    #[schema(value_type = String, format = Date)]
    pub first_day: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub last_day: NaiveDate,
}

pub async fn create_drop(
    db: &impl ConnectionTrait,
    actor: Actor,
    coupon_id: Uuid,
    new: NewDrop,
) -> PromotionsResult<coupon_drop::Model> {
    let c = get(db, coupon_id).await?;
    let mut errors = Vec::new();
    if new.daily_quota <= 0 || new.daily_quota > 1_000_000 {
        errors.push(FieldError::new(
            "daily_quota",
            "out_of_range",
            "from 1 to 1,000,000",
        ));
    }
    if new.last_day < new.first_day {
        errors.push(FieldError::new(
            "last_day",
            "ends_before_start",
            "the last day must not be before the first",
        ));
    }
    if !errors.is_empty() {
        return Err(PromotionsError::Invalid(errors));
    }
    let d = coupon_drop::ActiveModel {
        id: Set(new_id()),
        coupon_id: Set(c.id),
        daily_quota: Set(new.daily_quota),
        opens_at: Set(new.opens_at),
        first_day: Set(new.first_day),
        last_day: Set(new.last_day),
        created_by: Set(actor.user_id()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    audit::log(db, actor, "drop.create", None, Some(&d)).await?;
    Ok(d)
}

/// A drop running on a Seoul day, with its coupon and what is left of the day's quota.
#[derive(Debug, Clone, FromQueryResult)]
pub struct DropToday {
    /// The drop's id.
    #[sea_orm(from_alias = "drop_id")]
    pub id: Uuid,
    pub daily_quota: i32,
    /// Asia/Seoul wall-clock time the day's quota opens.
    #[sea_orm(from_alias = "drop_opens_at")]
    pub opens_at: NaiveTime,
    #[sea_orm(nested)]
    pub coupon: coupon::Model,
    /// Claims already made on the day.
    pub claimed: i32,
}

/// The drops running on the Seoul day of `at` (their coupon not disabled), by id after
/// `after`; at most `limit`. One query.
#[tracing::instrument(skip(db))]
pub async fn drops_on_day(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    after: Option<Uuid>,
    limit: u64,
) -> PromotionsResult<Vec<DropToday>> {
    let day = seoul::day(at);
    let drops = DropToday::find_by_statement(pg(
        "SELECT c.*, d.id AS drop_id, d.daily_quota, d.opens_at AS drop_opens_at, \
                d.first_day, d.last_day, d.created_by AS drop_created_by, \
                d.created_at AS drop_created_at, COALESCE(dd.claimed, 0) AS claimed \
         FROM promotions.coupon_drops d \
         JOIN promotions.coupons c ON c.id = d.coupon_id \
         LEFT JOIN promotions.coupon_drop_days dd ON dd.drop_id = d.id AND dd.day = $1 \
         WHERE d.first_day <= $1 AND $1 <= d.last_day AND c.disabled_at IS NULL \
           AND ($2::uuid IS NULL OR d.id > $2) \
         ORDER BY d.id \
         LIMIT $3",
        [
            day.into(),
            after.into(),
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
        ],
    ))
    .all(db)
    .await?;
    Ok(drops)
}

/// Claim today's coupon of a drop for `customer`: refused before the day's opening time
/// and once the day's quota is gone. Claiming a coupon already held is a no-op. On an
/// error the caller must roll back.
pub async fn claim(
    db: &impl ConnectionTrait,
    drop_id: Uuid,
    customer: Uuid,
    at: DateTime<Utc>,
) -> PromotionsResult<Uuid> {
    let d = coupon_drop::Entity::find_by_id(drop_id)
        .one(db)
        .await?
        .ok_or(PromotionsError::NotFound("coupon drop"))?;
    let day = seoul::day(at);
    if day < d.first_day || day > d.last_day || at < seoul::instant(day, d.opens_at) {
        return Err(PromotionsError::DropNotOpen);
    }
    let issued = db
        .execute_raw(pg(
            "INSERT INTO promotions.coupon_issues (id, coupon_id, customer_id, drop_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (coupon_id, customer_id) DO NOTHING",
            [new_id().into(), d.coupon_id.into(), customer.into(), d.id.into()],
        ))
        .await?;
    if issued.rows_affected() == 0 {
        return Ok(d.coupon_id);
    }
    let row = db
        .query_one_raw(pg(
            "INSERT INTO promotions.coupon_drop_days AS dd (drop_id, day, claimed) VALUES ($1, $2, 1) \
             ON CONFLICT (drop_id, day) DO UPDATE SET claimed = dd.claimed + 1 WHERE dd.claimed < $3 \
             RETURNING claimed",
            [d.id.into(), day.into(), d.daily_quota.into()],
        ))
        .await?;
    match row {
        Some(_) => Ok(d.coupon_id),
        None => Err(PromotionsError::DropExhausted),
    }
}

/// A drop of a coupon with the claims of each Seoul day on which somebody claimed.
#[derive(Debug, Clone)]
pub struct DropClaims {
    pub drop: coupon_drop::Model,
    /// (day, claims), newest day first.
    pub days: Vec<(NaiveDate, i32)>,
}

/// One day's claims of a drop.
#[derive(FromQueryResult)]
struct DayClaims {
    drop_id: Uuid,
    day: NaiveDate,
    claimed: i32,
}

/// The drops of a coupon, newest first, each with its claims per day (two queries).
pub async fn of_coupon(
    db: &impl ConnectionTrait,
    coupon_id: Uuid,
) -> PromotionsResult<Vec<DropClaims>> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let drops = coupon_drop::Entity::find()
        .filter(coupon_drop::Column::CouponId.eq(coupon_id))
        .order_by_desc(coupon_drop::Column::Id)
        .all(db)
        .await?;
    let rows = DayClaims::find_by_statement(pg(
        "SELECT dd.drop_id, dd.day, dd.claimed FROM promotions.coupon_drop_days dd \
         JOIN promotions.coupon_drops d ON d.id = dd.drop_id \
         WHERE d.coupon_id = $1 ORDER BY dd.day DESC",
        [coupon_id.into()],
    ))
    .all(db)
    .await?;
    let mut out: Vec<DropClaims> = drops
        .into_iter()
        .map(|drop| DropClaims {
            drop,
            days: Vec::new(),
        })
        .collect();
    for r in rows {
        if let Some(d) = out.iter_mut().find(|d| d.drop.id == r.drop_id) {
            d.days.push((r.day, r.claimed));
        }
    }
    Ok(out)
}
