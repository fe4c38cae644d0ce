//! Configuration: defaults, then the environment, validated once at start into an
//! `Arc<Config>`. Secrets are `SecretString`s so that `Debug` (and so the logs) never show
//! them.

use crate::client_addr::{self, IpNet};
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: SecretString,
    pub redis_url: SecretString,
    /// Every Redis key this process writes starts with this (tests use one per test).
    pub redis_prefix: String,
    pub bind: SocketAddr,
    pub jwt_secret: SecretString,
    /// Where `jwt_secret` came from: `serve` and `worker` insist on `Environment`.
    pub jwt_secret_source: SecretSource,
    /// Proxies whose `X-Forwarded-For` is believed (`JIKGU_TRUSTED_PROXIES`); from anyone
    /// else the peer address is the client.
    pub trusted_proxies: Vec<IpNet>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
    /// Origins allowed by CORS; empty means none (same-origin only).
    pub cors_origins: Vec<String>,
    /// Failed logins allowed per account and per client address in one window.
    pub login_max_failures: u32,
    pub login_window: Duration,
    /// Checkouts (distinct `Idempotency-Key`s) one customer may start a minute.
    pub checkout_per_minute: u32,
    pub db_max_connections: u32,
    /// How long a request waits for a free Postgres connection before a 503.
    pub db_acquire_timeout: Duration,
    /// How long a shutdown waits for in-flight requests before it gives up.
    pub shutdown_grace: Duration,
    /// How often, at most, the outbox relay vacuums the outboxes it deleted rows from
    /// (`JIKGU_OUTBOX_VACUUM_SECS`, 10; 0 leaves them to autovacuum alone).
    pub outbox_vacuum_every: Option<Duration>,
    pub log_json: bool,
    /// Serve hot storefront reads from Redis (off only to measure the uncached path).
    pub storefront_cache: bool,
    /// Mark console cookies `Secure` on every response (`JIKGU_CONSOLE_SECURE_COOKIES=on`,
    /// for TLS terminated where no trusted proxy says `X-Forwarded-Proto: https`).
    pub console_secure_cookies: bool,
    /// Where uploaded product images are stored and served from.
    pub media: MediaConfig,
}

/// Product image storage (`JIKGU_MEDIA_*`).
#[derive(Debug, Clone)]
pub struct MediaConfig {
    pub storage: MediaStorage,
    /// The URL the stored files are served under: always `/media`, where the binary reads
    /// them through the store (disk or bucket) — nothing the shop serves comes from a CDN.
    pub public_url: String,
    /// The largest image file accepted.
    pub max_upload_bytes: usize,
}

#[derive(Debug, Clone)]
pub enum MediaStorage {
    /// A directory on local disk (`JIKGU_MEDIA_DIR`).
    Local { dir: std::path::PathBuf },
    /// Any S3-compatible store (`JIKGU_MEDIA_S3_BUCKET` set).
    S3 {
        bucket: String,
        region: String,
        /// Another host than AWS (MinIO, R2, NCP Object Storage).
        endpoint: Option<String>,
        /// Without keys the usual AWS sources (instance role, web identity) are used.
        access_key_id: Option<SecretString>,
        secret_access_key: Option<SecretString>,
        /// Allow a plain-HTTP endpoint (a local MinIO).
        allow_http: bool,
    },
}

