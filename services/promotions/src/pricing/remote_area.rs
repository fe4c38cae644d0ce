//! The remote-area (도서산간) surcharge table: inclusive ranges of 5-digit postal codes with
//! a surcharge, and exemptions for bridge-connected islands that share a code with real
//! islands (FTC, 2025-10: charging them is deceptive). Kept as data, never hard-coded.

use platform::money::Won;
use serde::{Deserialize, Serialize};

use super::cart::{Destination, MAX_AMOUNT};

/// One inclusive range of postal codes and its surcharge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteAreaRange {
    pub region: String,
    pub from: u32,
    pub to: u32,
    pub surcharge: Won,
}

/// An address inside a remote range that must not be charged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RemoteAreaExemption {
    /// The whole postal code.
    PostalCode { postal_code: u32 },
    /// A road (a whole word of the road address, e.g. `교동남로`), within one postal code
    /// or, without one, wherever it appears in a remote range.
    RoadName {
        road: String,
        postal_code: Option<u32>,
    },
    /// One building, by its 건물관리번호 (compared on digits only).
    BuildingNo { building_no: String },
}

/// The remote area a destination falls in, and whether it is exempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RemoteAreaMatch {
    pub postal_code: String,
    pub region: String,
    /// What the range would charge per parcel.
    pub range_surcharge: Won,
    /// The exemption that applies, if any.
    pub exemption: Option<RemoteAreaExemption>,
    /// Charged per vendor parcel: 0 when exempt.
    pub surcharge: Won,
}

/// Why a table could not be built; `line` is 1-based in the CSV text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteAreaError {
    #[error("line {line}: expected header `{expected}`")]
    MissingHeader { line: usize, expected: &'static str },
    #[error("line {line}: {reason}")]
    BadRow { line: usize, reason: String },
    #[error("ranges {first} and {second} overlap")]
    Overlap { first: String, second: String },
    #[error("range {region} {from:05}-{to:05}: {reason}")]
    BadRange {
        region: String,
        from: u32,
        to: u32,
        reason: &'static str,
    },
}

/// Surcharges by postal-code range, with exemptions. Lookups are a binary search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteAreaTable {
    /// Sorted by `from`, not overlapping.
    ranges: Vec<RemoteAreaRange>,
    exemptions: Vec<RemoteAreaExemption>,
}

const RANGES_HEADER: &str = "region,from,to,default_surcharge";
const EXEMPTIONS_HEADER: &str = "kind,value,postal_code,note";
const MAX_POSTAL: u32 = 99_999;

impl RemoteAreaTable {
    /// A table from its rows. Ranges must be valid 5-digit codes, `from <= to`, a
    /// surcharge in `0..=MAX_AMOUNT`, and must not overlap.
    pub fn new(
        mut ranges: Vec<RemoteAreaRange>,
        exemptions: Vec<RemoteAreaExemption>,
    ) -> Result<Self, RemoteAreaError> {
        for r in &ranges {
            let bad = |reason| RemoteAreaError::BadRange {
                region: r.region.clone(),
                from: r.from,
                to: r.to,
                reason,
            };
            if r.from > MAX_POSTAL || r.to > MAX_POSTAL {
                return Err(bad("postal codes have 5 digits"));
            }
            if r.from > r.to {
                return Err(bad("`from` is after `to`"));
            }
            if r.surcharge < Won::ZERO || r.surcharge > MAX_AMOUNT {
                return Err(bad("surcharge out of range"));
            }
        }
        ranges.sort_by_key(|r| (r.from, r.to));
        for pair in ranges.windows(2) {
            if pair[1].from <= pair[0].to {
                let show = |r: &RemoteAreaRange| format!("{} {:05}-{:05}", r.region, r.from, r.to);
                return Err(RemoteAreaError::Overlap {
                    first: show(&pair[0]),
                    second: show(&pair[1]),
                });
            }
        }
        Ok(RemoteAreaTable { ranges, exemptions })
    }

