//! The consume loop: worker concurrency, replies, panic isolation and the graceful
//! drain at shutdown.

use std::future::{Future, poll_fn};
use std::panic::{self, AssertUnwindSafe};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use futures::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{Level, Span};

use super::acking::Acking;
use super::dispatch::Dispatch;
use super::finishing::Finishing;
use super::incoming::Incoming;
use super::lanes::Lanes;
use super::max_deliveries::MaxDeliveriesWatch;
use super::message_span::message_span;
use super::metrics::{LoopMetrics, SubscriberMetrics};
use super::outcome::{Outcome, ReplySlot, Settle};
use super::workers::Workers;
use crate::broker::Broker;
use crate::error::{BoxError, Error};
use crate::message::Message;
use crate::response::Reply;
use crate::trace::{self, TraceContext};
use crate::wire::{Handled, HandledId};

/// A subscriber's consume loop before it is spawned: everything but the service.
pub(crate) struct Consumer {
    pub(super) incoming: Incoming,
    pub(super) broker: Broker,
    pub(super) name: Arc<str>,
    pub(super) workers: Workers,
    pub(super) stop: watch::Receiver<bool>,
    /// Set when the graceful timeout ran out: handlers still running are cut off, and
    /// what is left is counted instead of handled.
    pub(super) give_up: watch::Receiver<bool>,
    /// With `workers_by_key`: the lanes keeping each key's messages in order.
    pub(super) lanes: Option<Lanes>,
    /// For a stream subscriber: how its messages are settled.
    pub(super) acking: Option<Acking>,
    /// The level of each message's span (`None`: no span).
    pub(super) span_level: Option<Level>,
    /// Its metrics, unless the app turned them off.
    pub(super) metrics: Option<Arc<SubscriberMetrics>>,
    /// For a subscriber with publishers: where its results go.
    pub(super) finishing: Option<Finishing>,
    /// For a stream subscriber whose consumer has a `max_deliver`: reports the
    /// server's advisories while the subscriber runs.
    pub(super) _max_deliveries: Option<MaxDeliveriesWatch>,
}

impl Consumer {
    /// Spawns the consume loop calling `service`; it ends with the number of received
    /// messages it left unhandled because the app gave up waiting for them. Results
    /// are published before the ack policy settles their messages.
    pub(crate) fn spawn<D: Dispatch>(mut self, service: D) -> JoinHandle<u64> {
        match (self.acking.take(), self.finishing.take()) {
            (None, None) => tokio::spawn(consume(self, service)),
            (Some(acking), None) => tokio::spawn(consume(self, acking.around(service))),
            (None, Some(finishing)) => tokio::spawn(consume(self, finishing.around(service))),
            (Some(acking), Some(finishing)) => {
                tokio::spawn(consume(self, acking.around(finishing.around(service))))
            }
        }
    }
}

/// The app asked subscribers to stop: the loop drains its subscription, then handles
/// what was received before it.
struct StopRequested;

