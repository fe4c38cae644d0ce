use sea_orm::entity::prelude::*;

/// The one current stacking policy (a unique index allows a single row).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(schema_name = "promotions", table_name = "stacking_policy")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub max_order_coupons: i16,
    pub max_shipping_coupons: i16,
    pub time_deal_beats_campaign: bool,
    pub order_and_shipping_coupons_combine: bool,
    pub coupons_on_promoted_lines: bool,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