    /// Parses the ranges file format of `remote-areas.csv`: `#` comments and blank lines
    /// anywhere, then the header `region,from,to,default_surcharge`, then one inclusive
    /// range per row with 5-digit codes. No quoting. Any bad row is an error.
    pub fn from_csv(text: &str) -> Result<Self, RemoteAreaError> {
        let mut ranges = Vec::new();
        for (line, fields) in csv_rows(text, RANGES_HEADER)? {
            let [region, from, to, surcharge] = fields.as_slice() else {
                return Err(RemoteAreaError::BadRow {
                    line,
                    reason: format!("expected 4 fields, found {}", fields.len()),
                });
            };
            if region.is_empty() {
                return Err(RemoteAreaError::BadRow {
                    line,
                    reason: "empty region".into(),
                });
            }
            let surcharge = surcharge
                .parse::<i64>()
                .map_err(|_| RemoteAreaError::BadRow {
                    line,
                    reason: format!("surcharge `{surcharge}` is not a whole number of won"),
                })?;
            ranges.push(RemoteAreaRange {
                region: (*region).to_owned(),
                from: parse_postal(from).ok_or_else(|| bad_postal(line, from))?,
                to: parse_postal(to).ok_or_else(|| bad_postal(line, to))?,
                surcharge: Won(surcharge),
            });
        }
        Self::new(ranges, Vec::new())
    }

    /// Adds exemptions from CSV text with the header `kind,value,postal_code,note`, where
    /// `kind` is `postal_code` (value: the code), `road_name` (value: the road, optional
    /// postal code) or `building_no` (value: the 건물관리번호). The note is free text and
    /// may contain commas.
    pub fn with_exemptions_csv(mut self, text: &str) -> Result<Self, RemoteAreaError> {
        for (line, fields) in csv_rows(text, EXEMPTIONS_HEADER)? {
            if fields.len() < 2 {
                return Err(RemoteAreaError::BadRow {
                    line,
                    reason: format!("expected at least 2 fields, found {}", fields.len()),
                });
            }
            let (kind, value) = (fields[0], fields[1]);
            let postal = match fields.get(2).copied().filter(|p| !p.is_empty()) {
                Some(p) => Some(parse_postal(p).ok_or_else(|| bad_postal(line, p))?),
                None => None,
            };
            if value.is_empty() {
                return Err(RemoteAreaError::BadRow {
                    line,
                    reason: "empty value".into(),
                });
            }
            let exemption = match kind {
                "postal_code" => RemoteAreaExemption::PostalCode {
                    postal_code: parse_postal(value).ok_or_else(|| bad_postal(line, value))?,
                },
                "road_name" => RemoteAreaExemption::RoadName {
                    road: value.to_owned(),
                    postal_code: postal,
                },
                "building_no" => {
                    let digits = digits_only(value);
                    if digits.is_empty() {
                        return Err(RemoteAreaError::BadRow {
                            line,
                            reason: format!("building number `{value}` has no digits"),
                        });
                    }
                    RemoteAreaExemption::BuildingNo {
                        building_no: digits,
                    }
                }
                other => {
                    return Err(RemoteAreaError::BadRow {
                        line,
                        reason: format!(
                            "unknown kind `{other}` (postal_code, road_name, building_no)"
                        ),
                    });
                }
            };
            self.exemptions.push(exemption);
        }
        Ok(self)
    }

    pub fn with_exemption(mut self, exemption: RemoteAreaExemption) -> Self {
        self.exemptions.push(exemption);
        self
    }

    pub fn ranges(&self) -> &[RemoteAreaRange] {
        &self.ranges
    }

    pub fn exemptions(&self) -> &[RemoteAreaExemption] {
        &self.exemptions
    }

    /// The remote area of a destination, `None` on the mainland.
    pub fn lookup(&self, destination: &Destination) -> Option<RemoteAreaMatch> {
        let code = destination.postal_code.number();
        let idx = self.ranges.partition_point(|r| r.to < code);
        let range = self.ranges.get(idx).filter(|r| r.from <= code)?;
        let exemption = self
            .exemptions
            .iter()
            .find(|e| exempts(e, code, destination))
            .cloned();
        Some(RemoteAreaMatch {
            postal_code: format!("{code:05}"),
            region: range.region.clone(),
            range_surcharge: range.surcharge,
            surcharge: if exemption.is_some() {
                Won::ZERO
            } else {
                range.surcharge
            },
            exemption,
        })
    }
}