impl MediaConfig {
    fn from_source(env: &impl EnvSource) -> Result<MediaConfig, ConfigError> {
        let max_upload_bytes = parse(env, "JIKGU_MEDIA_MAX_BYTES", Some(10 * 1024 * 1024))?;
        if max_upload_bytes == 0 {
            return Err(ConfigError::Invalid {
                var: "JIKGU_MEDIA_MAX_BYTES",
                reason: "must be at least 1".into(),
            });
        }
        let storage = match env.get("JIKGU_MEDIA_S3_BUCKET") {
            Some(bucket) => MediaStorage::S3 {
                bucket,
                region: env
                    .get("JIKGU_MEDIA_S3_REGION")
                    .unwrap_or_else(|| "ap-northeast-2".into()),
                endpoint: env.get("JIKGU_MEDIA_S3_ENDPOINT"),
                access_key_id: env.get("JIKGU_MEDIA_S3_ACCESS_KEY_ID").map(Into::into),
                secret_access_key: env.get("JIKGU_MEDIA_S3_SECRET_ACCESS_KEY").map(Into::into),
                allow_http: parse(env, "JIKGU_MEDIA_S3_ALLOW_HTTP", Some(false))?,
            },
            None => MediaStorage::Local {
                dir: env
                    .get("JIKGU_MEDIA_DIR")
                    .unwrap_or_else(|| "media".into())
                    .into(),
            },
        };
        Ok(MediaConfig {
            storage,
            public_url: "/media".to_owned(),
            max_upload_bytes,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretSource {
    /// Set by the operator.
    Environment,
    /// Unset, so a random key was made for this process alone: its tokens die with it and
    /// no other process accepts them. Fine for `demo` and tests, refused by `serve`.
    Generated,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{var}: {reason}")]
    Invalid { var: &'static str, reason: String },
}

/// Where the environment comes from: the real one, or a map in tests.
pub trait EnvSource {
    fn get(&self, key: &str) -> Option<String>;
}

pub struct ProcessEnv;
impl EnvSource for ProcessEnv {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var(key).ok().filter(|v| !v.is_empty())
    }
}

impl<const N: usize> EnvSource for [(&str, &str); N] {
    fn get(&self, key: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_string())
    }
}

/// The shortest HS256 key accepted.
pub const MIN_JWT_SECRET_LEN: usize = 32;

/// A random key for one process (64 hex digits).
pub fn random_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_source(&ProcessEnv)
    }

    pub fn from_source(env: &impl EnvSource) -> Result<Config, ConfigError> {
        let (jwt_secret, jwt_secret_source) = match env.get("JIKGU_JWT_SECRET") {
            Some(s) if s.len() < MIN_JWT_SECRET_LEN => {
                return Err(ConfigError::Invalid {
                    var: "JIKGU_JWT_SECRET",
                    reason: format!("must be at least {MIN_JWT_SECRET_LEN} characters"),
                });
            }
            Some(s) => (s, SecretSource::Environment),
            None => (random_secret(), SecretSource::Generated),
        };
        let trusted_proxies = match env.get("JIKGU_TRUSTED_PROXIES") {
            Some(raw) => client_addr::parse_list(&raw).map_err(|reason| ConfigError::Invalid {
                var: "JIKGU_TRUSTED_PROXIES",
                reason,
            })?,
            None => Vec::new(),
        };
        let database_url = url_var(
            env,
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/jikgu",
            ["postgres://", "postgresql://"],
        )?;
        let redis_url = url_var(
            env,
            "REDIS_URL",
            "redis://127.0.0.1:6379",
            ["redis://", "rediss://"],
        )?;
        let cfg = Config {
            database_url: database_url.into(),
            redis_url: redis_url.into(),
            redis_prefix: env
                .get("JIKGU_REDIS_PREFIX")
                .unwrap_or_else(|| "jikgu:".into()),
            bind: parse(env, "JIKGU_BIND", "0.0.0.0:8080".parse().ok())?,
            jwt_secret: jwt_secret.into(),
            jwt_secret_source,
            trusted_proxies,
            access_token_ttl: secs(env, "JIKGU_ACCESS_TOKEN_TTL_SECS", 900)?,
            refresh_token_ttl: secs(env, "JIKGU_REFRESH_TOKEN_TTL_SECS", 30 * 24 * 3600)?,
            request_timeout: secs(env, "JIKGU_REQUEST_TIMEOUT_SECS", 30)?,
            body_limit_bytes: parse(env, "JIKGU_BODY_LIMIT_BYTES", Some(1024 * 1024))?,
            cors_origins: env
                .get("JIKGU_CORS_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            login_max_failures: parse(env, "JIKGU_LOGIN_MAX_FAILURES", Some(5))?,
            login_window: secs(env, "JIKGU_LOGIN_WINDOW_SECS", 900)?,
            checkout_per_minute: parse(env, "JIKGU_CHECKOUT_PER_MINUTE", Some(10))?,
            db_max_connections: parse(env, "JIKGU_DB_MAX_CONNECTIONS", Some(20))?,
            db_acquire_timeout: secs(env, "JIKGU_DB_ACQUIRE_TIMEOUT_SECS", 5)?,
            shutdown_grace: secs(env, "JIKGU_SHUTDOWN_GRACE_SECS", 20)?,
            outbox_vacuum_every: Some(secs(env, "JIKGU_OUTBOX_VACUUM_SECS", 10)?)
                .filter(|every| !every.is_zero()),
            log_json: env.get("JIKGU_LOG_FORMAT").as_deref() == Some("json"),
            storefront_cache: env.get("JIKGU_STOREFRONT_CACHE").as_deref() != Some("off"),
            media: MediaConfig::from_source(env)?,
            console_secure_cookies: env.get("JIKGU_CONSOLE_SECURE_COOKIES").as_deref()
                == Some("on"),
        };
        for (var, value) in [
            ("JIKGU_LOGIN_MAX_FAILURES", cfg.login_max_failures),
            ("JIKGU_CHECKOUT_PER_MINUTE", cfg.checkout_per_minute),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid {
                    var,
                    reason: "must be at least 1".into(),
                });
            }
        }
        Ok(cfg)
    }

