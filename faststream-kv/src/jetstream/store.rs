//! The contract between [`Stream`](super::Stream) and a backend's stream: info, purge,
//! read and delete stored messages. `backend/nats/jetstream` and
//! `backend/memory/jetstream` implement it.

use std::sync::Arc;

use futures::future::BoxFuture;

use super::{StoredMessage, StreamInfo};
use crate::error::Result;

/// What a purge removes: the messages on subjects matching `filter` (all without),
/// but the newest `keep` of them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Purge {
    pub(crate) filter: Option<String>,
    pub(crate) keep: Option<u64>,
}

/// One stream of a backend.
pub(crate) trait StreamStore: Send + Sync + 'static {
    /// The stream's name.
    fn name(&self) -> &Arc<str>;

    /// Its configuration and state, fresh.
    fn info(&self) -> BoxFuture<'_, Result<StreamInfo>>;

    /// Removes messages; returns how many.
    fn purge(&self, purge: Purge) -> BoxFuture<'_, Result<u64>>;

    /// The message stored under `sequence`.
    fn message(&self, sequence: u64) -> BoxFuture<'_, Result<Option<StoredMessage>>>;

    /// The newest message on `subject` (a subject without wildcards).
    fn last_message<'a>(&'a self, subject: &'a str)
    -> BoxFuture<'a, Result<Option<StoredMessage>>>;

    /// Removes the message stored under `sequence`; `false` if there is none.
    fn delete_message(&self, sequence: u64) -> BoxFuture<'_, Result<bool>>;
}
