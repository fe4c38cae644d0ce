//! Who funds a discount: the vendor's share of it, in basis points, recorded on the
//! campaign, time deal or coupon that grants it and carried by the pricing engine into the
//! quote stored with each order (see `pricing::AppliedPromotion::vendor_share_bp` and
//! `pricing::CouponShare::vendor_share_bp`). Settlement books from the stored quote, so a
//! later change of a share never changes what an earlier order books.

use crate::pricing::ALL_OF_IT;
use platform::error::FieldError;

/// Campaign prices and time deals: the vendor offering the price funds it.
pub const DEFAULT_PROMOTION_BP: i32 = ALL_OF_IT as i32;
/// Coupons: the platform funds them.
pub const DEFAULT_COUPON_BP: i32 = 0;

/// A stored share as the engine's (the columns are checked to 0..=10,000).
pub fn share(bp: i32) -> u16 {
    bp.clamp(0, i32::from(ALL_OF_IT)) as u16
}

/// A given share must lie in 0..=10,000.
pub fn check(errors: &mut Vec<FieldError>, bp: Option<i32>) {
    if bp.is_some_and(|bp| !(0..=i32::from(ALL_OF_IT)).contains(&bp)) {
        errors.push(FieldError::new(
            "vendor_share_bp",
            "out_of_range",
            "0 to 10000 basis points",
        ));
    }
}
