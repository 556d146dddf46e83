//! Blob storage behind `object_store`: the local filesystem under the data
//! directory by default. Uploads stream through a multipart upload, so a
//! blob is never held whole in memory, and an upload is visible under its
//! key only once complete.
//!
//! On the local filesystem an upload in progress is a partial file
//! `<key>#<n>` beside its key, renamed to `<key>` when it completes.
//! object_store hides such files from listings; [`BlobStore::list_files`]
//! shows them (as `partial`), so that the sweeps of `services/blobs.rs` can
//! remove what a killed process left behind.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, WriteMultipart};

/// Size of the parts handed to the store; also the most an upload buffers.
const PART_SIZE: usize = 8 * 1024 * 1024;

#[derive(Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
    /// The directory of a local store: its partial files are visible there.
    root: Option<PathBuf>,
}

/// A file in the store, as the orphan sweep sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The blob key the file belongs to (`<key>` also for `<key>#<n>`).
    pub key: String,
    /// The file's own name in the store: the key, or the partial file's.
    pub name: String,
    /// An upload not completed (a partial file).
    pub partial: bool,
    /// Last written.
    pub modified: DateTime<Utc>,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BlobStore({})", self.inner)
    }
}

impl BlobStore {
    pub fn local(root: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(root)?;
        let fs = LocalFileSystem::new_with_prefix(root)?;
        Ok(BlobStore {
            inner: Arc::new(fs),
            root: Some(std::fs::canonicalize(root)?),
        })
    }

    pub fn from_store(inner: Arc<dyn ObjectStore>) -> Self {
        BlobStore { inner, root: None }
    }

    /// Starts writing `key`; nothing is visible until [`Upload::finish`].
    pub async fn start_upload(&self, key: &str) -> Result<Upload, object_store::Error> {
        let upload = self.inner.put_multipart(&ObjectPath::from(key)).await?;
        Ok(Upload {
            writer: WriteMultipart::new_with_chunk_size(upload, PART_SIZE),
        })
    }

    pub async fn get(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<BoxStream<'static, Result<Bytes, object_store::Error>>, object_store::Error> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = self.inner.get_opts(&ObjectPath::from(key), options).await?;
        Ok(result.into_stream().boxed())
    }

