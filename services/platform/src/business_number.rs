//! 사업자등록번호: ten digits (written 3-2-5, e.g. 124-81-00998) whose last is a check digit.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessNumber(String);

const WEIGHTS: [u32; 9] = [1, 3, 7, 1, 3, 7, 1, 3, 5];

impl BusinessNumber {
    /// Accepts digits with or without dashes/spaces; checks the check digit.
    pub fn parse(raw: &str) -> Result<BusinessNumber, &'static str> {
        let digits: Vec<u32> = raw
            .chars()
            .filter(|c| *c != '-' && !c.is_whitespace())
            .map(|c| c.to_digit(10).ok_or("must contain only digits and dashes"))
            .collect::<Result<_, _>>()?;
        if digits.len() != 10 {
            return Err("must have 10 digits");
        }
        let mut sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
        sum += digits[8] * 5 / 10;
        // The outer `% 10` matters: without it a sum ending in 0 would need check digit 10.
        let check = (10 - sum % 10) % 10;
        if check != digits[9] {
            return Err("check digit does not match");
        }
        Ok(BusinessNumber(
            digits.iter().map(|d| char::from(b'0' + *d as u8)).collect(),
        ))
    }

    /// The valid number that starts with these nine digits (for generated test data).
    pub fn from_prefix(prefix: u32) -> BusinessNumber {
        let nine = format!("{:09}", prefix % 1_000_000_000);
        let d: Vec<u32> = nine.chars().filter_map(|c| c.to_digit(10)).collect();
        let mut sum: u32 = d.iter().zip(WEIGHTS).map(|(a, w)| a * w).sum();
        sum += d[8] * 5 / 10;
        BusinessNumber(format!("{nine}{}", (10 - sum % 10) % 10))
    }

    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BusinessNumber {
    /// The usual 3-2-5 form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", &self.0[..3], &self.0[3..5], &self.0[5..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_numbers_check_out() {
        for ok in ["124-81-00998", "120-81-47521", "220-81-62517", "1248100998"] {
            assert!(BusinessNumber::parse(ok).is_ok(), "{ok} refused");
        }
        assert_eq!(
            BusinessNumber::parse("1248100998")
                .map(|b| b.to_string())
                .ok(),
            Some("124-81-00998".to_owned())
        );
    }

    #[test]
    fn numbers_made_from_a_prefix_are_valid() {
        for p in [0, 124_810_099, 700_012_345, 999_999_999] {
            let n = BusinessNumber::from_prefix(p);
            assert!(BusinessNumber::parse(n.digits()).is_ok(), "{n}");
        }
        assert_eq!(
            BusinessNumber::from_prefix(124_810_099).digits(),
            "1248100998"
        );
    }

    #[test]
    fn bad_numbers_are_refused() {
        for bad in ["120-81-47522", "12481009", "124-81-0099a", ""] {
            assert!(BusinessNumber::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