fn exempts(exemption: &RemoteAreaExemption, code: u32, destination: &Destination) -> bool {
    match exemption {
        RemoteAreaExemption::PostalCode { postal_code } => *postal_code == code,
        RemoteAreaExemption::RoadName { road, postal_code } => {
            postal_code.is_none_or(|p| p == code)
                && destination
                    .road_address
                    .as_deref()
                    .is_some_and(|addr| addr.split_whitespace().any(|word| word == road))
        }
        RemoteAreaExemption::BuildingNo { building_no } => destination
            .building_no
            .as_deref()
            .is_some_and(|b| digits_only(b) == *building_no),
    }
}

/// Data rows of a CSV text after its header, as (1-based line number, trimmed fields).
fn csv_rows<'t>(
    text: &'t str,
    header: &'static str,
) -> Result<Vec<(usize, Vec<&'t str>)>, RemoteAreaError> {
    let mut rows = Vec::new();
    let mut seen_header = false;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim().trim_start_matches('\u{feff}');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = if header == EXEMPTIONS_HEADER {
            trimmed.splitn(4, ',').map(str::trim).collect()
        } else {
            trimmed.split(',').map(str::trim).collect()
        };
        if !seen_header {
            if fields.join(",") != header {
                return Err(RemoteAreaError::MissingHeader {
                    line,
                    expected: header,
                });
            }
            seen_header = true;
            continue;
        }
        if fields.iter().any(|f| f.contains('"')) {
            return Err(RemoteAreaError::BadRow {
                line,
                reason: "quoted fields are not supported".into(),
            });
        }
        rows.push((line, fields));
    }
    if !seen_header {
        return Err(RemoteAreaError::MissingHeader {
            line: text.lines().count() + 1,
            expected: header,
        });
    }
    Ok(rows)
}

