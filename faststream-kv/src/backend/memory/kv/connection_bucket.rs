//! A bucket as one connection sees it: the watches it opens end when that connection
//! closes.

use std::sync::Arc;

use futures::future::{BoxFuture, ready};

use super::MemoryBucket;
use crate::backend_kind::BackendKind;
use crate::error::Result;
use crate::kv::store::{Events, Start, Store, Write};
use crate::kv::{Entry, Status};

pub(super) struct ConnectionBucket {
    bucket: Arc<MemoryBucket>,
    connection: u64,
}

impl ConnectionBucket {
    pub(super) fn store(bucket: &Arc<MemoryBucket>, connection: u64) -> Arc<dyn Store> {
        Arc::new(Self {
            bucket: Arc::clone(bucket),
            connection,
        })
    }
}

impl Store for ConnectionBucket {
    fn name(&self) -> &Arc<str> {
        self.bucket.name()
    }

    fn kind(&self) -> BackendKind {
        BackendKind::Memory
    }

    fn max_value_size(&self) -> Option<usize> {
        self.bucket.max_value_size()
    }

    fn entry<'a>(
        &'a self,
        key: &'a str,
        revision: Option<u64>,
    ) -> BoxFuture<'a, Result<Option<Entry>>> {
        Box::pin(ready(self.bucket.read(key, revision)))
    }

    fn write<'a>(&'a self, key: &'a str, write: Write) -> BoxFuture<'a, Result<u64>> {
        Box::pin(ready(self.bucket.append_write(key, write)))
    }

    fn watch<'a>(
        &'a self,
        filters: &'a [String],
        start: Start,
        meta_only: bool,
    ) -> BoxFuture<'a, Result<Events>> {
        let watch = self
            .bucket
            .open_watch(filters, start, meta_only, self.connection);
        Box::pin(ready(watch))
    }

    fn status(&self) -> BoxFuture<'_, Result<Status>> {
        Box::pin(ready(self.bucket.current_status()))
    }
}
