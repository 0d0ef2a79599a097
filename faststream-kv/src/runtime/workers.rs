//! The worker slots of one consume loop: how many handlers it runs at once.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Up to `max` handlers at once; clones share the slots.
#[derive(Clone)]
pub(crate) struct Workers {
    slots: Arc<Semaphore>,
    max: usize,
}

impl Workers {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(max)),
            max,
        }
    }

    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// A slot for one handler, held until the permit is dropped; `None` once closed.
    pub(crate) async fn slot(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.slots).acquire_owned().await.ok()
    }

    /// Waits until no handler holds a slot.
    pub(crate) async fn idle(&self) {
        let permits = u32::try_from(self.max).unwrap_or(u32::MAX);
        let _all_idle = self.slots.acquire_many(permits).await;
    }
}
