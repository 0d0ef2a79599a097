//! How long a stream subscriber's handlers take, on average: what tells its fetches how
//! many messages may wait in the client without their `ack_wait` running out.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A moving average of handler durations (each new one weighs 1/8), shared by the
/// ack policy that times handlers and the fetches that read it; clones share it.
#[derive(Clone, Default)]
pub(crate) struct HandlingTime {
    /// Nanoseconds; 0 until a handler finished.
    average: Arc<AtomicU64>,
}

impl HandlingTime {
    pub(crate) fn record(&self, took: Duration) {
        let took = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX).max(1);
        // One writer at a time in practice (or a lost sample when two race): a sample
        // more or less does not move an average that only sizes fetches.
        let average = self.average.load(Ordering::Relaxed);
        let next = if average == 0 {
            took
        } else {
            average - average / 8 + took / 8
        };
        self.average.store(next.max(1), Ordering::Relaxed);
    }

    /// The average in nanoseconds (never 0), once a handler finished.
    pub(crate) fn average_nanos(&self) -> Option<u64> {
        match self.average.load(Ordering::Relaxed) {
            0 => None,
            nanos => Some(nanos),
        }
    }
}
