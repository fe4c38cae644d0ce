use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(schema_name = "catalog", table_name = "vendors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_user_id: Uuid,
    pub trade_name: String,
    pub representative: String,
    #[sea_orm(unique)]
    pub business_number: String,
    pub mail_order_number: Option<String>,
    pub mail_order_exemption: Option<String>,
    pub postal_code: String,
    pub address: String,
    pub address_detail: String,
    pub cs_phone: String,
    pub cs_email: String,
    pub bank_name: String,
    pub bank_account_number: String,
    pub bank_account_holder: String,
    pub story: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub shipping_base_fee: i64,
    pub shipping_free_threshold: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub approved_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
