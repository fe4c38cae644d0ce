//! Account inputs as types that can only hold valid values.

use crate::error::FieldError;

/// A lower-cased email address with a plausible shape. (Whether it is deliverable is for a
/// verification mail to prove, not a regex.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str, field: &str) -> Result<Email, FieldError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !email.chars().any(char::is_whitespace);
        if valid {
            Ok(Email(email))
        } else {
            Err(FieldError::new(
                field,
                "invalid_email",
                "is not an email address",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 10 to 128 characters. Length is what makes a password strong; no
/// composition rules.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: String, field: &str) -> Result<NewPassword, FieldError> {
        let n = raw.chars().count();
        if n < 10 {
            Err(FieldError::new(
                field,
                "password_too_short",
                "must be at least 10 characters",
            ))
        } else if n > 128 {
            Err(FieldError::new(
                field,
                "password_too_long",
                "must be at most 128 characters",
            ))
        } else {
            Ok(NewPassword(raw))
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

pub fn display_name(raw: &str, field: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    let n = name.chars().count();
    if n == 0 || n > 50 {
        Err(FieldError::new(
            field,
            "invalid_length",
            "must be 1 to 50 characters",
        ))
    } else {
        Ok(name.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Kim@Jikgu.KR ", "email").map(|e| e.0).ok(),
            Some("kim@jikgu.kr".to_owned())
        );
        for bad in ["", "kim", "kim@", "@jikgu.kr", "kim@jikgu", "kim @jikgu.kr"] {
            assert!(Email::parse(bad, "email").is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn passwords_have_length_bounds() {
        assert!(NewPassword::parse("short".into(), "p").is_err());
        assert!(NewPassword::parse("강화순무김치맛있어요".into(), "p").is_ok());
        assert!(NewPassword::parse("x".repeat(129), "p").is_err());
    }
}
