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
