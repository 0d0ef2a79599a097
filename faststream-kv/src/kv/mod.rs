//! NATS Key-Value: buckets with revisions, history, compare-and-set, watches, per-key
//! TTLs, typed access and locally replicated views — the same on a NATS server and on
//! the embedded memory broker.
//!
//! ```
//! use faststream_kv::prelude::*;
//!
//! # #[tokio::main] async fn main() -> Result<(), Error> {
//! let broker = Broker::memory();
//! let stock = broker.key_value("stock").declare(kv::Config::default()).await?;
//! let revision = stock.put("sku-1", "5").await?;
//! assert_eq!(stock.get("sku-1").await?.map(|entry| entry.revision()), Some(revision));
//! stock.update("sku-1", "4", revision).await?;
//! let left: Option<u32> = stock.get_json("sku-1").await?;
//! assert_eq!(left, Some(4));
//! # Ok(()) }
//! ```

mod config;
mod entry;
pub(crate) mod names;
mod purge_deletes;
mod source;
pub(crate) mod store;
pub(crate) mod ttl;
mod typed;
mod view;
pub(crate) mod watch;
mod watcher_status;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;

pub use config::{BACKING_STORE, Config, MAX_HISTORY, Status, Storage};
pub use entry::{Entry, Operation};
pub use names::{MAX_BUCKET_LEN, MAX_KEY_LEN, validate_bucket, validate_key, validate_key_filter};
pub use purge_deletes::DEFAULT_MARKER_THRESHOLD;
pub use source::{Placement, Republish, Source, SubjectTransform};
pub use typed::Typed;
pub use view::View;
pub use watch::{Watch, WatchBuilder, WatchEvent, WatchOptions};
pub use watcher_status::WatcherStatus;

use crate::error::{ConfigProblem, Error, Result};
use store::{Store, Write};
use watch::initial_entries;

/// A handle to one Key-Value bucket; clones share it. Get one from
/// [`Broker::key_value`](crate::Broker::key_value) and put it in the app context for
/// handlers (`Ctx<KeyValue>`).
///
/// Every key is checked before anything is sent ([`validate_key`]): a key taken from
/// user input can never act as a wildcard. Reads treat deleted and purged keys as
/// absent.
#[derive(Clone)]
pub struct KeyValue {
    store: Arc<dyn Store>,
    /// Set when the broker that bound the bucket is closed.
    closed: Arc<AtomicBool>,
}

impl KeyValue {
    pub(crate) fn new(store: Arc<dyn Store>, closed: Arc<AtomicBool>) -> Self {
        Self { store, closed }
    }

