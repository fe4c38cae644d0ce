//! Report periods: Asia/Seoul calendar days, given as `from`/`to` (inclusive) or a quarter
//! (`2026Q4`), and the two periods each is compared with: the same days a year before,
//! and the period just before (the previous quarter for a quarter, else as many days).

use crate::error::{ReportsError, ReportsResult};
use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

/// The longest period a report reads, in days.
pub const MAX_DAYS: i64 = 731;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Period {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    /// Set when the period is a calendar quarter (`2026Q4`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarter: Option<Quarter>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Quarter {
    pub year: i32,
    #[schema(minimum = 1, maximum = 4)]
    pub q: u32,
}

impl Quarter {
    /// `2026Q4`, `2026q4`.
    pub fn parse(s: &str) -> Option<Quarter> {
        let (y, q) = s
            .trim()
            .to_ascii_uppercase()
            .split_once('Q')
            .map(|(y, q)| (y.parse::<i32>().ok(), q.parse::<u32>().ok()))?;
        let (year, q) = (y?, q?);
        ((2000..=2100).contains(&year) && (1..=4).contains(&q)).then_some(Quarter { year, q })
    }

    pub fn period(self) -> Option<Period> {
        let from = NaiveDate::from_ymd_opt(self.year, (self.q - 1) * 3 + 1, 1)?;
        let to = from.checked_add_months(Months::new(3))?.pred_opt()?;
        Some(Period {
            from,
            to,
            quarter: Some(self),
        })
    }

    pub fn previous(self) -> Quarter {
        if self.q == 1 {
            Quarter {
                year: self.year - 1,
                q: 4,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q - 1,
            }
        }
    }

    pub fn label(self) -> String {
        format!("{}Q{}", self.year, self.q)
    }
}

/// The quarter a day falls in.
pub fn quarter_of(day: NaiveDate) -> Quarter {
    Quarter {
        year: day.year(),
        q: day.month0() / 3 + 1,
    }
}

impl Period {
    /// From the query: a quarter, or both `from` and `to`.
    pub fn parse(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        quarter: Option<&str>,
    ) -> ReportsResult<Period> {
        let p = match (quarter, from, to) {
            (Some(q), None, None) => {
                Quarter::parse(q).and_then(Quarter::period).ok_or_else(|| {
                    ReportsError::field("quarter", "invalid_quarter", "a quarter such as 2026Q4")
                })?
            }
            (None, Some(from), Some(to)) => Period {
                from,
                to,
                quarter: None,
            },
            (Some(_), _, _) => {
                return Err(ReportsError::field(
                    "quarter",
                    "conflicting_period",
                    "give either quarter or from and to, not both",
                ));
            }
            _ => {
                return Err(ReportsError::field(
                    "from",
                    "missing_period",
                    "give quarter=2026Q4, or from and to (KST dates, inclusive)",
                ));
            }
        };
        if p.to < p.from {
            return Err(ReportsError::field(
                "to",
                "invalid_period",
                "to is before from",
            ));
        }
        if p.days() > MAX_DAYS {
            return Err(ReportsError::field(
                "to",
                "period_too_long",
                format!("a report covers at most {MAX_DAYS} days"),
            ));
        }
        Ok(p)
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The same days a year before (29 February reads as the 28th).
    pub fn previous_year(&self) -> Period {
        let back = |d: NaiveDate| d.checked_sub_months(Months::new(12)).unwrap_or(d);
        Period {
            from: back(self.from),
            to: back(self.to),
            quarter: self.quarter.map(|q| Quarter {
                year: q.year - 1,
                q: q.q,
            }),
        }
    }

    /// The period just before: the previous quarter, or as many days before `from`.
    pub fn previous_period(&self) -> Period {
        match self
            .quarter
            .map(Quarter::previous)
            .and_then(Quarter::period)
        {
            Some(p) => p,
            None => {
                let len = chrono::Duration::days(self.days());
                Period {
                    from: self.from - len,
                    to: self.from - chrono::Duration::days(1),
                    quarter: None,
                }
            }
        }
    }

    /// How far a day of this comparison period moves to land on the reported period, as
    /// a Postgres interval: month groupings line up by it.
    pub fn shift_to(&self, reported: &Period) -> String {
        let months = (reported.from.year() - self.from.year()) * 12 + reported.from.month() as i32
            - self.from.month() as i32;
        if self.from.day() == 1 && reported.from.day() == 1 {
            format!("{months} months")
        } else {
            format!("{} days", (reported.from - self.from).num_days())
        }
    }

    pub fn label(&self) -> String {
        match self.quarter {
            Some(q) => format!("{} ({} ~ {})", q.label(), self.from, self.to),
            None => format!("{} ~ {}", self.from, self.to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn a_quarter_is_its_three_calendar_months_and_compares_with_last_year_and_last_quarter() {
        let p = Period::parse(None, None, Some("2026Q1")).unwrap_or(Period {
            from: d("2000-01-01"),
            to: d("2000-01-01"),
            quarter: None,
        });
        assert_eq!((p.from, p.to), (d("2026-01-01"), d("2026-03-31")));
        assert_eq!(quarter_of(d("2026-03-31")), Quarter { year: 2026, q: 1 });
        assert_eq!(quarter_of(d("2026-04-01")), Quarter { year: 2026, q: 2 });
        let py = p.previous_year();
        assert_eq!((py.from, py.to), (d("2025-01-01"), d("2025-03-31")));
        let pp = p.previous_period();
        assert_eq!((pp.from, pp.to), (d("2025-10-01"), d("2025-12-31")));
        assert_eq!(pp.shift_to(&p), "3 months");
        assert_eq!(py.shift_to(&p), "12 months");
    }

    #[test]
    fn days_compare_with_as_many_days_before() {
        let p = Period::parse(Some(d("2026-11-10")), Some(d("2026-11-19")), None);
        let Ok(p) = p else { panic!("valid") };
        let pp = p.previous_period();
        assert_eq!((pp.from, pp.to), (d("2026-10-31"), d("2026-11-09")));
        assert_eq!(pp.shift_to(&p), "10 days");
    }

    #[test]
    fn bad_periods_are_refused_with_the_field() {
        assert!(Period::parse(None, None, Some("2026Q5")).is_err());
        assert!(Period::parse(None, None, None).is_err());
        assert!(Period::parse(Some(d("2026-02-01")), Some(d("2026-01-01")), None).is_err());
        assert!(
            Period::parse(Some(d("2026-01-01")), Some(d("2026-03-01")), Some("2026Q1")).is_err()
        );
        assert!(Period::parse(Some(d("2020-01-01")), Some(d("2026-03-01")), None).is_err());
    }
}
