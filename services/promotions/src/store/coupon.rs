use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(schema_name = "promotions", table_name = "coupons")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub code: Option<String>,
    pub name: String,
    pub kind: String,
    pub percent: Option<i32>,
    pub cap: Option<i64>,
    pub amount: Option<i64>,
    pub min_order: i64,
    pub scope_kind: String,
    pub scope_id: Option<Uuid>,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub total_uses: Option<i32>,
    pub per_customer_limit: Option<i32>,
    pub budget: Option<i64>,
    pub used_count: i32,
    pub spent: i64,
    pub disabled_at: Option<DateTimeUtc>,
    /// The vendor's share of the discount, in basis points (10,000: all of it; 0: none).
    pub vendor_share_bp: i32,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
