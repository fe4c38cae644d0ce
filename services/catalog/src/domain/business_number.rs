//! 사업자등록번호 lives in platform (buyer organisations check it too); re-exported here
//! for the catalog's vendors.

pub use platform::business_number::BusinessNumber;
