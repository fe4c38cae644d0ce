use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(schema_name = "promotions", table_name = "time_deals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub product_id: Uuid,
    pub variant_id: Uuid,
    pub deal_price: i64,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub quantity: i32,
    pub sold: i32,
    pub per_customer_limit: Option<i32>,
    /// The vendor's share of the discount, in basis points (10,000: all of it; 0: none).
    pub vendor_share_bp: i32,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
