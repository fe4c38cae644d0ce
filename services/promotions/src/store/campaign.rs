use crate::error::{PromotionsError, PromotionsResult};
use sea_orm::QuerySelect;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(schema_name = "promotions", table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    #[sea_orm(unique)]
    pub slug: String,
    pub theme: String,
    pub description: String,
    pub banner_pc: Option<String>,
    pub banner_mobile: Option<String>,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub status: String,
    pub ended_early_at: Option<DateTimeUtc>,
    pub membership: Json,
    /// The vendor's share of the discount of the campaign's prices, in basis points (10,000: all of it; 0: none).
    pub vendor_share_bp: i32,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

// The row reads every campaign operation starts from, here with the entity so that both
// `campaigns` and `prices` (which `campaigns` calls) use them without importing each other.

/// Load a campaign or answer not found.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> PromotionsResult<Model> {
    Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(PromotionsError::NotFound("campaign"))
}

/// Load a campaign and lock its row for the rest of the transaction.
pub async fn get_for_update(db: &impl ConnectionTrait, id: Uuid) -> PromotionsResult<Model> {
    Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(PromotionsError::NotFound("campaign"))
}

/// A campaign that has ended is history: its sections and prices stay as they were.
pub fn refuse_ended(c: &Model, action: &'static str) -> PromotionsResult<()> {
    if c.status == crate::states::CampaignStatus::Ended {
        return Err(PromotionsError::IllegalTransition {
            action,
            state: "the campaign has ended".into(),
        });
    }
    Ok(())
}