async fn consume<D: Dispatch>(consumer: Consumer, mut service: D) -> u64 {
    let Consumer {
        mut incoming,
        broker,
        name,
        workers,
        mut stop,
        give_up,
        lanes,
        acking: _,
        finishing: _,
        span_level,
        metrics,
        // Held until the loop ends.
        _max_deliveries: _advisories,
    } = consumer;
    let mut metrics = metrics.map(LoopMetrics::new);
    let max_workers = workers.max();
    // Handlers that were cut off in spawned workers.
    let cut_off = Arc::new(AtomicU64::new(0));
    // Received messages this loop left unhandled.
    let mut abandoned = 0;
    // The replies this loop sends one at a time share one box (a reply's send future is
    // over a kilobyte, and allocating that much per request took malloc's slow path).
    let mut sending = ReplySlot::default();
    // Registered with the stop signal once, not again for every wait: a subscriber that
    // keeps up with its messages waits for nearly every one of them.
    let mut stop_requested = pin!(wait_for_stop(stop.clone()));
    let mut given_up = pin!(wait_for_stop(give_up.clone()));
    let mut draining = false;
    // Messages taken since the loop last waited or yielded.
    let mut taken = 0;
    // A stop requested before the loop started counts as a change.
    stop.mark_changed();
    'messages: loop {
        // Before the next message is taken, so that no message is kept across this await.
        if taken == MESSAGES_PER_TURN {
            taken = 0;
            flush(&mut metrics);
            tokio::task::yield_now().await;
        }
        // Each arm hands the message straight to `message`: a message is 128 bytes, and
        // every intermediate enum around it is one more copy.
        let message = 'next: {
            if draining {
                let next = unless(pin!(incoming.next()), given_up.as_mut()).await;
                match next {
                    Some(Some(message)) => break 'next message,
                    Some(None) => break 'messages,
                    None => {
                        abandoned += count_ready(&mut incoming);
                        break 'messages;
                    }
                }
            }
            if !stop_signalled(&mut stop) {
                match incoming.try_next() {
                    Poll::Ready(Some(message)) => break 'next message,
                    Poll::Ready(None) => break 'messages,
                    Poll::Pending => {
                        taken = 0;
                        flush(&mut metrics);
                        // Never polled once it has completed: that returns
                        // `StopRequested`, and a draining loop does not come back here.
                        match wait_next(&mut incoming, stop_requested.as_mut()).await {
                            Ok(Some(message)) => break 'next message,
                            Ok(None) => break 'messages,
                            Err(StopRequested) => {}
                        }
                    }
                }
            }
            // Graceful drain: no new messages, but those already received are handled.
            draining = true;
            let drained = unless(pin!(incoming.drain()), given_up.as_mut()).await;
            match drained {
                Some(Ok(())) => {}
                Some(Err(error)) => {
                    tracing::warn!(handler = %name, %error, "could not drain the subscription");
                }
                None => {
                    abandoned += count_ready(&mut incoming);
                    break 'messages;
                }
            }
            continue 'messages;
        };
        taken += 1;
        if let Some(metrics) = &mut metrics {
            metrics.received();
        }
        // Per message, only the handler's future and small ones are built here: a
        // nested future is moved whole into this loop's state, and moves of large
        // values are `memcpy` calls.
        let remote = TraceContext::of(&message);
        let span = message_span(span_level, &name, message.subject(), remote);
        // This hop's context: what the handler sends names it as the parent.
        let trace = remote.map(TraceContext::child);
        let correlation = message.handled_id();
        let ready = pin!(poll_fn(|cx| service.poll_ready(cx)));
        if let Err(error) = counted_if_waiting(ready, &mut metrics).await {
            if let Some(metrics) = &mut metrics {
                let handling = metrics.start();
                metrics.finish(handling, false);
            }
            if let Some(reply) = message.settle(&name, Err(error)) {
                flush_counts(&mut metrics);
                sending.send(reply, &broker, &name).await;
            }
        } else if max_workers == 1 {
            let mut in_place = service.begin(message);
            let handling = metrics.as_mut().map(LoopMetrics::start);
            // Built in place and polled where it is: handler futures are large.
            let result = {
                let handler = pin!(service.call_in_place(&mut in_place));
                let handled = pin!(run(handler, &span, trace, correlation));
                unless(
                    pin!(counted_if_waiting(handled, &mut metrics)),
                    given_up.as_mut(),
                )
                .await
            };
            let Some(result) = result else {
                abandoned += 1 + count_ready(&mut incoming);
                break;
            };
            if let (Some(metrics), Some(handling)) = (&mut metrics, handling) {
                metrics.finish(handling, result.is_ok());
            }
            if let Some(reply) = in_place.settle(&name, result) {
                // A requester that has its reply finds its request counted.
                flush_counts(&mut metrics);
                sending.send(reply, &broker, &name).await;
            }
        } else if let Some(permit) = counted_if_waiting(pin!(workers.slot()), &mut metrics).await {
            let outcome = Outcome::of(&message);
            let key = lanes
                .as_ref()
                .map(|lanes| Box::<str>::from(lanes.key_of(&message)));
            let future = service.call(message);
            let (broker, name) = (broker.clone(), Arc::clone(&name));
            let (give_up, cut_off) = (give_up.clone(), Arc::clone(&cut_off));
            let metrics = metrics.as_ref().map(|metrics| Arc::clone(metrics.shared()));
            let job = async move {
                let given_up = pin!(wait_for_stop(give_up));
                let handling = metrics.as_ref().map(|metrics| metrics.start());
                match unless(pin!(run(pin!(future), &span, trace, correlation)), given_up).await {
                    Some(result) => {
                        if let (Some(metrics), Some(handling)) = (&metrics, handling) {
                            metrics.finish(handling, result.is_ok());
                        }
                        if let Some(reply) = outcome.settle(&name, result) {
                            Box::pin(reply.send(&broker, &name)).await;
                        }
                    }
                    None => {
                        cut_off.fetch_add(1, Ordering::Relaxed);
                    }
                }
                drop(permit);
            };
            match lanes.as_ref().zip(key) {
                Some((lanes, key)) => lanes.run(key, Box::pin(job)),
                None => {
                    tokio::spawn(job);
                }
            }
        }
    }
    flush(&mut metrics);
    workers.idle().await;
    let abandoned = abandoned + cut_off.load(Ordering::Relaxed);
    if abandoned > 0 {
        tracing::warn!(handler = %name, abandoned, "graceful timeout: received messages left unhandled");
    }
    abandoned
}

