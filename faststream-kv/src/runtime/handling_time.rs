//! How long a stream subscriber's handlers take, on average: what tells its fetches how
//! many messages may wait in the client without their `ack_wait` running out.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// One handler in this many is timed: the average only sizes fetches, and two clock
/// reads for every message are a measurable share of a stream message's cost.
const SAMPLED_ONE_IN: u32 = 8;

/// A moving average of handler durations (each new one weighs 1/8), shared by the
/// ack policy that times handlers and the fetches that read it; clones share it.
#[derive(Clone, Default)]
pub(crate) struct HandlingTime(Arc<Shared>);

#[derive(Default)]
struct Shared {
    /// Nanoseconds; 0 until a handler finished.
    average: AtomicU64,
    /// Handlers started, for the sampling.
    started: AtomicU32,
}

impl HandlingTime {
    /// Whether to time the handler starting now: the first, then one in
    /// [`SAMPLED_ONE_IN`].
    pub(crate) fn sample(&self) -> bool {
        self.0
            .started
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SAMPLED_ONE_IN)
    }

    pub(crate) fn record(&self, took: Duration) {
        let took = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX).max(1);
        // One writer at a time in practice (or a lost sample when two race): a sample
        // more or less does not move an average that only sizes fetches.
        let average = self.0.average.load(Ordering::Relaxed);
        let next = if average == 0 {
            took
        } else {
            average - average / 8 + took / 8
        };
        self.0.average.store(next.max(1), Ordering::Relaxed);
    }

    /// The average in nanoseconds (never 0), once a handler finished.
    pub(crate) fn average_nanos(&self) -> Option<u64> {
        match self.0.average.load(Ordering::Relaxed) {
            0 => None,
            nanos => Some(nanos),
        }
    }
}
