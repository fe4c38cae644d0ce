//! When a payable falls due. Days are Asia/Seoul calendar days. A business day is a
//! weekday that is not a public holiday; the holidays are data (the `settlements.holidays`
//! table, seeded for 2026–2027), never a constant here.
//!
//! A payable confirmed (구매확정) on day `c` is eligible `lag` business days later (the
//! eligible day itself rolled forward to a business day when `lag` is 0); its due date is
//! the first cycle day on or after that, rolled forward to a business day: every day for a
//! daily cycle, the named weekday for a weekly one, the named day of the month (the last
//! day in shorter months) for a monthly one. The legal deadline is `c` + the deadline's
//! days (20 by default), in calendar days.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holidays(BTreeSet<NaiveDate>);

impl Holidays {
    pub fn new(days: impl IntoIterator<Item = NaiveDate>) -> Holidays {
        Holidays(days.into_iter().collect())
    }

    pub fn is_business_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.0.contains(&d)
    }

    /// `d` when it is a business day, else the next one.
    pub fn roll_forward(&self, mut d: NaiveDate) -> NaiveDate {
        while !self.is_business_day(d) {
            d = d + Days::new(1);
        }
        d
    }

    /// The `n`th business day after `d` (`d` rolled forward when `n` is 0).
    pub fn add_business_days(&self, d: NaiveDate, n: u32) -> NaiveDate {
        let mut day = d;
        let mut left = n;
        while left > 0 {
            day = day + Days::new(1);
            if self.is_business_day(day) {
                left -= 1;
            }
        }
        self.roll_forward(day)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "cycle", rename_all = "snake_case")]
pub enum Cycle {
    Daily,
    /// `weekday`: 1 = Monday … 7 = Sunday.
    Weekly {
        #[schema(minimum = 1, maximum = 7)]
        weekday: u8,
    },
    /// `day`: 1–31; the month's last day in shorter months.
    Monthly {
        #[schema(minimum = 1, maximum = 31)]
        day: u8,
    },
}

impl Cycle {
    pub fn valid(self) -> bool {
        match self {
            Cycle::Daily => true,
            Cycle::Weekly { weekday } => (1..=7).contains(&weekday),
            Cycle::Monthly { day } => (1..=31).contains(&day),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CyclePolicy {
    pub cycle: Cycle,
    pub lag_business_days: u32,
}

fn last_day_of_month(y: i32, m: u32) -> u32 {
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    next.and_then(|n| n.pred_opt()).map_or(28, |d| d.day())
}

fn monthly_on_or_after(d: NaiveDate, day: u8) -> NaiveDate {
    let (mut y, mut m) = (d.year(), d.month());
    loop {
        let dom = u32::from(day).min(last_day_of_month(y, m));
        if let Some(candidate) = NaiveDate::from_ymd_opt(y, m, dom)
            && candidate >= d
        {
            return candidate;
        }
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
}

/// The due date of a payable confirmed on `confirmed`.
pub fn due_date(policy: CyclePolicy, confirmed: NaiveDate, holidays: &Holidays) -> NaiveDate {
    let eligible = holidays.add_business_days(confirmed, policy.lag_business_days);
    let cycle_day = match policy.cycle {
        Cycle::Daily => eligible,
        Cycle::Weekly { weekday } => {
            let want = u32::from(weekday.clamp(1, 7)) - 1;
            let have = eligible.weekday().num_days_from_monday();
            eligible + Days::new(u64::from((want + 7 - have) % 7))
        }
        Cycle::Monthly { day } => monthly_on_or_after(eligible, day.clamp(1, 31)),
    };
    holidays.roll_forward(cycle_day)
}

/// The legal deadline of a payable confirmed on `confirmed`.
pub fn legal_deadline(confirmed: NaiveDate, deadline_days: u32) -> NaiveDate {
    confirmed + Days::new(u64::from(deadline_days))
}

/// The longest wait, in calendar days from confirmation to due date, over confirmations
/// on each of the `span` days from `from`: a policy whose worst wait passes the legal
/// deadline is flagged when it is saved.
pub fn worst_wait_days(
    policy: CyclePolicy,
    holidays: &Holidays,
    from: NaiveDate,
    span: u32,
) -> i64 {
    (0..span)
        .map(|i| {
            let c = from + Days::new(u64::from(i));
            (due_date(policy, c, holidays) - c).num_days()
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    /// Chuseok 2026 (Sep 24–26) and the substitute for 개천절 (Oct 5).
    fn autumn_2026() -> Holidays {
        Holidays::new([
            d(2026, 9, 24),
            d(2026, 9, 25),
            d(2026, 9, 26),
            d(2026, 10, 5),
            d(2026, 10, 9),
        ])
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        let h = autumn_2026();
        // Wed 23 Sep + 1 business day: Thu–Sun are holidays or weekend → Mon 28 Sep.
        assert_eq!(h.add_business_days(d(2026, 9, 23), 1), d(2026, 9, 28));
        // Lag 0 on a holiday rolls forward.
        assert_eq!(h.add_business_days(d(2026, 9, 25), 0), d(2026, 9, 28));
        // Fri 2 Oct + 1: Mon 5 Oct is a substitute holiday → Tue 6 Oct.
        assert_eq!(h.add_business_days(d(2026, 10, 2), 1), d(2026, 10, 6));
    }

    #[test]
    fn due_dates_follow_the_cycle() {
        let h = autumn_2026();
        let daily = CyclePolicy {
            cycle: Cycle::Daily,
            lag_business_days: 1,
        };
        assert_eq!(due_date(daily, d(2026, 9, 23), &h), d(2026, 9, 28));
        // Weekly on Fridays, 2 business days' lag: confirmed Mon 14 Sep → eligible Wed 16
        // → Fri 18 Sep.
        let weekly = CyclePolicy {
            cycle: Cycle::Weekly { weekday: 5 },
            lag_business_days: 2,
        };
        assert_eq!(due_date(weekly, d(2026, 9, 14), &h), d(2026, 9, 18));
        // Confirmed Wed 7 Oct → eligible Mon 12 Oct (9 Oct is 한글날) → Fri 16 Oct.
        assert_eq!(due_date(weekly, d(2026, 10, 7), &h), d(2026, 10, 16));
        // Monthly on the 31st: the last day of shorter months, rolled to a business day.
        let monthly = CyclePolicy {
            cycle: Cycle::Monthly { day: 31 },
            lag_business_days: 0,
        };
        assert_eq!(due_date(monthly, d(2026, 9, 3), &h), d(2026, 9, 30));
        assert_eq!(due_date(monthly, d(2026, 10, 3), &h), d(2026, 11, 2)); // Sat 31 Oct → Mon
        assert_eq!(
            due_date(monthly, d(2027, 2, 1), &Holidays::default()),
            d(2027, 3, 1)
        ); // Sun 28 Feb → Mon
    }

    #[test]
    fn a_monthly_cycle_can_pass_the_legal_deadline() {
        let h = Holidays::default();
        let monthly = CyclePolicy {
            cycle: Cycle::Monthly { day: 10 },
            lag_business_days: 5,
        };
        let worst = worst_wait_days(monthly, &h, d(2026, 1, 1), 365);
        assert!(worst > 20, "{worst}");
        let daily = CyclePolicy {
            cycle: Cycle::Daily,
            lag_business_days: 1,
        };
        assert!(worst_wait_days(daily, &h, d(2026, 1, 1), 365) <= 3);
        assert_eq!(legal_deadline(d(2026, 12, 20), 20), d(2027, 1, 9));
    }
}
