//! sea-orm entities of the `catalog` schema, kept in step with the migrations, and the
//! owner-scoped query helpers every vendor route goes through.

pub mod category;
pub mod certification;
pub mod penalty;
pub mod product;
pub mod product_image;
pub mod variant;
pub mod vendor;
