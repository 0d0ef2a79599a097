//! What a running subscriber shows its app: a subject subscriber's pending counts, a
//! `kv_watch` subscriber's progress through its initial data.

use std::sync::Arc;

use tokio::sync::watch;

use crate::backend::pending_queue::StatsHandle;
use crate::error::{Error, Result};
use crate::kv::WatcherStatus;
use crate::pending::SubscriberStats;

/// Where a `kv_watch` subscriber's progress is read.
#[derive(Clone)]
pub(crate) struct WatcherProgress {
    pub(super) name: Arc<str>,
    pub(super) bucket: String,
    pub(super) loaded: watch::Receiver<bool>,
}

impl WatcherProgress {
    pub(crate) fn read(&self) -> WatcherStatus {
        WatcherStatus {
            name: self.name.to_string(),
            bucket: self.bucket.clone(),
            initial_data_loaded: *self.loaded.borrow(),
        }
    }

    /// Waits until the initial data is handled.
    ///
    /// # Errors
    ///
    /// [`Error::WatchEnded`] when the watch ended before.
    pub(crate) async fn loaded(&self) -> Result<()> {
        let mut loaded = self.loaded.clone();
        match loaded.wait_for(|loaded| *loaded).await {
            Ok(_) => Ok(()),
            Err(_ended) => Err(Error::WatchEnded {
                bucket: self.bucket.clone(),
            }),
        }
    }
}

/// Where a subject subscriber's counts are read.
pub(crate) struct PendingCounts {
    pub(super) name: Arc<str>,
    pub(super) subject: String,
    pub(super) handle: StatsHandle,
}

impl PendingCounts {
    pub(crate) fn read(&self) -> SubscriberStats {
        SubscriberStats {
            name: self.name.to_string(),
            subject: self.subject.clone(),
            limits: self.handle.limits(),
            counts: self.handle.get(),
        }
    }
}
