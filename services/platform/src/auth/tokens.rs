//! Access tokens are short-lived HS256 JWTs carrying the role (and vendor binding), so
//! every service can authorise a request without a database round trip. Refresh tokens are
//! random opaque strings; only their SHA-256 is stored.

use super::role::Role;
use crate::config::Config;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::Duration;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<Uuid>,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

const ISSUER: &str = "jikgu";

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl: Duration,
}

impl TokenKeys {
    pub fn new(config: &Config) -> TokenKeys {
        let secret = config.jwt_secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 5;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl: config.access_token_ttl,
        }
    }

    pub fn issue(
        &self,
        user_id: Uuid,
        role: Role,
        vendor_id: Option<Uuid>,
    ) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id,
            role,
            vendor_id,
            iat: now,
            exp: now + self.access_ttl.as_secs() as i64,
            iss: ISSUER.to_owned(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|d| d.claims)
    }
}

/// A new refresh token: 256 random bits, URL-safe.
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a refresh token. A fast hash is right here: the token has
/// 256 bits of entropy, so there is nothing to brute-force.
pub fn hash_refresh_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> TokenKeys {
        let cfg = Config::from_source(&[("JIKGU_JWT_SECRET", secret)]).expect("valid config");
        TokenKeys::new(&cfg)
    }

    #[test]
    fn tokens_verify_only_with_the_same_secret() {
        let a = keys("a-secret-that-is-long-enough-for-hs256-use");
        let b = keys("another-secret-that-is-long-enough-for-hs256");
        let id = Uuid::now_v7();
        let token = a.issue(id, Role::Vendor, Some(id)).expect("issue");
        let claims = a.verify(&token).expect("valid");
        assert_eq!(claims.sub, id);
        assert_eq!(claims.role, Role::Vendor);
        assert!(b.verify(&token).is_none());
        assert!(a.verify("garbage").is_none());
    }

    #[test]
    fn refresh_tokens_are_unique_and_hashed() {
        let t1 = new_refresh_token();
        let t2 = new_refresh_token();
        assert_ne!(t1, t2);
        assert_ne!(hash_refresh_token(&t1), t1);
        assert_eq!(hash_refresh_token(&t1), hash_refresh_token(&t1));
    }
}
