//! `PAYMENT_GATEWAY=toss` settings, validated at start. The secret key is a
//! [`SecretString`]: `Debug` (and so every log line) shows `[REDACTED]`. The client key is
//! public by design (the browser's payment window is opened with it) but is not logged
//! either.

use secrecy::{ExposeSecret, SecretString};

pub const DEFAULT_API_BASE: &str = "https://api.tosspayments.com";

#[derive(Clone)]
pub struct TossConfig {
    pub secret_key: SecretString,
    pub client_key: String,
    /// `https://api.tosspayments.com`, or a local fake in tests.
    pub api_base: String,
    pub success_url: String,
    pub fail_url: String,
}

impl std::fmt::Debug for TossConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TossConfig")
            .field("secret_key", &"[REDACTED]")
            .field("client_key", &"[REDACTED]")
            .field("api_base", &self.api_base)
            .field("success_url", &self.success_url)
            .field("fail_url", &self.fail_url)
            .finish()
    }
}

fn is_http_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > "https://".len()
        && !s.chars().any(char::is_whitespace)
}

impl TossConfig {
    /// Check the keys and URLs: a secret key `test_sk_`/`live_sk_` (or the widget's
    /// `test_gsk_`/`live_gsk_`), a client key of the same mode, absolute URLs.
    pub fn new(
        secret_key: SecretString,
        client_key: String,
        api_base: Option<String>,
        success_url: String,
        fail_url: String,
    ) -> Result<Self, String> {
        let sk = secret_key.expose_secret();
        let mode = |key: &str, kinds: [&str; 2]| -> Option<&'static str> {
            for (mode, prefix) in [("test", "test_"), ("live", "live_")] {
                if kinds
                    .iter()
                    .any(|k| key.starts_with(&format!("{prefix}{k}_")))
                {
                    return Some(mode);
                }
            }
            None
        };
        let sk_mode = mode(sk, ["sk", "gsk"]).ok_or(
            "TOSS_SECRET_KEY must start with test_sk_ or live_sk_ (or test_gsk_/live_gsk_)",
        )?;
        let ck_mode = mode(&client_key, ["ck", "gck"]).ok_or(
            "TOSS_CLIENT_KEY must start with test_ck_ or live_ck_ (or test_gck_/live_gck_)",
        )?;
        if sk_mode != ck_mode {
            return Err(format!(
                "TOSS_SECRET_KEY is a {sk_mode} key but TOSS_CLIENT_KEY a {ck_mode} key"
            ));
        }
        if sk.len() > 200 || sk.bytes().any(|b| !b.is_ascii_graphic()) {
            return Err("TOSS_SECRET_KEY is not a Toss key".into());
        }
        let api_base = api_base.unwrap_or_else(|| DEFAULT_API_BASE.to_owned());
        for (name, url) in [
            ("TOSS_API_BASE", &api_base),
            ("TOSS_SUCCESS_URL", &success_url),
            ("TOSS_FAIL_URL", &fail_url),
        ] {
            if !is_http_url(url) {
                return Err(format!("{name} must be an http(s) URL"));
            }
        }
        Ok(TossConfig {
            secret_key,
            client_key,
            api_base,
            success_url,
            fail_url,
        })
    }

    /// From `TOSS_SECRET_KEY`, `TOSS_CLIENT_KEY`, `TOSS_API_BASE` (optional),
    /// `TOSS_SUCCESS_URL`, `TOSS_FAIL_URL`.
    pub fn from_env() -> Result<Self, String> {
        let need = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| format!("PAYMENT_GATEWAY=toss needs {name}"))
        };
        Self::new(
            SecretString::from(need("TOSS_SECRET_KEY")?),
            need("TOSS_CLIENT_KEY")?,
            std::env::var("TOSS_API_BASE")
                .ok()
                .filter(|v| !v.trim().is_empty()),
            need("TOSS_SUCCESS_URL")?,
            need("TOSS_FAIL_URL")?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(sk: &str, ck: &str) -> Result<TossConfig, String> {
        TossConfig::new(
            SecretString::from(sk.to_owned()),
            ck.into(),
            None,
            "https://shop.example/pay/success".into(),
            "https://shop.example/pay/fail".into(),
        )
    }

    #[test]
    fn keys_are_checked_and_never_printed() {
        let c = cfg("test_sk_zXLkKEypNArWmo50nX3lmeaxYG5R", "test_ck_abc")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.api_base, DEFAULT_API_BASE);
        let shown = format!("{c:?}");
        assert!(!shown.contains("zXLkKEyp"), "{shown}");
        assert!(!shown.contains("test_ck_abc"), "{shown}");
        assert!(cfg("sk_test_stripe", "test_ck_abc").is_err());
        assert!(cfg("test_sk_a", "live_ck_b").is_err());
        assert!(cfg("test_sk_a", "pk_test").is_err());
    }
}
