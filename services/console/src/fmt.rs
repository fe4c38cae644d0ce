//! How numbers and times read in the console: won with thousands separators, instants in
//! Korean time. Templates call these as `crate::fmt::won(x)`; they take anything that
//! displays as the value (a field, a reference from a loop) so templates need no derefs.

use chrono::{DateTime, Utc};
use std::fmt::Display;

/// `12345` → `12,345원`.
pub fn won<T: Display>(amount: T) -> String {
    let raw = amount.to_string();
    let (sign, digits) = raw
        .strip_prefix('-')
        .map_or(("", raw.as_str()), |d| ("-", d));
    let mut out = String::with_capacity(digits.len() + 4);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}원")
}

/// An instant in Korean time, to the minute: `2026-12-02 14:05`.
pub fn kst_minute(at: &DateTime<Utc>) -> String {
    promotions::seoul::show(*at)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A window from one instant to another in Korean time: `2026-12-02 14:05 ~ 2026-12-09 23:59`.
pub fn kst_window(starts: &DateTime<Utc>, ends: &DateTime<Utc>) -> String {
    format!("{} ~ {}", kst_minute(starts), kst_minute(ends))
}

#[cfg(test)]
mod tests {
    #[test]
    fn won_groups_thousands() {
        assert_eq!(super::won(0), "0원");
        assert_eq!(super::won(999), "999원");
        assert_eq!(super::won(1000), "1,000원");
        let by_ref: &i64 = &1_234_567;
        assert_eq!(super::won(by_ref), "1,234,567원");
        assert_eq!(super::won(-45_000), "-45,000원");
    }
}
