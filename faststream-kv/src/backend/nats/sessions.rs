//! How many times a connection was lost. A server knows what it delivered only until it
//! restarts, and a client cannot tell a restart from a network blip: what arrived in an
//! earlier session may be acknowledged into the void, so the subscriber that buffered
//! it hands it back instead of handling it, and pulls waiting on the server are asked
//! for again.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::watch;

/// The connection's session number; clones share it.
#[derive(Debug, Clone)]
pub(crate) struct Sessions(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// Read on every delivery: an atomic, not the channel's lock.
    current: AtomicU64,
    /// Wakes whoever waits for the next session.
    changes: watch::Sender<u64>,
}

impl Default for Sessions {
    fn default() -> Self {
        Self(Arc::new(Inner {
            current: AtomicU64::new(0),
            changes: watch::Sender::new(0),
        }))
    }
}

impl Sessions {
    /// The session now: 0 until the connection is first lost.
    pub(crate) fn current(&self) -> u64 {
        self.0.current.load(Ordering::Acquire)
    }

    /// Resolves once the session is no longer `session`.
    pub(crate) fn ended(&self, session: u64) -> impl Future<Output = ()> + Send + 'static {
        let mut changes = self.0.changes.subscribe();
        async move {
            // The sender lives as long as a clone of `self`; without it nothing changes.
            if changes.wait_for(|now| *now != session).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// The connection was lost: whatever comes next belongs to a new session.
    pub(super) fn lost(&self) {
        let now = self.0.current.fetch_add(1, Ordering::AcqRel) + 1;
        self.0.changes.send_replace(now);
    }
}
