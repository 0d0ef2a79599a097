//! A subscriber's metrics, through the `metrics` facade: messages received, handled and
//! failed, in flight, handling time, and a stream subscriber's settlements, each
//! labelled with the handler's name. Handles are registered once, when the subscriber
//! starts, so the recorder must be installed before the app starts; without one every
//! handle is a no-op.

use std::sync::Arc;

use metrics::{Counter, Gauge, Histogram, counter, gauge, histogram};
use quanta::Instant;

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
        // The clock calibrates once per process, at its first reading: not on a message.
        let _ = Instant::now();
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

/// A consume loop's metrics: what it receives and handles in place is added up and
/// handed to the recorder when the loop waits, yields or ends, a handler has to wait, or
/// a reply goes out (each count, and each handling time, costs the recorder atomic
/// read-modify-writes, a large share of a message's cost when messages come back to
/// back). A loop handling in place counts one message in flight from the first of such a
/// run until it waits: handling back to back, it is busy all along. In such a run, a
/// message's handling starts when the one before it finished, so the clock is read once
/// a message and the times add up to the time the loop was busy.
pub(crate) struct LoopMetrics {
    metrics: Arc<SubscriberMetrics>,
    received: u64,
    handled: u64,
    failed: u64,
    in_flight: bool,
    /// When the last handler run in place finished, unless the loop waited since.
    finished: Option<Instant>,
    /// Handling times, in seconds, not yet handed to the recorder.
    times: Vec<f64>,
}

impl LoopMetrics {
    pub(crate) fn new(metrics: Arc<SubscriberMetrics>) -> Self {
        Self {
            metrics,
            received: 0,
            handled: 0,
            failed: 0,
            in_flight: false,
            finished: None,
            times: Vec::new(),
        }
    }

    /// The subscriber's metrics, for handlers that run in workers of their own.
    pub(crate) fn shared(&self) -> &Arc<SubscriberMetrics> {
        &self.metrics
    }

    #[inline]
    pub(crate) fn received(&mut self) {
        self.received += 1;
    }

    /// A message goes to its handler, in place: its handling starts when the one
    /// before it finished, if the loop went on without waiting.
    #[inline]
    pub(crate) fn start(&mut self) -> Handling {
        if !self.in_flight {
            self.in_flight = true;
            self.metrics.in_flight.increment(1.0);
        }
        Handling(self.finished.take().unwrap_or_else(Instant::now))
    }

    /// Its handler is done, with a result that is `ok` or not.
    #[inline]
    pub(crate) fn finish(&mut self, handling: Handling, ok: bool) {
        let now = Instant::now();
        self.times.push((now - handling.0).as_secs_f64());
        self.finished = Some(now);
        if ok {
            self.handled += 1;
        } else {
            self.failed += 1;
        }
    }

    /// Hands what was counted to the recorder, and ends the run of messages in flight.
    pub(crate) fn flush(&mut self) {
        self.flush_counts();
        if std::mem::take(&mut self.in_flight) {
            self.metrics.in_flight.decrement(1.0);
        }
    }

    /// Hands what was counted to the recorder, the message in flight staying so. The
    /// loop or its handler is about to wait: the next message's handling starts when it
    /// is taken.
    pub(crate) fn flush_counts(&mut self) {
        self.finished = None;
        let metrics = &self.metrics;
        for time in self.times.drain(..) {
            metrics.handling.record(time);
        }
        for (counter, count) in [
            (&metrics.received, &mut self.received),
            (&metrics.handled, &mut self.handled),
            (&metrics.failed, &mut self.failed),
        ] {
            if *count > 0 {
                counter.increment(std::mem::take(count));
            }
        }
    }
}