    pub async fn delete(&self, key: &str) -> Result<(), object_store::Error> {
        match self.inner.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Deletes whatever an upload into `key` left: the completed file and,
    /// on the local filesystem, its partial files (`<key>#<n>`). Other
    /// stores discard incomplete multipart uploads themselves (an S3
    /// lifecycle rule, for instance).
    pub async fn delete_upload(&self, key: &str) -> Result<(), object_store::Error> {
        self.delete(key).await?;
        let Some(root) = self.root.clone() else {
            return Ok(());
        };
        let key = key.to_owned();
        blocking(move || {
            let path = root.join(&key);
            let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
                return Ok(());
            };
            let prefix = format!("{}#", name.to_string_lossy());
            let entries = match std::fs::read_dir(dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e),
            };
            for entry in entries {
                let entry = entry?;
                let file_name = entry.file_name();
                let file_name = file_name.to_string_lossy();
                if file_name
                    .strip_prefix(&prefix)
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                {
                    remove_file(&entry.path())?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Every file in the store, partial files included on the local
    /// filesystem. Streamed, so that a large store is never listed whole
    /// in memory.
    pub fn list_files(&self) -> BoxStream<'static, Result<StoredFile, object_store::Error>> {
        let Some(root) = self.root.clone() else {
            return self
                .inner
                .list(None)
                .map(|meta| {
                    meta.map(|m| StoredFile {
                        key: m.location.to_string(),
                        name: m.location.to_string(),
                        partial: false,
                        modified: m.last_modified,
                    })
                })
                .boxed();
        };
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        tokio::task::spawn_blocking(move || {
            let mut dirs = vec![root.clone()];
            while let Some(dir) = dirs.pop() {
                let entries = match std::fs::read_dir(&dir) {
                    Ok(entries) => entries,
                    // Removed meanwhile (an empty directory swept).
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        let _ = tx.blocking_send(Err(io_error(&dir, e)));
                        return;
                    }
                };
                for entry in entries {
                    let file = entry.and_then(|entry| {
                        let kind = entry.file_type()?;
                        if kind.is_dir() {
                            dirs.push(entry.path());
                            return Ok(None);
                        }
                        if !kind.is_file() {
                            return Ok(None);
                        }
                        let modified = entry.metadata()?.modified()?;
                        Ok(stored_file(&root, &entry.path(), modified))
                    });
                    let item = match file {
                        Ok(None) => continue,
                        Ok(Some(f)) => Ok(f),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => Err(io_error(&dir, e)),
                    };
                    if tx.blocking_send(item).is_err() {
                        return;
                    }
                }
            }
        });
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|f| (f, rx)) })
            .boxed()
    }

    /// Deletes one file that [`BlobStore::list_files`] returned.
    pub async fn delete_file(&self, file: &StoredFile) -> Result<(), object_store::Error> {
        let Some(root) = self.root.clone() else {
            return self.delete(&file.name).await;
        };
        let path = root.join(&file.name);
        blocking(move || remove_file(&path)).await
    }

    /// On the local filesystem, removes directories that are empty and
    /// were last changed before `cutoff` (what deleted blobs leave). A
    /// directory an upload is creating a file in at that moment is not
    /// empty, or gets created again by the upload.
    pub async fn remove_empty_dirs(
        &self,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, object_store::Error> {
        let Some(root) = self.root.clone() else {
            return Ok(0);
        };
        let cutoff = SystemTime::from(cutoff);
        blocking(move || {
            /// Bottom up. A directory's age is read before its empty
            /// subdirectories are removed (which changes it).
            fn walk(dir: &Path, cutoff: SystemTime, top: bool) -> std::io::Result<u64> {
                let old = std::fs::metadata(dir)?.modified()? <= cutoff;
                let mut removed = 0;
                for entry in std::fs::read_dir(dir)? {
                    let entry = entry?;
                    if entry.file_type()?.is_dir() {
                        removed += match walk(&entry.path(), cutoff, false) {
                            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
                            other => other?,
                        };
                    }
                }
                // `remove_dir` refuses a directory that is not empty (a
                // file created meanwhile).
                if !top && old && std::fs::remove_dir(dir).is_ok() {
                    removed += 1;
                }
                Ok(removed)
            }
            match walk(&root, cutoff, true) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
                other => other,
            }
        })
        .await
    }
}

/// The blob key and name of a local file, `None` outside the root.
fn stored_file(root: &Path, path: &Path, modified: SystemTime) -> Option<StoredFile> {
    let relative = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let name = parts.join("/");
    let (key, partial) = match name.rsplit_once('#') {
        Some((key, n))
            if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && !key.ends_with('/') =>
        {
            (key.to_owned(), true)
        }
        _ => (name.clone(), false),
    };
    Some(StoredFile {
        key,
        name,
        partial,
        modified: modified.into(),
    })
}

fn remove_file(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn io_error(path: &Path, source: std::io::Error) -> object_store::Error {
    object_store::Error::Generic {
        store: "LocalFileSystem",
        source: format!("{}: {source}", path.display()).into(),
    }
}

/// Runs filesystem work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, object_store::Error> {
    let generic = |source: Box<dyn std::error::Error + Send + Sync>| object_store::Error::Generic {
        store: "LocalFileSystem",
        source,
    };
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| generic(e.into()))?
        .map_err(|e| generic(e.into()))
}

pub struct Upload {
    writer: WriteMultipart,
}

impl Upload {
    /// Queues a chunk, waiting while too many parts are in flight.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), object_store::Error> {
        self.writer.wait_for_capacity(2).await?;
        self.writer.write(chunk);
        Ok(())
    }

    pub async fn finish(self) -> Result<(), object_store::Error> {
        self.writer.finish().await.map(|_| ())
    }

    pub async fn abort(self) {
        if let Err(e) = self.writer.abort().await {
            tracing::warn!(error = %e, "could not abort an upload");
        }
    }
}