    /// For processes that issue or accept tokens for others (`serve`, `worker`): a secret
    /// of the operator's own is required, never one made up at start.
    pub fn require_own_jwt_secret(&self) -> Result<(), ConfigError> {
        match self.jwt_secret_source {
            SecretSource::Environment => Ok(()),
            SecretSource::Generated => Err(ConfigError::Invalid {
                var: "JIKGU_JWT_SECRET",
                reason: format!(
                    "is required: set it to a random key of at least {MIN_JWT_SECRET_LEN} \
                     characters shared by every process (e.g. `openssl rand -hex 32`)"
                ),
            }),
        }
    }

    pub fn database_url(&self) -> &str {
        self.database_url.expose_secret()
    }

    pub fn redis_url(&self) -> &str {
        self.redis_url.expose_secret()
    }
}

/// The URL in `var` (`default` when unset), refused unless it starts with one of
/// `schemes` (the first names the kind in the message).
fn url_var(
    env: &impl EnvSource,
    var: &'static str,
    default: &str,
    schemes: [&str; 2],
) -> Result<String, ConfigError> {
    let url = env.get(var).unwrap_or_else(|| default.into());
    if schemes.iter().any(|scheme| url.starts_with(scheme)) {
        Ok(url)
    } else {
        Err(ConfigError::Invalid {
            var,
            reason: format!("must be a {} URL", schemes[0]),
        })
    }
}

fn parse<T: std::str::FromStr>(
    env: &impl EnvSource,
    var: &'static str,
    default: Option<T>,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match env.get(var) {
        Some(raw) => raw.parse().map_err(|e: T::Err| ConfigError::Invalid {
            var,
            reason: format!("cannot parse {raw:?}: {e}"),
        }),
        None => default.ok_or(ConfigError::Invalid {
            var,
            reason: "is required".into(),
        }),
    }
}

