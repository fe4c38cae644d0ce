//! The city's districts (구·군) and where each vendor sits in them, effective-dated: Incheon
//! reorganised on 2026-07-01 (제물포구, 영종구 and 검단구 replaced 중구, 동구 and part of
//! 서구). The table is data (`data/incheon-districts.csv`, with the old→new mapping in
//! `data/incheon-district-successions.csv`), read once.
//!
//! A vendor's district is found from its postal code (the split of 중구 and 서구 runs
//! through postal areas, which an address's district name cannot show), else from the
//! district its address names, else [`UNKNOWN`].

use crate::error::CatalogResult;
use crate::store::vendor;
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::LazyLock;
use uuid::Uuid;

/// The district of a vendor the table cannot place.
pub const UNKNOWN: &str = "미상";

/// One postal range of a district over the days it held.
#[derive(Debug, Clone, Deserialize)]
pub struct DistrictRange {
    pub district: String,
    pub effective_from: NaiveDate,
    /// Exclusive; empty while it holds.
    pub effective_to: Option<NaiveDate>,
    pub postal_from: u32,
    pub postal_to: u32,
}

impl DistrictRange {
    fn holds_on(&self, day: NaiveDate) -> bool {
        self.effective_from <= day && self.effective_to.is_none_or(|to| day < to)
    }
}

/// One line of the old→new mapping a year-over-year comparison uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct Succession {
    pub old: String,
    pub new: String,
    /// Which part of the old district went to the new one.
    pub part: String,
}

fn read<T: for<'de> Deserialize<'de>>(data: &str) -> Vec<T> {
    csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(data.as_bytes())
        .deserialize()
        .filter_map(|r| {
            r.map_err(|e| tracing::error!(error = %e, "a district table row does not read"))
                .ok()
        })
        .collect()
}

static RANGES: LazyLock<Vec<DistrictRange>> =
    LazyLock::new(|| read(include_str!("../data/incheon-districts.csv")));
static SUCCESSIONS: LazyLock<Vec<Succession>> =
    LazyLock::new(|| read(include_str!("../data/incheon-district-successions.csv")));

/// Every district range of the table.
pub fn ranges() -> &'static [DistrictRange] {
    &RANGES
}

/// The old→new mapping of the 2026-07-01 reorganisation.
pub fn successions() -> &'static [Succession] {
    &SUCCESSIONS
}

/// The last day the table knows a change on: districts "as they are now".
fn latest_day() -> NaiveDate {
    RANGES
        .iter()
        .map(|r| r.effective_from)
        .max()
        .unwrap_or(NaiveDate::MIN)
}

/// The district of a postal code and address on `day`.
pub fn district_at(postal_code: &str, address: &str, day: NaiveDate) -> &'static str {
    let holding = || RANGES.iter().filter(move |r| r.holds_on(day));
    if let Ok(code) = postal_code.trim().parse::<u32>()
        && let Some(r) = holding().find(|r| (r.postal_from..=r.postal_to).contains(&code))
    {
        return &r.district;
    }
    // The address names its district as a word: "인천광역시 중구 …".
    address
        .split_whitespace()
        .find_map(|word| holding().find(|r| r.district == word))
        .map_or(UNKNOWN, |r| r.district.as_str())
}

/// The district of a postal code and address under the newest boundaries the table knows:
/// what a year-over-year comparison groups by.
pub fn district_now(postal_code: &str, address: &str) -> &'static str {
    district_at(postal_code, address, latest_day())
}

/// Where a vendor sits: on the day of a sale, and under the newest boundaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorDistrict {
    pub at_sale: &'static str,
    pub comparable: &'static str,
}

impl VendorDistrict {
    /// The district of a vendor at `postal_code` and `address`, for a sale on `day`.
    pub fn of(postal_code: &str, address: &str, day: NaiveDate) -> Self {
        VendorDistrict {
            at_sale: district_at(postal_code, address, day),
            comparable: district_now(postal_code, address),
        }
    }
}

/// The districts of `vendor_ids` on `day` (vendors that do not exist are left out).
pub async fn of_vendors(
    db: &impl ConnectionTrait,
    vendor_ids: &[Uuid],
    day: NaiveDate,
) -> CatalogResult<HashMap<Uuid, VendorDistrict>> {
    let rows: Vec<(Uuid, String, String)> = vendor::Entity::find()
        .select_only()
        .column(vendor::Column::Id)
        .column(vendor::Column::PostalCode)
        .column(vendor::Column::Address)
        .filter(vendor::Column::Id.is_in(vendor_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, postal, address)| (id, VendorDistrict::of(&postal, &address, day)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn the_reorganisation_moves_junggu_donggu_and_geomdan_on_1_july_2026() {
        let before = day("2026-06-30");
        let after = day("2026-07-01");
        // 영종도 (운남로), inland 중구 (차이나타운), 동구, 검단 and 청라.
        for (postal, address, on, district) in [
            ("22373", "인천광역시 중구 운남로", before, "중구"),
            ("22373", "인천광역시 중구 운남로", after, "영종구"),
            ("22314", "인천광역시 중구 차이나타운로", after, "제물포구"),
            ("22547", "인천광역시 동구 금곡로 36", after, "제물포구"),
            ("22547", "", before, "동구"),
            ("22640", "", after, "검단구"),
            ("22742", "", after, "서구"),
            ("23035", "", before, "강화군"),
        ] {
            assert_eq!(
                district_at(postal, address, on),
                district,
                "{postal} {address} {on}"
            );
        }
        assert_eq!(district_now("22742", ""), "서구");
    }

    #[test]
    fn an_address_places_a_vendor_outside_every_range_and_else_it_is_unknown() {
        let d = day("2026-08-01");
        assert_eq!(district_at("", "인천광역시 영종구 하늘대로 1", d), "영종구");
        assert_eq!(
            district_at("06236", "서울특별시 강남구 테헤란로", d),
            UNKNOWN
        );
    }

    #[test]
    fn every_old_district_has_a_successor_under_the_new_boundaries() {
        for s in successions() {
            assert!(
                RANGES
                    .iter()
                    .any(|r| r.district == s.new && r.effective_to.is_none())
            );
            assert!(RANGES.iter().any(|r| r.district == s.old));
        }
        assert_eq!(successions().len(), 5);
    }
}
