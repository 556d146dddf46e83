//! Blob storage behind `object_store`: the local filesystem under the data
//! directory by default. Uploads stream through a multipart upload, so a
//! blob is never held whole in memory, and an upload is visible under its
//! key only once complete.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
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
        })
    }

    pub fn from_store(inner: Arc<dyn ObjectStore>) -> Self {
        BlobStore { inner }
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
