//! How many units of one variant a line holds: 1 to [`Quantity::MAX`], whatever the layer
//! (a cart line, the quote's line, an order line, a stock movement). Built only valid;
//! stored as `int`. A cart line holds at most [`Quantity::CART_MAX`]; an accepted
//! quotation's line (a school's bulk order) may hold more.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Quantity(u32);

impl Quantity {
    /// The most units of one variant any line may hold (a quotation's, the largest).
    pub const MAX: u32 = 100_000;

    /// The most units of one variant a shopper's cart line may hold.
    pub const CART_MAX: u32 = 999;

    /// One unit: what a product page prices.
    pub const ONE: Quantity = Quantity(1);

    /// `n` units, if `n` is 1 to [`Quantity::MAX`].
    pub const fn new(n: u32) -> Option<Quantity> {
        if n >= 1 && n <= Self::MAX {
            Some(Quantity(n))
        } else {
            None
        }
    }

    /// `n` brought into 1 to [`Quantity::MAX`].
    pub fn clamped(n: i64) -> Quantity {
        Quantity(n.clamp(1, i64::from(Self::MAX)) as u32)
    }

    /// A stored `int` as a quantity, if it is one (1 to [`Quantity::MAX`]).
    pub fn from_stored(n: i32) -> Option<Quantity> {
        u32::try_from(n).ok().and_then(Quantity::new)
    }

    pub const fn get(self) -> u32 {
        self.0
    }

    /// As stored (`int`): always fits.
    pub const fn as_i32(self) -> i32 {
        self.0 as i32
    }
}

impl TryFrom<u32> for Quantity {
    type Error = String;
    fn try_from(n: u32) -> Result<Self, Self::Error> {
        Quantity::new(n).ok_or_else(|| format!("a quantity is 1 to {}", Quantity::MAX))
    }
}

impl From<Quantity> for u32 {
    fn from(q: Quantity) -> u32 {
        q.0
    }
}

impl From<Quantity> for sea_orm::Value {
    fn from(q: Quantity) -> Self {
        q.as_i32().into()
    }
}

impl sea_orm::TryGetable for Quantity {
    fn try_get_by<I: sea_orm::ColIdx>(
        res: &sea_orm::QueryResult,
        index: I,
    ) -> Result<Self, sea_orm::TryGetError> {
        let n = <i32 as sea_orm::TryGetable>::try_get_by(res, index)?;
        Quantity::from_stored(n).ok_or_else(|| {
            sea_orm::TryGetError::DbErr(sea_orm::DbErr::Type(format!(
                "stored quantity {n} is not 1 to {}",
                Quantity::MAX
            )))
        })
    }
}

impl utoipa::PartialSchema for Quantity {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int32,
            )))
            .minimum(Some(1))
            .maximum(Some(Quantity::MAX))
            .description(Some("Units of one variant"))
            .into()
    }
}
impl utoipa::ToSchema for Quantity {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_1_to_100_000_is_a_quantity() {
        assert_eq!(Quantity::new(0), None);
        assert_eq!(Quantity::new(1).map(Quantity::get), Some(1));
        assert_eq!(Quantity::new(100_000).map(Quantity::get), Some(100_000));
        assert_eq!(Quantity::new(100_001), None);
        assert_eq!(Quantity::clamped(-5).get(), 1);
        assert_eq!(Quantity::clamped(500_000).get(), 100_000);
        assert!(serde_json::from_str::<Quantity>("0").is_err());
        assert_eq!(serde_json::to_string(&Quantity::clamped(3)).unwrap(), "3");
    }
}
