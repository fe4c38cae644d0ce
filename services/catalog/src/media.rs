//! Where uploaded files live: an `object_store` on local disk by default, or any
//! S3-compatible bucket when `JIKGU_MEDIA_S3_BUCKET` is set. The rest of the catalog only
//! puts, gets and deletes keys and asks for their public URL.

use bytes::Bytes;
use object_store::path::Path as StorePath;
use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};
use platform::config::{MediaConfig, MediaStorage};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

/// How long a browser or CDN may keep a stored file: keys are never reused (a new upload
/// gets a new id), so for ever.
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// The object store and the URL its files are served under. Cheap to clone.
#[derive(Clone)]
pub struct Media {
    store: Arc<dyn ObjectStore>,
    public_url: Arc<str>,
    local: bool,
    max_upload_bytes: usize,
}

impl std::fmt::Debug for Media {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Media")
            .field("store", &self.store.to_string())
            .field("public_url", &self.public_url)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("object store: {0}")]
pub struct MediaError(#[from] object_store::Error);

fn expose(s: &Option<SecretString>) -> Option<&str> {
    s.as_ref().map(|s| s.expose_secret())
}

impl Media {
    /// The store `config` names; a local directory is created when missing.
    pub fn from_config(config: &MediaConfig) -> anyhow::Result<Media> {
        let (store, local): (Arc<dyn ObjectStore>, bool) = match &config.storage {
            MediaStorage::Local { dir } => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    anyhow::anyhow!("JIKGU_MEDIA_DIR: cannot create {}: {e}", dir.display())
                })?;
                let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
                    .map_err(|e| anyhow::anyhow!("JIKGU_MEDIA_DIR: {e}"))?;
                (Arc::new(fs), true)
            }
            MediaStorage::S3 {
                bucket,
                region,
                endpoint,
                access_key_id,
                secret_access_key,
                allow_http,
            } => {
                // object_store's HTTP client runs rustls without a bundled provider: use
                // ring, the one the rest of the process already links (an Err only means
                // one is installed already).
                let _ = rustls::crypto::ring::default_provider().install_default();
                let mut b = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_allow_http(*allow_http);
                if let Some(e) = endpoint {
                    b = b.with_endpoint(e);
                }
                if let Some(k) = expose(access_key_id) {
                    b = b.with_access_key_id(k);
                }
                if let Some(k) = expose(secret_access_key) {
                    b = b.with_secret_access_key(k);
                }
                let s3 = b
                    .build()
                    .map_err(|e| anyhow::anyhow!("JIKGU_MEDIA_S3_*: {e}"))?;
                (Arc::new(s3), false)
            }
        };
        Ok(Media {
            store,
            public_url: config.public_url.as_str().into(),
            local,
            max_upload_bytes: config.max_upload_bytes,
        })
    }

    /// Files are on local disk, so this binary serves them at `/media`.
    pub fn is_local(&self) -> bool {
        self.local
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub fn max_upload_bytes(&self) -> usize {
        self.max_upload_bytes
    }

    /// Store `body` at `key` (`products/…/large.jpg`).
    pub async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), MediaError> {
        let path = StorePath::from(key);
        // A bucket serves files itself, so it keeps their type and cache policy; local disk
        // has no attributes (the `/media` route sets both headers).
        let opts = if self.local {
            PutOptions::default()
        } else {
            PutOptions {
                attributes: Attributes::from_iter([
                    (Attribute::ContentType, content_type.to_owned()),
                    (Attribute::CacheControl, CACHE_CONTROL.to_owned()),
                ]),
                ..PutOptions::default()
            }
        };
        self.store
            .put_opts(&path, PutPayload::from(body), opts)
            .await?;
        Ok(())
    }

    /// The file at `key`, or `None` when there is none (or the key is not a valid path:
    /// `..` and empty segments are refused by the store's path parser).
    pub async fn get(&self, key: &str) -> Result<Option<Bytes>, MediaError> {
        let Ok(path) = StorePath::parse(key) else {
            return Ok(None);
        };
        match self.store.get(&path).await {
            Ok(r) => Ok(Some(r.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Delete `key`; a missing file is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), MediaError> {
        match self.store.delete(&StorePath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
