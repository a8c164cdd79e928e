//! The blob store: files customers sent (invoices, S/N photos), kept by content
//! address, so the same file sent twice is stored once and a key never points
//! at different bytes. Two places to keep them, one [`BlobStore`] type:
//!
//! - a local directory (`storage.blob_dir`, the default): writes go to a
//!   temporary file first and are renamed into place, so a crash never leaves
//!   a half-written blob under a real key;
//! - an S3-compatible bucket all replicas share (`storage.s3_bucket`), through
//!   `object_store`: a PUT is atomic on the store's side, and since the key is
//!   the content's hash a retried PUT (after a timeout or a 5xx) writes the same
//!   bytes again, so object_store's retries are safe for writes too. Payloads
//!   are signed (SigV4 with the body's SHA-256), so the store refuses bytes
//!   that changed on the way.
//!
//! Keys are the same on both (`sha256/<first two hex>/<hex>`, under
//! `storage.s3_prefix` in a bucket): a directory copied into the bucket under
//! the prefix is a complete migration.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::{BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::config::StorageConfig;

#[derive(Clone)]
pub struct BlobStore {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Dir(PathBuf),
    Bucket(Arc<Bucket>),
}

/// An S3-compatible bucket, and where in it the blobs are.
struct Bucket {
    store: AmazonS3,
    /// Blob keys are under this path (`None`: at the bucket's root).
    prefix: Option<object_store::path::Path>,
    /// `s3://bucket/prefix`, for errors and logs (no credentials).
    name: String,
    /// The endpoint, when not AWS's default, for errors and logs.
    endpoint: Option<String>,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("BlobStore").field(&self.location()).finish()
    }
}

/// What [`BlobStore::put`] stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// The key to read it back with (`sha256/<first two hex>/<hex>`).
    pub key: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob store {dir}: {source}")]
    Io {
        dir: String,
        #[source]
        source: std::io::Error,
    },
    #[error("blob key {0:?} is not one this store issued")]
    BadKey(String),
    /// The object store refused or failed (after its retries).
    #[error("blob store {store}: {source}")]
    Remote {
        store: String,
        #[source]
        source: object_store::Error,
    },
    /// The bucket is not usable as configured: what to check, and why.
    #[error("blob store {store}: {hint}: {detail}")]
    Unusable {
        store: String,
        hint: String,
        detail: String,
    },
    #[error("storage: {0}")]
    Config(String),
}

/// How to reach an S3-compatible bucket, and how patiently.
#[derive(Debug, Clone)]
pub struct S3Settings {
    pub bucket: String,
    /// The store's base URL for path-style requests (MinIO, Ceph, R2, …);
    /// `None`: AWS S3 in `region`.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// Folder in the bucket the blobs are kept under, e.g. `redeemdesk/blobs`.
    pub prefix: Option<String>,
    /// Plain `http://` endpoints (loopback, tests) are refused unless allowed.
    pub allow_http: bool,
    /// One attempt of one request, body included.
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// Retries after a 5xx, 429, timeout or connection failure.
    pub max_retries: usize,
    /// No retry starts later than this after the first attempt.
    pub retry_timeout: Duration,
    /// First wait between attempts; doubles (with jitter) up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
}

/// The default region: what AWS's SDKs assume, and what MinIO answers to.
pub const DEFAULT_REGION: &str = "us-east-1";
/// The default time one attempt of a request may take, body included: a
/// 20 MB invoice at under 1 MB/s still fits.
pub const DEFAULT_S3_TIMEOUT: Duration = Duration::from_secs(60);

