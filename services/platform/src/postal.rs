//! Korean postal codes: five digits since 2015; the first two name the province. Parsed
//! once where the text comes in; every layer after that (the quote's destination, the
//! remote-area lookup) holds a code that is known to be five digits.

use serde::{Deserialize, Serialize};

/// Five ASCII digits, so the code is `Copy` and a constant can be one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PostalCode([u8; 5]);

impl From<PostalCode> for String {
    fn from(p: PostalCode) -> String {
        p.as_str().to_owned()
    }
}

impl TryFrom<String> for PostalCode {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        PostalCode::parse(&s)
    }
}

impl PostalCode {
    const INVALID: &'static str = "must be a 5-digit postal code";

    /// Surrounding white space is ignored.
    pub fn parse(raw: &str) -> Result<PostalCode, &'static str> {
        let digits: [u8; 5] = raw
            .trim()
            .as_bytes()
            .try_into()
            .map_err(|_| Self::INVALID)?;
        if digits.iter().all(u8::is_ascii_digit) {
            Ok(PostalCode(digits))
        } else {
            Err(Self::INVALID)
        }
    }

    /// A code written in the source; one that is not five digits fails the build.
    pub const fn known(code: &'static str) -> PostalCode {
        let b = code.as_bytes();
        assert!(b.len() == 5, "a postal code is 5 digits");
        let mut i = 0;
        while i < 5 {
            assert!(b[i].is_ascii_digit(), "a postal code is 5 digits");
            i += 1;
        }
        PostalCode([b[0], b[1], b[2], b[3], b[4]])
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The code as a number (`06236` is 6236): how the remote-area ranges compare codes.
    pub fn number(self) -> u32 {
        self.0.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'))
    }

    /// Incheon's postal codes begin 21, 22 or 23.
    pub fn is_incheon(&self) -> bool {
        matches!(&self.0[..2], b"21" | b"22" | b"23")
    }
}

impl std::fmt::Display for PostalCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<PostalCode> for sea_orm::Value {
    fn from(p: PostalCode) -> Self {
        p.as_str().to_owned().into()
    }
}

impl utoipa::PartialSchema for PostalCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9]{5}$"))
            .description(Some("A Korean postal code: 5 digits"))
            .into()
    }
}
impl utoipa::ToSchema for PostalCode {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incheon_is_21_to_23() {
        assert!(
            PostalCode::parse("23035")
                .map(|p| p.is_incheon())
                .unwrap_or(false)
        );
        assert!(
            PostalCode::parse("21554")
                .map(|p| p.is_incheon())
                .unwrap_or(false)
        );
        assert!(
            !PostalCode::parse("06236")
                .map(|p| p.is_incheon())
                .unwrap_or(true)
        );
        assert!(PostalCode::parse("1234").is_err());
        assert!(PostalCode::parse("12a45").is_err());
        assert!(PostalCode::parse("１２３４５").is_err());
    }

    #[test]
    fn a_code_reads_and_writes_as_its_digits() {
        let p = PostalCode::parse(" 06236 ").unwrap();
        assert_eq!(p.as_str(), "06236");
        assert_eq!(p.number(), 6236);
        assert_eq!(PostalCode::known("06236"), p);
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"06236\"");
        assert!(serde_json::from_str::<PostalCode>("\"0623\"").is_err());
    }
}
