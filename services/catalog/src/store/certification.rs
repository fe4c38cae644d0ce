use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(schema_name = "catalog", table_name = "certifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub kind: String,
    pub class: String,
    pub number: String,
    pub issued_on: Date,
    pub expires_on: Date,
    pub verified_at: Option<DateTimeUtc>,
    pub verified_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub rejected_at: Option<DateTimeUtc>,
    pub rejected_by: Option<Uuid>,
    /// What the vendor is shown; set exactly when `rejected_at` is.
    pub rejection_reason: Option<String>,
}

impl Model {
    /// Verified or rejected: an admin has looked at it, and may not change their mind
    /// (the vendor submits a corrected certification instead).
    pub fn is_decided(&self) -> bool {
        self.verified_at.is_some() || self.rejected_at.is_some()
    }

    /// A badge shows only while verified and within its dates: expiry needs no job.
    pub fn is_valid_on(&self, day: Date) -> bool {
        self.verified_at.is_some() && self.issued_on <= day && day <= self.expires_on
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
