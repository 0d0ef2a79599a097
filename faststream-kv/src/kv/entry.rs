//! One revision of one key: what `get`, `history` and watches return.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// What a revision did to its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// A value was put.
    Put,
    /// The key was deleted; earlier revisions remain in the history.
    Delete,
    /// The key was purged with its history (also: it expired through a TTL).
    Purge,
}

/// One revision of a key: its value, revision (the bucket-wide sequence number), when
/// it was written and by which [`Operation`].
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    pub(crate) bucket: Arc<str>,
    pub(crate) key: Arc<str>,
    pub(crate) value: Bytes,
    pub(crate) revision: u64,
    pub(crate) delta: u64,
    pub(crate) created: SystemTime,
    pub(crate) operation: Operation,
}

impl Entry {
    /// The bucket the entry belongs to.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The value (empty for a delete or purge, and for watches with `meta_only`).
    pub fn value(&self) -> &Bytes {
        &self.value
    }

    /// The value decoded from JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] when the value is not JSON for `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.value).map_err(|source| Error::Decode {
            target: std::any::type_name::<T>(),
            source: Box::new(source),
        })
    }

    /// The revision: the bucket's sequence number of this write. Later writes have
    /// higher revisions, across all keys of the bucket.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// In a watch, how many more entries the server had queued for the watcher when
    /// this one was sent (0: the watcher is caught up). 0 for `get`.
    pub fn delta(&self) -> u64 {
        self.delta
    }

    /// When the server stored this revision.
    pub fn created(&self) -> SystemTime {
        self.created
    }

    /// What this revision did.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// Whether this revision removed the key (a delete or purge marker).
    pub fn is_removal(&self) -> bool {
        self.operation != Operation::Put
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("bucket", &self.bucket)
            .field("key", &self.key)
            .field("revision", &self.revision)
            .field("operation", &self.operation)
            .field("value", &self.value)
            .field("delta", &self.delta)
            .field("created", &self.created)
            .finish()
    }
}