fn secs(env: &impl EnvSource, var: &'static str, default: u64) -> Result<Duration, ConfigError> {
    parse(env, var, Some(default)).map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_point_at_the_local_services() {
        let cfg = Config::from_source(&[("X", "y")]).expect("defaults are valid");
        assert_eq!(
            cfg.database_url(),
            "postgres://postgres@127.0.0.1:5432/jikgu"
        );
        assert_eq!(cfg.redis_url(), "redis://127.0.0.1:6379");
    }

    #[test]
    fn the_outbox_vacuum_runs_every_ten_seconds_unless_turned_off() {
        let every = |v: &str| {
            Config::from_source(&[("JIKGU_OUTBOX_VACUUM_SECS", v)])
                .expect("valid")
                .outbox_vacuum_every
        };
        let default = Config::from_source(&[("X", "y")]).expect("valid");
        assert_eq!(default.outbox_vacuum_every, Some(Duration::from_secs(10)));
        assert_eq!(every("3"), Some(Duration::from_secs(3)));
        assert_eq!(every("0"), None);
        assert!(Config::from_source(&[("JIKGU_OUTBOX_VACUUM_SECS", "soon")]).is_err());
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let secret = "a-very-long-production-secret-of-forty-chars";
        let cfg = Config::from_source(&[("JIKGU_JWT_SECRET", secret)]).expect("valid");
        assert!(!format!("{cfg:?}").contains(secret));
    }

    #[test]
    fn without_a_secret_each_config_gets_its_own_and_serving_is_refused() {
        let a = Config::from_source(&[("X", "y")]).expect("valid");
        let b = Config::from_source(&[("X", "y")]).expect("valid");
        assert_eq!(a.jwt_secret_source, SecretSource::Generated);
        assert!(a.jwt_secret.expose_secret().len() >= MIN_JWT_SECRET_LEN);
        assert_ne!(a.jwt_secret.expose_secret(), b.jwt_secret.expose_secret());
        let err = a.require_own_jwt_secret().unwrap_err();
        assert!(err.to_string().starts_with("JIKGU_JWT_SECRET"), "{err}");
        let own =
            Config::from_source(&[("JIKGU_JWT_SECRET", "x".repeat(32).as_str())]).expect("valid");
        assert!(own.require_own_jwt_secret().is_ok());
    }

    #[test]
    fn media_is_on_local_disk_unless_a_bucket_is_named() {
        let cfg = Config::from_source(&[("X", "y")]).expect("valid");
        assert!(matches!(cfg.media.storage, MediaStorage::Local { .. }));
        assert_eq!(cfg.media.public_url, "/media");
        assert_eq!(cfg.media.max_upload_bytes, 10 * 1024 * 1024);
        let cfg = Config::from_source(&[
            ("JIKGU_MEDIA_S3_BUCKET", "jikgu"),
            ("JIKGU_MEDIA_S3_SECRET_ACCESS_KEY", "very-secret-key"),
        ])
        .expect("valid");
        assert!(matches!(cfg.media.storage, MediaStorage::S3 { .. }));
        // A bucket's images are still served by the binary, never from elsewhere.
        assert_eq!(cfg.media.public_url, "/media");
        assert!(!format!("{cfg:?}").contains("very-secret-key"));
    }

    #[test]
    fn trusted_proxies_parse_or_name_the_variable() {
        let cfg = Config::from_source(&[("JIKGU_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")])
            .expect("valid");
        assert_eq!(cfg.trusted_proxies.len(), 2);
        assert!(
            Config::from_source(&[("X", "y")])
                .expect("valid")
                .trusted_proxies
                .is_empty()
        );
        let err = Config::from_source(&[("JIKGU_TRUSTED_PROXIES", "nginx")]).unwrap_err();
        assert!(err.to_string().starts_with("JIKGU_TRUSTED_PROXIES"));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = Config::from_source(&[("JIKGU_LOGIN_MAX_FAILURES", "many")]).unwrap_err();
        assert!(err.to_string().starts_with("JIKGU_LOGIN_MAX_FAILURES"));
        let err = Config::from_source(&[("JIKGU_JWT_SECRET", "short")]).unwrap_err();
        assert!(err.to_string().contains("32"));
        let err = Config::from_source(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert!(err.to_string().starts_with("DATABASE_URL"));
    }
}
