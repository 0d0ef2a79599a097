//! A subscriber's metrics, through the `metrics` facade: messages received, handled and
//! failed, in flight, handling time, and a stream subscriber's settlements, each
//! labelled with the handler's name. Handles are registered once, when the subscriber
//! starts, so the recorder must be installed before the app starts; without one every
//! handle is a no-op.

use std::time::Instant;

use metrics::{Counter, Gauge, Histogram, counter, gauge, histogram};

/// The metrics of one subscriber.
pub(crate) struct SubscriberMetrics {
    received: Counter,
    handled: Counter,
    failed: Counter,
    in_flight: Gauge,
    handling: Histogram,
    acked: Counter,
    nacked: Counter,
    terminated: Counter,
}

/// A message whose handling started at this instant.
pub(crate) struct Handling(Instant);

impl SubscriberMetrics {
    /// The metrics of handler `handler`, registered with the recorder installed now.
    pub(crate) fn new(handler: &str) -> Self {
        let labels = [("handler", handler.to_owned())];
        Self {
            received: counter!("faststream_messages_received_total", &labels),
            handled: counter!("faststream_messages_handled_total", &labels),
            failed: counter!("faststream_messages_failed_total", &labels),
            in_flight: gauge!("faststream_messages_in_flight", &labels),
            handling: histogram!("faststream_handling_seconds", &labels),
            acked: counter!("faststream_stream_messages_acked_total", &labels),
            nacked: counter!("faststream_stream_messages_nacked_total", &labels),
            terminated: counter!("faststream_stream_messages_terminated_total", &labels),
        }
    }

    #[inline]
    pub(crate) fn received(&self) {
        self.received.increment(1);
    }

    /// A message goes to its handler.
    #[inline]
    pub(crate) fn start(&self) -> Handling {
        self.in_flight.increment(1.0);
        Handling(Instant::now())
    }

    /// Its handler is done, with a result that is `ok` or not.
    #[inline]
    pub(crate) fn finish(&self, handling: Handling, ok: bool) {
        self.handling.record(handling.0.elapsed().as_secs_f64());
        self.in_flight.decrement(1.0);
        if ok {
            self.handled.increment(1);
        } else {
            self.failed.increment(1);
        }
    }

    /// A stream message was acknowledged.
    pub(crate) fn acked(&self) {
        self.acked.increment(1);
    }

    /// A stream message was nak'd.
    pub(crate) fn nacked(&self) {
        self.nacked.increment(1);
    }

    /// A stream message was terminated.
    pub(crate) fn terminated(&self) {
        self.terminated.increment(1);
    }
}
