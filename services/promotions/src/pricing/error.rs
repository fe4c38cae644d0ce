//! Why a cart cannot be quoted at all. A promotion or coupon that does not apply is not an
//! error: the quote says why.

use platform::money::Won;
use serde::Serialize;
use uuid::Uuid;

/// `line` is the 0-based index of the cart line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum PricingError {
    #[error("line {line}: unit price {unit_price} must be positive")]
    NonPositiveUnitPrice {
        line: usize,
        variant_id: Uuid,
        unit_price: Won,
    },
    #[error("line {line}: amount is above the largest the shop accepts")]
    AmountTooLarge { line: usize, variant_id: Uuid },
    #[error("line {line}: vendor {vendor_id} has no shipping policy")]
    MissingShippingPolicy { line: usize, vendor_id: Uuid },
    #[error("vendor {vendor_id} has more than one shipping policy")]
    DuplicateShippingPolicy { vendor_id: Uuid },
    #[error("vendor {vendor_id}: shipping fee or threshold out of range")]
    InvalidShippingPolicy { vendor_id: Uuid },
}
