//! Catalog rules as types that can only hold valid values.

pub mod business_number;
pub mod html;
pub mod postal;
pub mod status;
