//! The two backends behind a [`KeyValue`](super::KeyValue): a NATS bucket or a bucket
//! of the embedded memory broker. Both offer the same four primitives — read one
//! revision, write one revision, watch, status — and everything else in `kv/` is
//! built on them once.

use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;

use super::config::KvStatus;
use super::entry::{Entry, Operation};
use super::nats::NatsBucket;
use super::watch::{Start, WatchEvent};
use crate::error::Result;
use crate::memory::MemoryBucket;

/// One revision to write.
pub(crate) struct Write {
    pub(crate) operation: Operation,
    pub(crate) value: Bytes,
    /// Compare-and-set: the key's current revision must be this (0: no revision at all).
    pub(crate) expected_revision: Option<u64>,
    /// Per-key TTL, validated to whole seconds.
    pub(crate) ttl_seconds: Option<u64>,
}

#[derive(Clone)]
pub(crate) enum Backend {
    Nats(Arc<NatsBucket>),
    Memory(Arc<MemoryBucket>),
}

impl Backend {
    pub(crate) fn name(&self) -> &Arc<str> {
        match self {
            Backend::Nats(bucket) => bucket.name(),
            Backend::Memory(bucket) => bucket.name(),
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Backend::Nats(_) => "nats",
            Backend::Memory(_) => "memory",
        }
    }

    /// The bucket's `max_value_size`, if it has one.
    pub(crate) fn max_value_size(&self) -> Option<usize> {
        match self {
            Backend::Nats(bucket) => bucket.max_value_size(),
            Backend::Memory(bucket) => bucket.max_value_size(),
        }
    }

    /// The latest revision of `key` (or revision `revision`), markers included.
    pub(crate) async fn entry(&self, key: &str, revision: Option<u64>) -> Result<Option<Entry>> {
        match self {
            Backend::Nats(bucket) => bucket.entry(key, revision).await,
            Backend::Memory(bucket) => bucket.entry(key, revision),
        }
    }

    pub(crate) async fn write(&self, key: &str, write: Write) -> Result<u64> {
        match self {
            Backend::Nats(bucket) => bucket.write(key, write).await,
            Backend::Memory(bucket) => bucket.write(key, write),
        }
    }

    pub(crate) async fn watch(
        &self,
        filters: &[String],
        start: Start,
        meta_only: bool,
    ) -> Result<BoxStream<'static, Result<WatchEvent>>> {
        match self {
            Backend::Nats(bucket) => bucket.watch(filters, start, meta_only).await,
            Backend::Memory(bucket) => bucket.watch(filters, start, meta_only),
        }
    }

    pub(crate) async fn status(&self) -> Result<KvStatus> {
        match self {
            Backend::Nats(bucket) => bucket.status().await,
            Backend::Memory(bucket) => bucket.status(),
        }
    }
}
