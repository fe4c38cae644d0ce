//! A UTC instant as JSON text, exactly as chrono's own `Serialize` writes it
//! (`2026-12-06T04:55:12.123456Z`: RFC 3339, the fraction in 0, 3, 6 or 9 digits, `Z`),
//! for `#[serde(serialize_with = ...)]` on the hot storefront answers.
//!
//! chrono writes its text through `collect_str`: `fmt::Display`, one `write_char` and one
//! escape check per character. Under the uncached list benchmark that was 3% of the
//! server's time, for one date per product. Here the digits go into a stack buffer and
//! the serializer gets one `&str`. An instant whose text is unusual (a year outside
//! 0..=9999, a leap second) still goes through chrono.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serializer;

/// The longest text written here: `YYYY-MM-DDTHH:MM:SS.fffffffffZ`.
const LONGEST: usize = 30;

/// `at`'s text in `buf`, or none when chrono would write it in a form not handled here.
fn write(at: &DateTime<Utc>, buf: &mut [u8; LONGEST]) -> Option<usize> {
    let year = at.year();
    let nano = at.nanosecond();
    if !(0..=9999).contains(&year) || nano >= 1_000_000_000 {
        return None;
    }
    let mut n = 0;
    // `year` is 0..=9999 here.
    digits(buf, &mut n, year.unsigned_abs(), 4);
    for (sep, value) in [
        (b'-', at.month()),
        (b'-', at.day()),
        (b'T', at.hour()),
        (b':', at.minute()),
        (b':', at.second()),
    ] {
        buf[n] = sep;
        n += 1;
        digits(buf, &mut n, value, 2);
    }
    // chrono's `SecondsFormat::AutoSi`: as many digits as the fraction needs, in threes.
    let fraction = match nano {
        0 => None,
        _ if nano.is_multiple_of(1_000_000) => Some((nano / 1_000_000, 3)),
        _ if nano.is_multiple_of(1_000) => Some((nano / 1_000, 6)),
        _ => Some((nano, 9)),
    };
    if let Some((value, width)) = fraction {
        buf[n] = b'.';
        n += 1;
        digits(buf, &mut n, value, width);
    }
    buf[n] = b'Z';
    Some(n + 1)
}

/// `value`'s last `width` decimal digits at `buf[*n..]`, zero-padded; `*n` moves past them.
fn digits(buf: &mut [u8; LONGEST], n: &mut usize, mut value: u32, width: usize) {
    for i in (0..width).rev() {
        buf[*n + i] = b'0' + (value % 10) as u8;
        value /= 10;
    }
    *n += width;
}

/// `serialize_with` for a `DateTime<Utc>`.
pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; LONGEST];
    match write(at, &mut buf) {
        // Only ASCII digits and separators were written.
        Some(n) => s.serialize_str(std::str::from_utf8(&buf[..n]).unwrap_or_default()),
        None => serde::Serialize::serialize(at, s),
    }
}

/// `serialize_with` for an `Option<DateTime<Utc>>`.
pub fn serialize_option<S: Serializer>(
    at: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serialize(at, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ours(at: &DateTime<Utc>) -> String {
        let mut out = Vec::new();
        serialize(at, &mut serde_json::Serializer::new(&mut out)).unwrap();
        String::from_utf8(out).unwrap()
    }

    proptest! {
        /// Byte for byte chrono's text, for every instant: whole seconds, milli-, micro-
        /// (what Postgres stores) and nanosecond fractions, and years chrono writes with
        /// a sign.
        #[test]
        fn writes_what_chrono_writes(
            secs in -80_000_000_000i64..300_000_000_000i64,
            nanos in prop_oneof![
                Just(0u32),
                (1u32..1_000).prop_map(|ms| ms * 1_000_000),
                (1u32..1_000_000).prop_map(|us| us * 1_000),
                0u32..1_000_000_000,
            ],
        ) {
            let at = DateTime::<Utc>::from_timestamp(secs, nanos).unwrap();
            prop_assert_eq!(ours(&at), serde_json::to_string(&at).unwrap());
        }
    }

    #[test]
    fn a_leap_second_and_none_are_written_as_chrono_writes_them() {
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap()
            .and_utc();
        assert_eq!(ours(&leap), serde_json::to_string(&leap).unwrap());
        let mut out = Vec::new();
        serialize_option(&None, &mut serde_json::Serializer::new(&mut out)).unwrap();
        assert_eq!(out, b"null");
    }
}