impl S3Settings {
    /// AWS S3 in the default region, with the default patience.
    pub fn new(bucket: impl Into<String>, access_key_id: impl Into<String>, secret_access_key: SecretString) -> Self {
        Self {
            bucket: bucket.into(),
            endpoint: None,
            region: DEFAULT_REGION.into(),
            access_key_id: access_key_id.into(),
            secret_access_key,
            prefix: None,
            allow_http: false,
            request_timeout: DEFAULT_S3_TIMEOUT,
            connect_timeout: Duration::from_secs(5),
            max_retries: 4,
            retry_timeout: Duration::from_secs(60),
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }

    /// The bucket settings of `storage`, or `None` when `storage.s3_bucket`
    /// is unset (the local directory is used).
    pub fn from_config(storage: &StorageConfig) -> Result<Option<Self>, BlobError> {
        storage.validate().map_err(|e| BlobError::Config(e.to_string()))?;
        let Some(bucket) = storage.s3_bucket.clone() else {
            return Ok(None);
        };
        let (Some(key_id), Some(secret)) = (&storage.s3_access_key_id, &storage.s3_secret_access_key) else {
            return Err(BlobError::Config(
                "storage.s3_bucket needs storage.s3_access_key_id and storage.s3_secret_access_key".into(),
            ));
        };
        let mut settings = Self::new(bucket, key_id.clone(), secret.clone());
        settings.endpoint = storage.s3_endpoint.clone();
        if let Some(region) = &storage.s3_region {
            settings.region = region.clone();
        }
        settings.prefix = storage.s3_prefix.clone();
        settings.allow_http = storage.s3_allow_http;
        settings.request_timeout = Duration::from_secs(storage.s3_timeout_seconds.max(1));
        Ok(Some(settings))
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Installs ring as the process's default rustls crypto provider, once; later
/// calls do nothing. object_store's `aws` feature compiles aws-lc-rs into
/// rustls beside ring, and then rustls cannot pick a default by itself
/// (`ClientConfig::builder()` would panic). ring is what the rest of the stack
/// (sqlx, lettre, IMAP, teloxide, serenity) already uses. Called at start by
/// the binary and the application, and by [`BlobStore::s3`] for whoever builds
/// a store directly.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err only when a provider is already installed: then that one stays.
        let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    });
}