/// How many messages that are already there the consume loop handles before it yields
/// to the scheduler.
///
/// Tokio's cooperative budget would make it yield after 128: a received message counts
/// as one operation. When the worker has nothing else to run, each of those yields
/// polls the IO driver and wakes another worker, a large share of a message's cost
/// (see docs/PERFORMANCE.md). So messages that are there are taken outside the
/// budget ([`Incoming::try_next`]), and the loop yields itself, less often. A handler's own
/// awaits still count against the budget, and a loop that waits for a message yields
/// anyway.
const MESSAGES_PER_TURN: u32 = 512;

/// `work` (a handler, a worker slot, a service getting ready), the loop's counts handed
/// to the recorder if it has to wait: nothing counted stays behind while it waits.
fn counted_if_waiting<'a, T>(
    mut work: Pin<&'a mut impl Future<Output = T>>,
    metrics: &'a mut Option<LoopMetrics>,
) -> impl Future<Output = T> + 'a {
    let mut first = true;
    poll_fn(move |cx| {
        let poll = work.as_mut().poll(cx);
        if poll.is_pending()
            && std::mem::take(&mut first)
            && let Some(metrics) = metrics
        {
            metrics.flush_counts();
        }
        poll
    })
}

/// Hands the loop's counts, if it has metrics, to the recorder, ending its run in flight.
fn flush(metrics: &mut Option<LoopMetrics>) {
    if let Some(metrics) = metrics {
        metrics.flush();
    }
}

/// Hands the loop's counts, if it has metrics, to the recorder.
fn flush_counts(metrics: &mut Option<LoopMetrics>) {
    if let Some(metrics) = metrics {
        metrics.flush_counts();
    }
}

/// Whether the app asked subscribers to stop: an atomic load unless the signal changed.
#[inline]
fn stop_signalled(stop: &mut watch::Receiver<bool>) -> bool {
    match stop.has_changed() {
        Ok(false) => false,
        Ok(true) => *stop.borrow_and_update(),
        Err(_) => true,
    }
}

/// `work`'s output, or `None` once `given_up` completes first. `work` is polled first:
/// work that is done at once never looks at the signal.
fn unless<'a, T>(
    mut work: Pin<&'a mut impl Future<Output = T>>,
    mut given_up: Pin<&'a mut impl Future<Output = ()>>,
) -> impl Future<Output = Option<T>> + 'a {
    poll_fn(move |cx| {
        if let Poll::Ready(done) = work.as_mut().poll(cx) {
            return Poll::Ready(Some(done));
        }
        given_up.as_mut().poll(cx).map(|()| None)
    })
}

/// How many messages are there to take without waiting: those a loop that gives up
/// leaves unhandled.
fn count_ready(incoming: &mut Incoming) -> u64 {
    let mut count = 0;
    while let Poll::Ready(Some(_)) = incoming.try_next() {
        count += 1;
    }
    count
}

/// Waits for the next message or the stop signal, whichever comes first.
async fn wait_next(
    incoming: &mut Incoming,
    stop_requested: Pin<&mut impl Future>,
) -> Result<Option<Message>, StopRequested> {
    tokio::select! {
        biased;
        next = incoming.next() => Ok(next),
        _ = stop_requested => Err(StopRequested),
    }
}

/// Completes once the signal is set (the app asks subscribers to stop, or gives up on
/// them), or its app is gone.
async fn wait_for_stop(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// The handler's result: its future polled where it is (not moved), inside the
/// message's span, trace context and correlation id, a panic turned into [`Error::Panic`]. Errors stay boxed, as the
/// service returns them, until [`Settle::settle`](super::outcome::Settle::settle) needs
/// one: a handled message's result is passed on as it is.
fn run<'a, F>(
    mut future: Pin<&'a mut F>,
    span: &'a Span,
    trace: Option<TraceContext>,
    mut correlation: Option<HandledId>,
) -> impl Future<Output = Result<Reply, BoxError>> + 'a
where
    F: Future<Output = Result<Reply, BoxError>>,
{
    poll_fn(move |cx| {
        let _entered = span.enter();
        let _traced = trace::Entered::enter(trace);
        let _correlated = Handled::enter(&mut correlation);
        poll_caught(future.as_mut(), cx)
    })
}

/// Polls a handler's `future` where it is pinned, a panic in it turned into
/// [`Error::Panic`].
#[inline(always)]
pub(super) fn poll_caught<F>(
    future: Pin<&mut F>,
    cx: &mut Context<'_>,
) -> Poll<Result<Reply, BoxError>>
where
    F: Future<Output = Result<Reply, BoxError>>,
{
    match panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
        Ok(poll) => poll,
        Err(panic) => Poll::Ready(Err(Error::Panic {
            message: panic_message(panic.as_ref()),
        }
        .into())),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}