/// Exactly five ASCII digits.
fn parse_postal(s: &str) -> Option<u32> {
    (s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn bad_postal(line: usize, value: &str) -> RemoteAreaError {
    RemoteAreaError::BadRow {
        line,
        reason: format!("`{value}` is not a 5-digit postal code"),
    }
}

fn digits_only(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use platform::postal::PostalCode;

    /// The shared data file, beside the domain notes (outside this repository's tree).
    const REAL_FILE: &str = include_str!("../../../../migrations/data/remote-areas.csv");

    fn at(code: &str) -> Destination {
        Destination::postal(PostalCode::parse(code).unwrap())
    }

    #[test]
    fn parses_the_real_remote_area_file() {
        let table = RemoteAreaTable::from_csv(REAL_FILE).expect("remote-areas.csv parses");
        assert_eq!(table.ranges().len(), 30);
        let jeju = table.lookup(&at("63100")).expect("Jeju is remote");
        assert_eq!(jeju.region, "jeju");
        assert_eq!(jeju.surcharge, Won(3000));
        let ganghwa = table.lookup(&at("23004")).expect("강화 island");
        assert_eq!(ganghwa.region, "incheon-ganghwa-islands");
        assert_eq!(ganghwa.surcharge, Won(5000));
        // Range ends are inclusive; neighbours are not remote.
        assert!(table.lookup(&at("63644")).is_some());
        assert!(table.lookup(&at("63645")).is_none());
        assert!(table.lookup(&at("23003")).is_none());
        assert!(table.lookup(&at("59790")).is_some());
        // 인천 시청 (mainland).
        assert!(table.lookup(&at("21554")).is_none());
    }

    #[test]
    fn inline_table_finds_ranges_and_single_codes() {
        let table = RemoteAreaTable::from_csv(
            "# comment\n\nregion,from,to,default_surcharge\njeju,63000,63644,3000\n\
             ulleung,40200,40240,5000\nsinan,58826,58826,5000\n",
        )
        .unwrap();
        assert_eq!(table.lookup(&at("63000")).unwrap().surcharge, Won(3000));
        assert_eq!(table.lookup(&at("58826")).unwrap().region, "sinan");
        assert!(table.lookup(&at("58827")).is_none());
        assert!(table.lookup(&at("00001")).is_none());
        assert!(table.lookup(&at("99999")).is_none());
    }

    #[test]
    fn rejects_bad_rows_with_their_line() {
        let bad = |text: &str| RemoteAreaTable::from_csv(text).unwrap_err();
        assert!(matches!(
            bad("jeju,63000,63644,3000"),
            RemoteAreaError::MissingHeader { line: 1, .. }
        ));
        assert!(matches!(bad(""), RemoteAreaError::MissingHeader { .. }));
        let h = "region,from,to,default_surcharge\n";
        assert!(matches!(
            bad(&format!("{h}jeju,6300,63644,3000")),
            RemoteAreaError::BadRow { line: 2, .. }
        ));
        assert!(matches!(
            bad(&format!("{h}jeju,63000,63644")),
            RemoteAreaError::BadRow { line: 2, .. }
        ));
        assert!(matches!(
            bad(&format!("{h}jeju,63000,63644,3천원")),
            RemoteAreaError::BadRow { .. }
        ));
        assert!(matches!(
            bad(&format!("{h},63000,63644,3000")),
            RemoteAreaError::BadRow { .. }
        ));
        assert!(matches!(
            bad(&format!("{h}\"jeju\",63000,63644,3000")),
            RemoteAreaError::BadRow { .. }
        ));
        assert!(matches!(
            bad(&format!("{h}jeju,63644,63000,3000")),
            RemoteAreaError::BadRange { .. }
        ));
        assert!(matches!(
            bad(&format!("{h}jeju,63000,63644,-1")),
            RemoteAreaError::BadRange { .. }
        ));
        assert!(matches!(
            bad(&format!("{h}a,63000,63100,3000\nb,63100,63200,3000")),
            RemoteAreaError::Overlap { .. }
        ));
    }

    #[test]
    fn malformed_destination_codes_never_reach_the_table() {
        let table = RemoteAreaTable::from_csv(REAL_FILE).unwrap();
        for code in ["6310", "631000", "63-10", "abcde", "", "６３１００"] {
            assert!(PostalCode::parse(code).is_err(), "{code:?}");
        }
        // Surrounding whitespace is forgiven.
        assert!(table.lookup(&at(" 63100 ")).is_some());
    }

    #[test]
    fn bridge_connected_islands_are_exempt_by_road_building_or_code() {
        let table = RemoteAreaTable::from_csv(REAL_FILE)
            .unwrap()
            .with_exemptions_csv(
                "kind,value,postal_code,note\n\
                 road_name,교동남로,23007,교동대교 (2014), bridge-connected\n\
                 building_no,2871025021100010000000001,,석모대교 connected\n\
                 postal_code,23009,,whole code on the bridge side\n",
            )
            .unwrap();
        let dest = |code: &str, road: Option<&str>, bno: Option<&str>| Destination {
            postal_code: PostalCode::parse(code).unwrap(),
            road_address: road.map(Into::into),
            building_no: bno.map(Into::into),
        };
        let on_road = table
            .lookup(&dest(
                "23007",
                Some("인천광역시 강화군 교동면 교동남로 123"),
                None,
            ))
            .unwrap();
        assert_eq!(on_road.surcharge, Won::ZERO);
        assert_eq!(on_road.range_surcharge, Won(5000));
        assert!(matches!(
            on_road.exemption,
            Some(RemoteAreaExemption::RoadName { .. })
        ));
        // Same road name under another code: still charged.
        let elsewhere = table
            .lookup(&dest("23004", Some("인천광역시 강화군 교동남로 1"), None))
            .unwrap();
        assert_eq!(elsewhere.surcharge, Won(5000));
        // A longer road that merely starts with the name is not the road.
        let longer = table
            .lookup(&dest(
                "23007",
                Some("인천광역시 강화군 교동면 교동남로길 5"),
                None,
            ))
            .unwrap();
        assert_eq!(longer.surcharge, Won(5000));
        let by_building = table
            .lookup(&dest("23008", None, Some("28710-25021-10001-0000-000001")))
            .unwrap();
        assert_eq!(by_building.surcharge, Won::ZERO);
        assert_eq!(
            table.lookup(&dest("23009", None, None)).unwrap().surcharge,
            Won::ZERO
        );
        assert_eq!(
            table.lookup(&dest("23010", None, None)).unwrap().surcharge,
            Won(5000)
        );
    }

    #[test]
    fn rejects_bad_exemption_rows() {
        let base = RemoteAreaTable::default();
        let h = "kind,value,postal_code,note\n";
        for row in [
            "bridge,교동남로,23007,",
            "postal_code,2300,,",
            "road_name,,23007,",
            "road_name,교동남로,2300x,",
            "building_no,abc,,",
        ] {
            assert!(
                matches!(
                    base.clone().with_exemptions_csv(&format!("{h}{row}")),
                    Err(RemoteAreaError::BadRow { line: 2, .. })
                ),
                "{row}"
            );
        }
    }
}