impl BlobStore {
    /// Blobs in a local directory.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            backend: Backend::Dir(dir.into()),
        }
    }

    /// Blobs in an S3-compatible bucket. Nothing is sent yet: [`BlobStore::check`]
    /// tells whether the bucket is there and the credentials work.
    pub fn s3(settings: &S3Settings) -> Result<Self, BlobError> {
        install_crypto_provider();
        let name = match settings.prefix.as_deref().map(|p| p.trim_matches('/')) {
            Some(p) if !p.is_empty() => format!("s3://{}/{p}", settings.bucket),
            _ => format!("s3://{}", settings.bucket),
        };
        let unusable = |what: String| BlobError::Config(format!("{name}: {what}"));
        let prefix = match settings.prefix.as_deref() {
            Some(p) if !p.trim_matches('/').is_empty() => Some(
                object_store::path::Path::parse(p)
                    .map_err(|e| unusable(format!("storage.s3_prefix {p:?} is not a folder path: {e}")))?,
            ),
            _ => None,
        };
        let client = ClientOptions::new()
            .with_allow_http(settings.allow_http)
            .with_timeout(settings.request_timeout)
            .with_connect_timeout(settings.connect_timeout);
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: settings.backoff,
                max_backoff: settings.max_backoff,
                base: 2.0,
            },
            max_retries: settings.max_retries,
            retry_timeout: settings.retry_timeout,
        };
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(settings.secret_access_key.expose_secret())
            .with_client_options(client)
            .with_retry(retry);
        if let Some(endpoint) = &settings.endpoint {
            // Path-style (`{endpoint}/{bucket}/{key}`): what MinIO-like stores
            // expect, and no DNS name per bucket needed.
            builder = builder
                .with_endpoint(endpoint.trim_end_matches('/'))
                .with_virtual_hosted_style_request(false);
        }
        let store = builder.build().map_err(|e| unusable(e.to_string()))?;
        Ok(Self {
            backend: Backend::Bucket(Arc::new(Bucket {
                store,
                prefix,
                name,
                endpoint: settings.endpoint.clone(),
            })),
        })
    }

    /// The store `storage` configures: the bucket when `storage.s3_bucket`
    /// is set, else the local directory.
    pub fn from_config(storage: &StorageConfig) -> Result<Self, BlobError> {
        match S3Settings::from_config(storage)? {
            Some(settings) => Self::s3(&settings),
            None => Ok(Self::new(&storage.blob_dir)),
        }
    }

    /// The local directory, when blobs are kept in one.
    pub fn dir(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Dir(dir) => Some(dir),
            Backend::Bucket(_) => None,
        }
    }

    /// Where blobs are kept, for logs: a directory, or `s3://bucket/prefix`
    /// (and the endpoint when it is not AWS's).
    pub fn location(&self) -> String {
        match &self.backend {
            Backend::Dir(dir) => dir.display().to_string(),
            Backend::Bucket(b) => match &b.endpoint {
                Some(endpoint) => format!("{} at {endpoint}", b.name),
                None => b.name.clone(),
            },
        }
    }

    /// Whether the store is usable, for start-up: a bucket must exist and
    /// the credentials must be accepted (one ListObjectsV2 under the prefix,
    /// which changes nothing). A local directory is created on first write, as
    /// before, so there is nothing to check.
    pub async fn check(&self) -> Result<(), BlobError> {
        let Backend::Bucket(bucket) = &self.backend else {
            return Ok(());
        };
        match bucket.store.list_with_delimiter(bucket.prefix.as_ref()).await {
            Ok(_) => Ok(()),
            Err(e) => {
                // One line: S3's XML answer comes with line breaks.
                let detail = error_chain(&e).split_whitespace().collect::<Vec<_>>().join(" ");
                Err(BlobError::Unusable {
                    store: self.location(),
                    hint: diagnose(&detail).into(),
                    detail,
                })
            }
        }
    }

    fn io(&self, source: std::io::Error) -> BlobError {
        BlobError::Io {
            dir: self.location(),
            source,
        }
    }

    /// Stores `bytes`; storing the same bytes again is a no-op with the same key.
    pub async fn put(&self, bytes: &[u8]) -> Result<StoredBlob, BlobError> {
        self.put_hashed(bytes, &sha256_hex(bytes)).await
    }

    /// The key bytes with this SHA-256 (lower-case hex) are or will be stored under.
    pub fn key_for(sha256: &str) -> String {
        format!("sha256/{}/{}", &sha256[..2.min(sha256.len())], sha256)
    }

    /// [`BlobStore::put`] for bytes whose SHA-256 (lower-case hex) the caller
    /// already computed: hashing a large file twice is a measurable part of
    /// ingesting a reply. A wrong hash would file the bytes under the wrong key,
    /// so only pass one computed from these very bytes.
    pub async fn put_hashed(&self, bytes: &[u8], sha256: &str) -> Result<StoredBlob, BlobError> {
        debug_assert_eq!(sha256, sha256_hex(bytes));
        let sha256 = sha256.to_owned();
        let key = Self::key_for(&sha256);
        match &self.backend {
            Backend::Dir(dir) => self.put_in_dir(dir, &key, bytes).await?,
            // One PUT, no HEAD first: the same bytes again cost one upload
            // (rare: a file sent twice) instead of a round trip on every new
            // file, and a HEAD of a missing key answers 403, not 404, to
            // credentials that may not list the bucket.
            Backend::Bucket(bucket) => {
                let path = bucket.path(&key);
                bucket
                    .store
                    .put(&path, PutPayload::from(bytes.to_vec()))
                    .await
                    .map_err(|source| bucket.remote(source))?;
            }
        }
        Ok(StoredBlob {
            key,
            sha256,
            bytes: bytes.len() as u64,
        })
    }

    async fn put_in_dir(&self, dir: &Path, key: &str, bytes: &[u8]) -> Result<(), BlobError> {
        let path = dir.join(key);
        if tokio::fs::try_exists(&path).await.map_err(|e| self.io(e))? {
            return Ok(());
        }
        let parent = path.parent().expect("a key has a folder");
        tokio::fs::create_dir_all(parent).await.map_err(|e| self.io(e))?;
        let tmp = parent.join(format!(".tmp-{}-{:016x}", std::process::id(), rand::random::<u64>()));
        let written = async {
            tokio::fs::write(&tmp, bytes).await?;
            let f = tokio::fs::File::open(&tmp).await?;
            f.sync_all().await?;
            tokio::fs::rename(&tmp, &path).await
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(self.io(e));
        }
        Ok(())
    }

    /// Reads a blob back by its key.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        let valid = key.strip_prefix("sha256/").is_some_and(|rest| {
            let mut parts = rest.split('/');
            matches!((parts.next(), parts.next(), parts.next()),
                (Some(a), Some(h), None) if a.len() == 2 && h.len() == 64 && h.starts_with(a)
                    && h.bytes().all(|b| b.is_ascii_hexdigit()))
        });
        if !valid {
            return Err(BlobError::BadKey(key.to_owned()));
        }
        match &self.backend {
            Backend::Dir(dir) => tokio::fs::read(dir.join(key)).await.map_err(|e| self.io(e)),
            Backend::Bucket(bucket) => {
                let got = bucket
                    .store
                    .get(&bucket.path(key))
                    .await
                    .map_err(|source| bucket.remote(source))?;
                let bytes = got.bytes().await.map_err(|source| bucket.remote(source))?;
                Ok(bytes.to_vec())
            }
        }
    }
}

