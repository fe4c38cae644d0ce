//! Korean postal codes: five digits since 2015; the first two name the province.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalCode(String);

impl From<PostalCode> for String {
    fn from(p: PostalCode) -> String {
        p.0
    }
}

impl PostalCode {
    pub fn parse(raw: &str) -> Result<PostalCode, &'static str> {
        let s = raw.trim();
        if s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(PostalCode(s.to_owned()))
        } else {
            Err("must be a 5-digit postal code")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Incheon's postal codes begin 21, 22 or 23.
    pub fn is_incheon(&self) -> bool {
        matches!(&self.0[..2], "21" | "22" | "23")
    }
}

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
    }
}
