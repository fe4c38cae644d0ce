//! Campaign schedules are entered and shown in Asia/Seoul. Korea has kept UTC+9 without
//! daylight saving since 1988, so a fixed offset is exact.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Offset, Utc};

const OFFSET_SECS: i32 = 9 * 3600;

pub fn offset() -> FixedOffset {
    // Nine hours is within ±24 h, so this never falls back.
    FixedOffset::east_opt(OFFSET_SECS).unwrap_or(Utc.fix())
}

/// An instant as Seoul wall-clock time (serialises as `…+09:00`).
pub fn show(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&offset())
}

/// The Seoul calendar day of an instant.
pub fn day(at: DateTime<Utc>) -> NaiveDate {
    show(at).date_naive()
}

/// The instant of Seoul wall-clock `time` on Seoul `day`.
pub fn instant(day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = day.and_time(time);
    DateTime::<Utc>::from_naive_utc_and_offset(
        local - chrono::Duration::seconds(OFFSET_SECS.into()),
        Utc,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seoul_is_nine_hours_ahead() {
        let at: DateTime<Utc> = "2026-12-31T15:30:00Z".parse().unwrap_or_default();
        assert_eq!(show(at).to_rfc3339(), "2027-01-01T00:30:00+09:00");
        assert_eq!(
            day(at),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default()
        );
        let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default();
        assert_eq!(
            instant(day(at), ten).to_rfc3339(),
            "2027-01-01T01:00:00+00:00"
        );
    }
}
