//! sea-orm entities of the `promotions` schema, kept in step with the migrations, and the
//! owner-scoped query helpers vendor routes go through.

pub mod application;
pub mod audit;
pub mod campaign;
pub mod campaign_price;
pub mod coupon;
pub mod coupon_drop;
pub mod section;
pub mod slot;
pub mod stacking_policy;
pub mod time_deal;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select,
};
use uuid::Uuid;

/// A cursor page of `q`, newest first: at most `limit` rows with an `id` before `after`
/// (a cursor page fetches `limit + 1` to learn whether there is more).
pub async fn newest_first<E: EntityTrait>(
    db: &impl ConnectionTrait,
    q: Select<E>,
    id: E::Column,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<E::Model>, DbErr> {
    q.order_by_desc(id)
        .apply_if(after, |q, a| q.filter(id.lt(a)))
        .limit(limit)
        .all(db)
        .await
}
