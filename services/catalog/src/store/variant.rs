use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(schema_name = "catalog", table_name = "variants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub product_id: Uuid,
    pub vendor_id: Uuid,
    pub sku: String,
    pub name: String,
    pub options: Json,
    pub price: i64,
    pub compare_at_price: Option<i64>,
    pub on_hand: i32,
    pub reserved: i32,
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl Model {
    pub fn available(&self) -> i32 {
        self.on_hand - self.reserved
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl platform::db::VendorOwned for Entity {
    const VENDOR_ID: Column = Column::VendorId;
}