    /// The bucket, once we know the broker is still open: after `Broker::close` every
    /// call fails with [`Error::Closed`], on both backends alike.
    fn open(&self) -> Result<&dyn Store> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        Ok(&*self.store)
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        self.store.name()
    }

    /// The value of `key`, or `None` if it was never set, deleted or purged.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] for a key that is not one (nothing is sent);
    /// [`Error::Closed`] once the broker is closed, [`Error::BucketNotFound`] when the
    /// bucket was deleted, [`Error::Nats`] when the server fails.
    pub async fn get(&self, key: &str) -> Result<Option<Entry>> {
        Ok(self.entry(key).await?.filter(|entry| !entry.is_removal()))
    }

    /// Revision `revision` of `key`, or `None` if that revision is not `key`'s, is no
    /// longer kept, or removed the key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] for a key that is not one (nothing is sent);
    /// [`Error::Closed`] once the broker is closed, [`Error::BucketNotFound`] when the
    /// bucket was deleted, [`Error::Nats`] when the server fails.
    pub async fn get_revision(&self, key: &str, revision: u64) -> Result<Option<Entry>> {
        validate_key(key)?;
        let entry = self.open()?.entry(key, Some(revision)).await?;
        Ok(entry.filter(|entry| !entry.is_removal()))
    }

    /// The latest revision of `key` including delete and purge markers: what a
    /// compare-and-set after a delete needs.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] for a key that is not one (nothing is sent);
    /// [`Error::Closed`] once the broker is closed, [`Error::BucketNotFound`] when the
    /// bucket was deleted, [`Error::Nats`] when the server fails.
    pub async fn entry(&self, key: &str) -> Result<Option<Entry>> {
        validate_key(key)?;
        self.open()?.entry(key, None).await
    }

    /// Sets `key` to `value`; returns the new revision.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] for a key that is not one (nothing is sent);
    /// [`Error::ValueTooLarge`]; [`Error::BucketFull`] at `max_bytes`;
    /// [`Error::Closed`] once the broker is closed, [`Error::BucketNotFound`] when the
    /// bucket was deleted, [`Error::Nats`] when the server fails.
    pub async fn put(&self, key: &str, value: impl Into<Bytes>) -> Result<u64> {
        self.write(key, Operation::Put, value.into(), None, None)
            .await
    }

    /// Sets `key` to a string.
    ///
    /// # Errors
    ///
    /// As [`put`](Self::put).
    pub async fn put_string(&self, key: &str, value: impl Into<String>) -> Result<u64> {
        self.put(key, Bytes::from(value.into())).await
    }

    /// Sets `key` only if it has no value (never set, deleted or purged); otherwise
    /// [`Error::KeyExists`].
    ///
    /// # Errors
    ///
    /// [`Error::KeyExists`] when the key has a value; otherwise as [`put`](Self::put).
    pub async fn create(&self, key: &str, value: impl Into<Bytes>) -> Result<u64> {
        self.create_maybe_ttl(key, value.into(), None).await
    }

    /// Like [`create`](Self::create), and the key expires after `ttl` (whole seconds;
    /// the bucket needs [`Config::key_ttl_markers`]). The expiry leaves a purge marker
    /// that watchers see.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a TTL that is not whole seconds or a bucket without
    /// `key_ttl_markers`; otherwise as [`create`](Self::create).
    pub async fn create_with_ttl(
        &self,
        key: &str,
        value: impl Into<Bytes>,
        ttl: Duration,
    ) -> Result<u64> {
        let ttl = ttl::whole_seconds(ttl)?;
        self.create_maybe_ttl(key, value.into(), Some(ttl)).await
    }

    async fn create_maybe_ttl(&self, key: &str, value: Bytes, ttl: Option<u64>) -> Result<u64> {
        let first = self
            .write(key, Operation::Put, value.clone(), Some(0), ttl)
            .await;
        if !matches!(first, Err(Error::WrongRevision { .. })) {
            return first;
        }
        // The key has revisions: it may be re-created only over a delete/purge marker.
        let marker = match self.entry(key).await? {
            Some(entry) if !entry.is_removal() => return Err(self.key_exists(key)),
            Some(marker) => marker.revision,
            None => 0,
        };
        let retried = self
            .write(key, Operation::Put, value, Some(marker), ttl)
            .await;
        match retried {
            Err(Error::WrongRevision { .. }) => Err(self.key_exists(key)),
            other => other,
        }
    }

    fn key_exists(&self, key: &str) -> Error {
        Error::KeyExists {
            bucket: self.bucket().to_owned(),
            key: key.to_owned(),
        }
    }

    /// Compare-and-set: sets `key` only if its latest revision is `last_revision`
    /// (0: the key has no revision at all); otherwise [`Error::WrongRevision`].
    ///
    /// # Errors
    ///
    /// [`Error::WrongRevision`] when the key moved past `last_revision`; otherwise as
    /// [`put`](Self::put).
    pub async fn update(
        &self,
        key: &str,
        value: impl Into<Bytes>,
        last_revision: u64,
    ) -> Result<u64> {
        self.write(key, Operation::Put, value.into(), Some(last_revision), None)
            .await
    }

    /// Deletes `key`: it reads as absent, earlier revisions stay in its history.
    /// Returns the revision of the delete marker.
    ///
    /// # Errors
    ///
    /// As [`put`](Self::put).
    pub async fn delete(&self, key: &str) -> Result<u64> {
        self.write(key, Operation::Delete, Bytes::new(), None, None)
            .await
    }

    /// Deletes `key` only if its latest revision is `last_revision`.
    ///
    /// # Errors
    ///
    /// As [`update`](Self::update).
    pub async fn delete_expect_revision(&self, key: &str, last_revision: u64) -> Result<u64> {
        self.write(
            key,
            Operation::Delete,
            Bytes::new(),
            Some(last_revision),
            None,
        )
        .await
    }

    /// Purges `key`: removes it with its whole history, leaving one purge marker.
    ///
    /// # Errors
    ///
    /// As [`put`](Self::put).
    pub async fn purge(&self, key: &str) -> Result<u64> {
        self.write(key, Operation::Purge, Bytes::new(), None, None)
            .await
    }

    /// Purges `key` only if its latest revision is `last_revision`.
    ///
    /// # Errors
    ///
    /// As [`update`](Self::update).
    pub async fn purge_expect_revision(&self, key: &str, last_revision: u64) -> Result<u64> {
        self.write(
            key,
            Operation::Purge,
            Bytes::new(),
            Some(last_revision),
            None,
        )
        .await
    }

    /// Purges `key`; the purge marker itself disappears after `ttl` (whole seconds; the
    /// bucket needs [`Config::key_ttl_markers`]).
    ///
    /// # Errors
    ///
    /// As [`create_with_ttl`](Self::create_with_ttl) for the TTL; otherwise as
    /// [`purge`](Self::purge).
    pub async fn purge_with_ttl(&self, key: &str, ttl: Duration) -> Result<u64> {
        let ttl = ttl::whole_seconds(ttl)?;
        self.write(key, Operation::Purge, Bytes::new(), None, Some(ttl))
            .await
    }

    async fn write(
        &self,
        key: &str,
        operation: Operation,
        value: Bytes,
        expected_revision: Option<u64>,
        ttl_seconds: Option<u64>,
    ) -> Result<u64> {
        validate_key(key)?;
        if let Some(max) = self.store.max_value_size()
            && value.len() > max
        {
            return Err(Error::ValueTooLarge {
                size: value.len(),
                max,
            });
        }
        let write = Write {
            operation,
            value,
            expected_revision,
            ttl_seconds,
        };
        self.open()?.write(key, write).await
    }

    /// Every key with a value, in revision order of their latest write.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] once the broker is closed, [`Error::BucketNotFound`] when the
    /// bucket was deleted, [`Error::Nats`] when the server fails. [`Error::WatchEnded`]
    /// when the bucket goes away while its keys are read.
    pub async fn keys(&self) -> Result<Vec<String>> {
        self.keys_matching(">").await
    }

    /// The keys with a value that match `filter` (`*` one token, trailing `>` the rest),
    /// e.g. `"user.*"`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] for a filter that is not one; otherwise as
    /// [`keys`](Self::keys).
    pub async fn keys_matching(&self, filter: &str) -> Result<Vec<String>> {
        let watch = self.watch(filter).ignore_deletes().meta_only().await?;
        let entries = initial_entries(watch).await?;
        Ok(entries.iter().map(|entry| entry.key().to_owned()).collect())
    }

    /// The keys with a value that match any of `filters`, as the bucket delivers them
    /// (in revision order of their latest write), without holding them all: for buckets
    /// with many keys.
    ///
    /// ```
    /// # use faststream_kv::prelude::*;
    /// # use futures::TryStreamExt;
    /// # #[tokio::main] async fn main() -> Result<(), Error> {
    /// let kv = Broker::memory().key_value("users").declare(kv::Config::default()).await?;
    /// kv.put("user.1", "ann").await?;
    /// kv.put("admin.1", "bob").await?;
    /// kv.put("guest.1", "cy").await?;
    /// let keys: Vec<String> = kv.list_keys(["user.*", "admin.*"]).await?.try_collect().await?;
    /// assert_eq!(keys, ["user.1", "admin.1"]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] for a filter that is not one; otherwise as
    /// [`keys`](Self::keys), for the call or for an item.
    pub async fn list_keys<I, S>(&self, filters: I) -> Result<BoxStream<'static, Result<String>>>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let watch = self
            .watch_many(filters)
            .ignore_deletes()
            .meta_only()
            .await?;
        Ok(watch::initial_keys(watch))
    }

    /// Every stored revision of `key`, oldest first, markers included (as many as the
    /// bucket's `history` keeps).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] for a key that is not one (nothing is sent); otherwise as
    /// [`keys`](Self::keys).
    pub async fn history(&self, key: &str) -> Result<Vec<Entry>> {
        validate_key(key)?;
        initial_entries(self.watch(key).include_history().await?).await
    }

    /// Watches the keys matching `filter`; chain options on the builder, then `.await`.
    pub fn watch(&self, filter: &str) -> WatchBuilder {
        self.watch_many([filter])
    }

    /// Watches the keys matching any of `filters`.
    pub fn watch_many<I, S>(&self, filters: I) -> WatchBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        WatchBuilder::new(self.clone(), filters.into_iter().map(Into::into).collect())
    }

    /// Watches every key of the bucket.
    pub fn watch_all(&self) -> WatchBuilder {
        self.watch(">")
    }

    pub(crate) async fn open_watch(
        &self,
        filters: Vec<String>,
        options: WatchOptions,
    ) -> Result<Watch> {
        if filters.is_empty() {
            return Err(Error::InvalidConfig {
                problem: ConfigProblem::NoWatchFilter,
            });
        }
        for filter in &filters {
            validate_key_filter(filter)?;
        }
        let start = options.start()?;
        let events = self
            .open()?
            .watch(&filters, start, options.meta_only)
            .await?;
        Ok(Watch::new(Arc::clone(self.store.name()), events, &options))
    }

    /// The bucket's configuration, size and latest revision.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] once the broker is closed, [`Error::BucketNotFound`] when the
    /// bucket was deleted, [`Error::Nats`] when the server fails.
    pub async fn status(&self) -> Result<Status> {
        self.open()?.status().await
    }
}

impl fmt::Debug for KeyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyValue")
            .field("bucket", &self.bucket())
            .field("backend", &self.store.kind())
            .finish()
    }
}
