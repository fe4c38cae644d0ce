//! Integers bounded where they enter: `deserialize_with` helpers that refuse a number
//! outside its range while the body is parsed, so it is a 422 naming the field (code
//! `out_of_range`, see `extract::parse_json`) before any domain code or Postgres sees it.
//! A value Postgres cannot hold (`integer out of range`) or arithmetic on it would overflow
//! is then never a 500. Document the same range on the field with
//! `#[schema(minimum = …, maximum = …)]`:
//!
//! ```
//! #[derive(serde::Deserialize, utoipa::ToSchema)]
//! struct NewThing {
//!     #[serde(deserialize_with = "platform::bounds::within::<_, _, 1, 100>")]
//!     #[schema(minimum = 1, maximum = 100)]
//!     percent: i32,
//!     #[serde(default, deserialize_with = "platform::bounds::within_opt::<_, _, 1, 1000>")]
//!     #[schema(minimum = 1, maximum = 1000)]
//!     per_customer: Option<i32>,
//! }
//! ```

use serde::de::{Error, Unexpected};
use serde::{Deserialize, Deserializer};

/// The most won any single amount of the shop may be (₩100,000,000): prices, discounts,
/// caps, thresholds. Sums of them stay far from `i64::MAX`.
pub const MAX_WON: i64 = 100_000_000;

fn check<E: Error, const MIN: i64, const MAX: i64>(v: i64) -> Result<(), E> {
    if (MIN..=MAX).contains(&v) {
        Ok(())
    } else {
        Err(E::invalid_value(
            Unexpected::Signed(v),
            &format!("an integer from {MIN} to {MAX}").as_str(),
        ))
    }
}

/// An integer from `MIN` to `MAX`, else a deserialisation error saying so.
pub fn within<'de, D, T, const MIN: i64, const MAX: i64>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Copy + Into<i64>,
{
    let v = T::deserialize(d)?;
    check::<D::Error, MIN, MAX>(v.into())?;
    Ok(v)
}

/// [`within`] for an optional field (`null` or absent is `None`; add `#[serde(default)]`).
pub fn within_opt<'de, D, T, const MIN: i64, const MAX: i64>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Copy + Into<i64>,
{
    let v = Option::<T>::deserialize(d)?;
    if let Some(v) = v {
        check::<D::Error, MIN, MAX>(v.into())?;
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use crate::error::ErrorCode;
    use crate::extract::parse_json;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Input {
        #[serde(deserialize_with = "super::within::<_, _, 1, 100>")]
        percent: i32,
        #[serde(default, deserialize_with = "super::within_opt::<_, _, 0, 1000>")]
        budget: Option<i64>,
    }

    #[test]
    fn out_of_range_is_422_naming_the_field() {
        let ok: Input = parse_json(br#"{"percent": 100}"#).unwrap();
        assert_eq!((ok.percent, ok.budget), (100, None));
        assert!(parse_json::<Input>(br#"{"percent": 1, "budget": null}"#).is_ok());
        for (body, field) in [
            (r#"{"percent": 0}"#, "percent"),
            (r#"{"percent": 101}"#, "percent"),
            (r#"{"percent": 5, "budget": 1001}"#, "budget"),
            (r#"{"percent": 5, "budget": -1}"#, "budget"),
        ] {
            let e = parse_json::<Input>(body.as_bytes()).unwrap_err();
            assert_eq!(e.code, ErrorCode::Validation, "{body}");
            assert_eq!(e.errors[0].field, field, "{body}");
            assert_eq!(e.errors[0].code, "out_of_range", "{body}");
        }
        // Beyond i32 is a type error, still named.
        let e = parse_json::<Input>(br#"{"percent": 99999999999}"#).unwrap_err();
        assert_eq!(e.errors[0].field, "percent");
    }
}