impl Bucket {
    /// Where a (checked) key lives in the bucket.
    fn path(&self, key: &str) -> object_store::path::Path {
        let mut path = self.prefix.clone().unwrap_or_default();
        for part in key.split('/') {
            path = path.join(part);
        }
        path
    }

    fn remote(&self, source: object_store::Error) -> BlobError {
        BlobError::Remote {
            store: self.name.clone(),
            source,
        }
    }
}

/// An error and its sources on one line: object_store's own message is often
/// "Generic S3 error", with the status and S3's code further down.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// What an operator should check, from what the store answered.
fn diagnose(detail: &str) -> &'static str {
    let has = |needles: &[&str]| needles.iter().any(|n| detail.contains(n));
    if has(&["NoSuchBucket", "404 Not Found"]) {
        "the bucket does not exist (storage.s3_bucket, storage.s3_endpoint)"
    } else if has(&[
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "AccessDenied",
        "401 Unauthorized",
        "403 Forbidden",
    ]) {
        "the store refused the credentials, or they may not list the bucket \
         (storage.s3_access_key_id, storage.s3_secret_access_key, storage.s3_region)"
    } else if has(&["scheme", "allow_http", "AllowHttp"]) {
        "the endpoint is plain http and storage.s3_allow_http is off"
    } else if has(&["status code: 5", "InternalError", "SlowDown"]) {
        "the store keeps failing (5xx)"
    } else {
        "the store is unreachable (storage.s3_endpoint, network, TLS)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn same_bytes_same_key_and_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::new(dir.path());
        let a = store.put(b"invoice").await.unwrap();
        let b = store.put(b"invoice").await.unwrap();
        assert_eq!(a, b);
        assert_eq!(a.bytes, 7);
        assert_eq!(store.get(&a.key).await.unwrap(), b"invoice");
        let c = store.put(b"other").await.unwrap();
        assert_ne!(a.key, c.key);
    }

    #[tokio::test]
    async fn keys_that_escape_the_store_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::new(dir.path());
        for key in ["../etc/passwd", "sha256/ab/../../x", "sha256/zz/zz", ""] {
            assert!(matches!(store.get(key).await, Err(BlobError::BadKey(_))), "{key}");
        }
    }

    #[test]
    fn bucket_paths_keep_the_keys_under_the_prefix() {
        let mut settings = S3Settings::new("invoices", "AKID", SecretString::from("secret"));
        settings.endpoint = Some("http://127.0.0.1:9/".into());
        settings.allow_http = true;
        settings.prefix = Some("/redeemdesk/blobs/".into());
        let store = BlobStore::s3(&settings).unwrap();
        assert!(store.dir().is_none());
        assert_eq!(
            store.location(),
            "s3://invoices/redeemdesk/blobs at http://127.0.0.1:9/"
        );
        let Backend::Bucket(bucket) = &store.backend else {
            panic!("a bucket")
        };
        let key = BlobStore::key_for(&sha256_hex(b"x"));
        assert_eq!(bucket.path(&key).to_string(), format!("redeemdesk/blobs/{key}"));
        settings.prefix = Some("a//b".into());
        assert!(matches!(BlobStore::s3(&settings), Err(BlobError::Config(_))));
        let printed = format!("{store:?}");
        assert!(!printed.contains("secret"), "{printed}");
    }

    #[test]
    fn start_up_errors_say_what_to_check() {
        assert!(diagnose("404 Not Found: <Code>NoSuchBucket</Code>").contains("does not exist"));
        assert!(diagnose("403 Forbidden: <Code>SignatureDoesNotMatch</Code>").contains("credentials"));
        assert!(diagnose("non-2xx status code: 503 Service Unavailable").contains("5xx"));
        assert!(diagnose("error sending request: Connection refused").contains("unreachable"));
    }
}
