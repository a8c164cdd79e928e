//! The blob store: files customers sent (invoices, S/N photos), kept on disk
//! under `storage.blob_dir` by content address, so the same file sent twice is
//! stored once and a key never points at different bytes. Writes go to a
//! temporary file first and are renamed into place, so a crash never leaves a
//! half-written blob under a real key.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: PathBuf,
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
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl BlobStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn io(&self, source: std::io::Error) -> BlobError {
        BlobError::Io {
            dir: self.dir.display().to_string(),
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
        let path = self.dir.join(&key);
        if tokio::fs::try_exists(&path).await.map_err(|e| self.io(e))? {
            return Ok(StoredBlob {
                key,
                sha256,
                bytes: bytes.len() as u64,
            });
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
        Ok(StoredBlob {
            key,
            sha256,
            bytes: bytes.len() as u64,
        })
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
        tokio::fs::read(self.dir.join(key)).await.map_err(|e| self.io(e))
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
}
