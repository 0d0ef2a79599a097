//! When a NATS watch sends its end-of-initial-data marker (ADR-8): after the values
//! that were in the stream when its consumer was created, and exactly once — also when
//! there were none, and also when some of them vanished before they were delivered.

/// Where a watch is with respect to its initial values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InitialValues {
    /// Still coming: this many more (the consumer's pending count when it was created).
    /// A write made after that comes after the marker, even if it reached the stream
    /// before the last initial value was delivered.
    Pending(u64),
    /// The last initial value was delivered; the marker goes next.
    Due,
    /// The marker was sent.
    Sent,
}

impl InitialValues {
    /// The state of a watch whose consumer had `pending` messages when it was created.
    pub(super) fn new(pending: u64) -> Self {
        if pending == 0 {
            InitialValues::Due
        } else {
            InitialValues::Pending(pending)
        }
    }

    /// Whether the marker goes now; if so, it counts as sent.
    pub(super) fn take_due(&mut self) -> bool {
        let due = *self == InitialValues::Due;
        if due {
            *self = InitialValues::Sent;
        }
        due
    }

    /// Whether initial values are still expected.
    pub(super) fn is_pending(&self) -> bool {
        matches!(self, InitialValues::Pending(_))
    }

    /// An entry was delivered with `delta` more queued behind it for the watcher.
    pub(super) fn delivered(&mut self, delta: u64) {
        if let InitialValues::Pending(remaining) = *self {
            // `delta == 0` also ends it: after a consumer reset the count may be off.
            *self = if remaining <= 1 || delta == 0 {
                InitialValues::Due
            } else {
                InitialValues::Pending(remaining - 1)
            };
        }
    }

    /// The stream holds none of the initial values still counted (they expired or were
    /// purged): the marker is sent now.
    pub(super) fn vanished(&mut self) {
        *self = InitialValues::Sent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_start_sends_the_marker_first_and_once() {
        let mut initial = InitialValues::new(0);
        assert!(!initial.is_pending());
        assert!(initial.take_due());
        assert!(!initial.take_due(), "sent once");
        initial.delivered(0);
        assert!(!initial.take_due(), "live entries do not bring it back");
    }

    #[test]
    fn the_marker_follows_the_last_counted_value() {
        let mut initial = InitialValues::new(3);
        for delta in [5, 4] {
            assert!(!initial.take_due());
            initial.delivered(delta);
            assert!(initial.is_pending());
        }
        // A write that raced the watch's creation is still queued (delta 3), but only
        // three values were counted: the marker comes after the third.
        initial.delivered(3);
        assert!(initial.take_due());
        assert_eq!(initial, InitialValues::Sent);
    }

    #[test]
    fn a_caught_up_consumer_ends_the_initial_values_early() {
        let mut initial = InitialValues::new(10);
        initial.delivered(0);
        assert!(initial.take_due());
    }

    #[test]
    fn vanished_values_send_the_marker_without_waiting() {
        let mut initial = InitialValues::new(2);
        initial.delivered(1);
        initial.vanished();
        assert!(!initial.is_pending());
        assert!(!initial.take_due(), "already sent");
    }
}
