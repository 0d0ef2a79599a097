//! A subscription on the memory broker, as the broker sees it: it ends (unsubscribes)
//! when drained or dropped. Its messages arrive in a pending queue of their own.

use std::sync::Weak;

use super::Core;

/// Unsubscribes on [`drain`](Self::drain) or drop.
pub(crate) struct MemorySubscription {
    id: u64,
    subject: String,
    core: Weak<Core>,
}

impl MemorySubscription {
    pub(super) fn new(id: u64, subject: String, core: Weak<Core>) -> Self {
        Self { id, subject, core }
    }

    /// Stops new messages; those already queued still come, then the stream ends.
    pub(crate) fn drain(&mut self) {
        if let Some(core) = self.core.upgrade() {
            // Removing the target drops the only sender, which ends the stream once the
            // queued messages are read.
            core.unsubscribe(&self.subject, self.id);
        }
    }
}

impl Drop for MemorySubscription {
    fn drop(&mut self) {
        self.drain();
    }
}
