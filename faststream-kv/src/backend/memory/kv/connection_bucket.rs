//! A bucket as one connection sees it, by name as on a server: once the bucket is
//! deleted and created again, the handle reaches the new one; the watches it opens end
//! when that connection closes.

use std::sync::{Arc, Mutex, PoisonError};

use futures::future::{BoxFuture, ready};

use super::{MemoryBucket, Registry};
use crate::backend_kind::BackendKind;
use crate::error::{Error, Result};
use crate::kv::store::{Events, Start, Store, Write};
use crate::kv::{Entry, Status};

pub(super) struct ConnectionBucket {
    name: Arc<str>,
    registry: Registry,
    /// The bucket of that name when last looked up.
    current: Mutex<Arc<MemoryBucket>>,
    connection: u64,
}

impl ConnectionBucket {
    pub(super) fn store(
        bucket: &Arc<MemoryBucket>,
        registry: &Registry,
        connection: u64,
    ) -> Arc<dyn Store> {
        Arc::new(Self {
            name: Arc::clone(bucket.name()),
            registry: Arc::clone(registry),
            current: Mutex::new(Arc::clone(bucket)),
            connection,
        })
    }

    /// The bucket of this name: the one looked up last, unless it was deleted since
    /// and another took its name.
    fn bucket(&self) -> Arc<MemoryBucket> {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.is_deleted() {
            let registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(recreated) = registry.get(&*self.name) {
                *current = Arc::clone(recreated);
            }
        }
        Arc::clone(&current)
    }

    /// Where writes go: the bucket, or the origin of a mirror (whose copy comes back).
    fn written(&self) -> Result<Arc<MemoryBucket>> {
        let bucket = self.bucket();
        let Some(origin) = bucket.mirror_origin() else {
            return Ok(bucket);
        };
        let registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        match registry.get(&origin) {
            Some(origin) => Ok(Arc::clone(origin)),
            None => Err(Error::BucketNotFound { bucket: origin }),
        }
    }
}

impl Store for ConnectionBucket {
    fn name(&self) -> &Arc<str> {
        &self.name
    }

    fn kind(&self) -> BackendKind {
        BackendKind::Memory
    }

    fn max_value_size(&self) -> Option<usize> {
        self.bucket().max_value_size()
    }

    fn entry<'a>(
        &'a self,
        key: &'a str,
        revision: Option<u64>,
    ) -> BoxFuture<'a, Result<Option<Entry>>> {
        Box::pin(ready(self.bucket().read(key, revision)))
    }

    fn write<'a>(&'a self, key: &'a str, write: Write) -> BoxFuture<'a, Result<u64>> {
        let written = self
            .written()
            .and_then(|bucket| bucket.append_write(key, write));
        Box::pin(ready(written))
    }

    fn purge_revisions<'a>(&'a self, key: &'a str, keep: u64) -> BoxFuture<'a, Result<()>> {
        Box::pin(ready(self.bucket().purge_revisions(key, keep)))
    }

    fn watch<'a>(
        &'a self,
        filters: &'a [String],
        start: Start,
        meta_only: bool,
    ) -> BoxFuture<'a, Result<Events>> {
        let watch = self
            .bucket()
            .open_watch(filters, start, meta_only, self.connection);
        Box::pin(ready(watch))
    }

    fn status(&self) -> BoxFuture<'_, Result<Status>> {
        Box::pin(ready(self.bucket().current_status()))
    }
}
