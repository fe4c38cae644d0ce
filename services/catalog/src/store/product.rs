use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(schema_name = "catalog", table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub category_id: Uuid,
    pub title: String,
    pub description_html: String,
    pub images: Json,
    pub tags: Vec<String>,
    pub origin: String,
    pub notice: Json,
    pub withdrawal_restricted: bool,
    pub taxable: bool,
    pub max_per_order: Option<i32>,
    pub status: String,
    pub min_price: i64,
    pub popularity: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl platform::db::VendorOwned for Entity {
    const VENDOR_ID: Column = Column::VendorId;
}
