//! The contract between [`KeyValue`](super::KeyValue) and a backend's bucket: read one
//! revision, write one revision, watch, status. Everything else in `kv/` is built on
//! these once; `backend/nats/kv` and `backend/memory/kv` implement them.

use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::BoxStream;

use super::{Entry, Operation, Status, WatchEvent};
use crate::backend_kind::BackendKind;
use crate::error::Result;

/// One revision to write.
pub(crate) struct Write {
    pub(crate) operation: Operation,
    pub(crate) value: Bytes,
    /// Compare-and-set: the key's current revision must be this (0: no revision at all).
    pub(crate) expected_revision: Option<u64>,
    /// Per-key TTL, validated to whole seconds.
    pub(crate) ttl_seconds: Option<u64>,
}

/// Where a watch starts delivering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// The latest revision of each matching key.
    LastPerKey,
    /// Every stored revision.
    All,
    /// Every revision from this one.
    From(u64),
    /// Only writes after the watch started.
    New,
}

/// What a backend's watch yields: entries, the end-of-initial-data marker once, and
/// the end of the stream when the bucket or connection goes away.
pub(crate) type Events = BoxStream<'static, Result<WatchEvent>>;

/// One bucket on one backend. Keys and filters are validated before they get here.
pub(crate) trait Store: Send + Sync + 'static {
    /// The bucket's name.
    fn name(&self) -> &Arc<str>;

    /// The backend the bucket lives on.
    fn kind(&self) -> BackendKind;

    /// The bucket's `max_value_size`, if it has one.
    fn max_value_size(&self) -> Option<usize>;

    /// The latest revision of `key` (or revision `revision`), markers included.
    fn entry<'a>(
        &'a self,
        key: &'a str,
        revision: Option<u64>,
    ) -> BoxFuture<'a, Result<Option<Entry>>>;

    /// Writes one revision; returns it.
    fn write<'a>(&'a self, key: &'a str, write: Write) -> BoxFuture<'a, Result<u64>>;

    /// Removes the revisions of `key` but its newest `keep` (a stream purge of its
    /// subject; watchers are not told).
    fn purge_revisions<'a>(&'a self, key: &'a str, keep: u64) -> BoxFuture<'a, Result<()>>;

    /// Watches the keys matching any of `filters`, from `start`.
    fn watch<'a>(
        &'a self,
        filters: &'a [String],
        start: Start,
        meta_only: bool,
    ) -> BoxFuture<'a, Result<Events>>;

    /// The bucket's configuration, size and latest revision.
    fn status(&self) -> BoxFuture<'_, Result<Status>>;
}
