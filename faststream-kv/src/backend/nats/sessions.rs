//! How many times a connection was lost. A server knows what it delivered only until it
//! restarts, and a client cannot tell a restart from a network blip: what arrived in an
//! earlier session may be acknowledged into the void, so the subscriber that buffered
//! it hands it back instead of handling it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The connection's session number; clones share it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sessions(Arc<AtomicU64>);

impl Sessions {
    /// The session now: 0 until the connection is first lost.
    pub(crate) fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// The connection was lost: whatever comes next belongs to a new session.
    pub(super) fn lost(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}
