//! The queue between a backend and one subscription: messages received and not yet
//! taken, bounded by the subscription's [`PendingLimits`]. A message over a limit is
//! dropped, counted, and reported as a [`ConnectionEvent::SlowConsumer`] (at most once
//! a second, with the counts since the last report). The memory broker fills it when it
//! publishes, the NATS backend from the client's subscription: both drop alike.
//!
//! A channel whose publisher and subscriber both touch a shared counter per message (as
//! tokio's mpsc does) moves that cache line between the two cores every time. When the
//! subscriber keeps up with the publisher, those transfers cost both sides more than
//! their own work, and the pair can settle in that slow state. Here the publisher
//! appends under a lock that the subscriber takes once per batch: it swaps its drained
//! buffer for everything queued, then reads alone. The subscriber counts what it took
//! on a line of its own, which the publisher reads only when the limits come near.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker, ready};
use std::time::{Duration, Instant};

use crate::backend::events::Events;
use crate::connection_event::ConnectionEvent;
use crate::message::Message;
use crate::pending::{PendingLimits, PendingStats};

/// How often a subscription's drops are reported.
const DROP_REPORTS: Duration = Duration::from_secs(1);

/// Messages each of a queue's buffers keeps room for once its subscriber has caught up
/// (128 bytes each).
const KEPT_CAPACITY: usize = 1024;

/// Who a queue belongs to, for its drop reports.
#[derive(Clone)]
pub(crate) struct Owner {
    /// The subscriber's name, or the subject of a plain subscription.
    pub(crate) label: Arc<str>,
    pub(crate) events: Events,
}

/// A new queue: its sending end (kept by the backend) and its receiving end (the
/// subscription).
pub(crate) fn queue(limits: PendingLimits, owner: Owner) -> (QueueSender, QueueReceiver) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queued: VecDeque::new(),
            waker: None,
            sender_alive: true,
            receiver_alive: true,
            limits,
            pushed: Counts::default(),
            taken_seen: Counts::default(),
            drops: Drops::default(),
        }),
        taken: Taken::default(),
        owner,
    });
    let sender = QueueSender {
        shared: Arc::clone(&shared),
    };
    let receiver = QueueReceiver {
        shared,
        batch: VecDeque::new(),
        taken: Counts::default(),
    };
    (sender, receiver)
}

struct Shared {
    state: Mutex<State>,
    taken: Taken,
    owner: Owner,
}

struct State {
    queued: VecDeque<Message>,
    /// The subscriber's, while it waits for a message.
    waker: Option<Waker>,
    sender_alive: bool,
    receiver_alive: bool,
    limits: PendingLimits,
    /// Everything queued since the start.
    pushed: Counts,
    /// What the subscriber had taken when the sender last looked.
    taken_seen: Counts,
    drops: Drops,
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    messages: u64,
    bytes: u64,
}

/// What the subscriber has taken since the start, written by it alone, on a cache line
/// of its own.
#[derive(Default)]
#[repr(align(128))]
struct Taken {
    messages: AtomicU64,
    bytes: AtomicU64,
}

impl Taken {
    fn load(&self) -> Counts {
        Counts {
            messages: self.messages.load(Ordering::Acquire),
            bytes: self.bytes.load(Ordering::Acquire),
        }
    }
}

/// Dropped messages: in total, and since the last report.
#[derive(Default)]
struct Drops {
    total: Counts,
    unreported: Counts,
    last_report: Option<Instant>,
}

impl Drops {
    /// Counts one drop; the counts to report if a report is due.
    fn record(&mut self, size: u64, now: Instant) -> Option<Counts> {
        for counts in [&mut self.total, &mut self.unreported] {
            counts.messages += 1;
            counts.bytes += size;
        }
        self.report_due(now)
    }

    /// The drops not yet reported, if there are any and the last report is a second old.
    fn report_due(&mut self, now: Instant) -> Option<Counts> {
        let due = self
            .last_report
            .is_none_or(|last| now.duration_since(last) >= DROP_REPORTS);
        if !due {
            return None;
        }
        self.take_unreported(now)
    }

    fn take_unreported(&mut self, now: Instant) -> Option<Counts> {
        if self.unreported.messages == 0 {
            return None;
        }
        self.last_report = Some(now);
        Some(std::mem::take(&mut self.unreported))
    }
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn report(&self, dropped: Counts) {
        self.owner.events.report(ConnectionEvent::SlowConsumer {
            subscription: self.owner.label.to_string(),
            dropped_messages: dropped.messages,
            dropped_bytes: dropped.bytes,
        });
    }

    fn stats(&self) -> PendingStats {
        let state = lock(self);
        let taken = self.taken.load();
        PendingStats {
            pending_messages: state.pushed.messages - taken.messages,
            pending_bytes: state.pushed.bytes - taken.bytes,
            dropped_messages: state.drops.total.messages,
            dropped_bytes: state.drops.total.bytes,
            delivered_messages: taken.messages,
        }
    }
}

impl State {
    /// Counts a message of `size` bytes as queued if it fits the limits; otherwise
    /// counts it dropped, with the counts to report if a report is due. The caller
    /// queues or drops the message itself: a message is 128 bytes, and passing it
    /// through here and back costs a copy each way.
    #[inline(always)]
    fn admit(&mut self, size: u64, taken: &Taken) -> Result<(), Option<Counts>> {
        if !self.fits(size) {
            self.taken_seen = taken.load();
            if !self.fits(size) {
                return Err(self.drops.record(size, Instant::now()));
            }
        }
        self.pushed.messages += 1;
        self.pushed.bytes += size;
        Ok(())
    }

    fn fits(&self, size: u64) -> bool {
        self.limits.admit(
            self.pushed.messages - self.taken_seen.messages,
            self.pushed.bytes - self.taken_seen.bytes,
            size,
        )
    }
}

/// The receiver is gone: nothing is queued any more.
#[derive(Debug)]
pub(crate) struct ReceiverGone;

pub(crate) struct QueueSender {
    shared: Arc<Shared>,
}

impl QueueSender {
    /// Queues `message`, or drops it when the limits are reached (a slow consumer: it
    /// counts as delivered, as on a server); gives it back if the subscription is gone.
    #[expect(
        clippy::result_large_err,
        reason = "the message goes back to the broker, which offers it to the next queue-group member; boxing it would allocate per publish"
    )]
    pub(crate) fn send(&self, message: Message) -> Result<(), Message> {
        let (waker, dropped) = {
            let mut state = lock(&self.shared);
            if !state.receiver_alive {
                return Err(message);
            }
            match state.admit(message.payload().len() as u64, &self.shared.taken) {
                Ok(()) => {
                    state.queued.push_back(message);
                    (state.waker.take(), None)
                }
                Err(report) => (None, Some((message, report))),
            }
        };
        self.after_push(waker, dropped.and_then(|(_message, report)| report));
        Ok(())
    }

    /// Queues (or drops) every message of `messages`, leaving it empty, under one lock.
    pub(crate) fn send_all(&self, messages: &mut Vec<Message>) -> Result<(), ReceiverGone> {
        let mut dropped = Vec::new();
        let mut report = None;
        let waker = {
            let mut state = lock(&self.shared);
            if !state.receiver_alive {
                messages.clear();
                return Err(ReceiverGone);
            }
            let queued_before = state.queued.len();
            for message in messages.drain(..) {
                match state.admit(message.payload().len() as u64, &self.shared.taken) {
                    Ok(()) => state.queued.push_back(message),
                    Err(due) => {
                        dropped.push(message);
                        report = due.or(report);
                    }
                }
            }
            if state.queued.len() > queued_before {
                state.waker.take()
            } else {
                None
            }
        };
        drop(dropped);
        self.after_push(waker, report);
        Ok(())
    }

    fn after_push(&self, waker: Option<Waker>, report: Option<Counts>) {
        if let Some(waker) = waker {
            waker.wake();
        }
        if let Some(dropped) = report {
            self.shared.report(dropped);
        }
    }
}

impl Drop for QueueSender {
    /// The subscription ends once it has read what is queued.
    fn drop(&mut self) {
        let waker = {
            let mut state = lock(&self.shared);
            state.sender_alive = false;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

pub(crate) struct QueueReceiver {
    shared: Arc<Shared>,
    /// Taken from the queue, not yet read.
    batch: VecDeque<Message>,
    /// What was read: the only writer of `shared.taken`.
    taken: Counts,
}

impl QueueReceiver {
    /// The next message; `None` once the sender is gone and everything was read.
    ///
    /// Counts against tokio's cooperative budget like a tokio channel: a task reading a
    /// busy subscription still lets the others run.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let progress = ready!(tokio::task::coop::poll_proceed(cx));
        let message = ready!(self.take(Some(cx.waker())));
        progress.made_progress();
        Poll::Ready(message)
    }

    /// The next message if one is there, without waiting and outside the cooperative
    /// budget: `Pending` registers nothing, so the caller waits with
    /// [`poll_recv`](Self::poll_recv).
    pub(crate) fn try_recv(&mut self) -> Poll<Option<Message>> {
        self.take(None)
    }

    #[inline]
    fn take(&mut self, waker: Option<&Waker>) -> Poll<Option<Message>> {
        if self.batch.is_empty() && !ready!(self.refill(waker)) {
            return Poll::Ready(None);
        }
        let message = self.batch.pop_front();
        if let Some(message) = &message {
            self.taken.messages += 1;
            self.taken.bytes += message.payload().len() as u64;
            let taken = &self.shared.taken;
            taken.messages.store(self.taken.messages, Ordering::Release);
            taken.bytes.store(self.taken.bytes, Ordering::Release);
        }
        Poll::Ready(message)
    }

    /// Swaps the drained batch for what is queued: `true` when that is something,
    /// `false` when the sender is gone and nothing is left, `Pending` (with `waker`
    /// registered, if given) when nothing is queued yet.
    #[cold]
    fn refill(&mut self, waker: Option<&Waker>) -> Poll<bool> {
        let mut state = lock(&self.shared);
        // The drained buffer goes back, so that both keep their capacity while messages
        // keep coming: shrinking one after every batch made it grow again (and touch
        // new pages) with the next.
        std::mem::swap(&mut state.queued, &mut self.batch);
        // Drops held back for the rate limit are reported once they are due, also when
        // no more come.
        let report = if state.drops.unreported.messages > 0 {
            state.drops.report_due(Instant::now())
        } else {
            None
        };
        let mut released = None;
        let refilled = if !self.batch.is_empty() {
            Poll::Ready(true)
        } else {
            // Caught up: neither buffer keeps what a burst made it grow to. The
            // sender's is freed outside the lock.
            if state.queued.capacity() > KEPT_CAPACITY {
                released = Some(std::mem::take(&mut state.queued));
            }
            if !state.sender_alive {
                Poll::Ready(false)
            } else {
                if let Some(waker) = waker {
                    match &mut state.waker {
                        Some(registered) if registered.will_wake(waker) => {}
                        registered => *registered = Some(waker.clone()),
                    }
                }
                Poll::Pending
            }
        };
        drop(state);
        drop(released);
        if self.batch.is_empty() {
            self.batch.shrink_to(KEPT_CAPACITY);
        }
        if let Some(dropped) = report {
            self.shared.report(dropped);
        }
        refilled
    }

    /// How many messages were received and not read, dropped and read.
    pub(crate) fn stats(&self) -> StatsHandle {
        StatsHandle(Arc::clone(&self.shared))
    }

    /// Changes the limits; messages already pending stay.
    pub(crate) fn set_limits(&self, limits: PendingLimits) {
        lock(&self.shared).limits = limits;
    }
}

impl Drop for QueueReceiver {
    /// Later messages are refused; those queued are dropped here, and drops not yet
    /// reported are.
    fn drop(&mut self) {
        let (queued, report) = {
            let mut state = lock(&self.shared);
            state.receiver_alive = false;
            state.waker = None;
            let report = state.drops.take_unreported(Instant::now());
            (std::mem::take(&mut state.queued), report)
        };
        drop(queued);
        if let Some(dropped) = report {
            self.shared.report(dropped);
        }
    }
}

/// Reads a queue's counts; outlives the queue.
#[derive(Clone)]
pub(crate) struct StatsHandle(Arc<Shared>);

impl StatsHandle {
    pub(crate) fn get(&self) -> PendingStats {
        self.0.stats()
    }

    pub(crate) fn limits(&self) -> PendingLimits {
        lock(&self.0).limits
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    use super::*;

    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn payload(received: Poll<Option<Message>>) -> Option<String> {
        match received {
            Poll::Ready(Some(message)) => Some(String::from_utf8_lossy(message.payload()).into()),
            Poll::Ready(None) => Some("<end>".into()),
            Poll::Pending => None,
        }
    }

    fn message(payload: &str) -> Message {
        Message::new("queue.test", payload.to_owned())
    }

    fn owner(events: &Events) -> Owner {
        Owner {
            label: "test-subscriber".into(),
            events: events.clone(),
        }
    }

    fn unlimited() -> (QueueSender, QueueReceiver) {
        queue(PendingLimits::UNLIMITED, owner(&Events::default()))
    }

    #[test]
    fn messages_arrive_in_order_across_batches_then_the_end() {
        let (sender, mut receiver) = unlimited();
        let woken = Arc::new(CountingWaker::default());
        let waker = Waker::from(Arc::clone(&woken));
        let mut cx = Context::from_waker(&waker);
        assert_eq!(payload(receiver.poll_recv(&mut cx)), None);
        assert!(sender.send(message("1")).is_ok());
        assert!(sender.send(message("2")).is_ok());
        assert_eq!(
            woken.0.load(Ordering::SeqCst),
            1,
            "woken by the first send only"
        );
        assert_eq!(payload(receiver.poll_recv(&mut cx)).as_deref(), Some("1"));
        assert!(sender.send(message("3")).is_ok());
        assert_eq!(payload(receiver.poll_recv(&mut cx)).as_deref(), Some("2"));
        drop(sender);
        assert_eq!(payload(receiver.poll_recv(&mut cx)).as_deref(), Some("3"));
        assert_eq!(
            payload(receiver.poll_recv(&mut cx)).as_deref(),
            Some("<end>")
        );
    }

    #[test]
    fn buffers_do_not_keep_what_a_burst_made_them_grow_to() {
        let (sender, mut receiver) = unlimited();
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..10 * KEPT_CAPACITY {
            assert!(sender.send(message("burst")).is_ok());
        }
        for _ in 0..10 * KEPT_CAPACITY {
            assert!(payload(receiver.poll_recv(&mut cx)).is_some());
        }
        assert_eq!(payload(receiver.poll_recv(&mut cx)), None);
        assert!(lock(&receiver.shared).queued.capacity() <= KEPT_CAPACITY);
        assert!(receiver.batch.capacity() <= KEPT_CAPACITY);
    }

    #[test]
    fn a_waiting_receiver_is_woken_when_the_sender_goes() {
        let (sender, mut receiver) = unlimited();
        let woken = Arc::new(CountingWaker::default());
        let waker = Waker::from(Arc::clone(&woken));
        let mut cx = Context::from_waker(&waker);
        assert_eq!(payload(receiver.poll_recv(&mut cx)), None);
        drop(sender);
        assert_eq!(woken.0.load(Ordering::SeqCst), 1);
        assert_eq!(
            payload(receiver.poll_recv(&mut cx)).as_deref(),
            Some("<end>")
        );
    }

    #[test]
    fn sends_after_the_receiver_is_gone_give_the_message_back() {
        let (sender, receiver) = unlimited();
        drop(receiver);
        let returned = sender.send(message("late")).err();
        assert_eq!(
            returned.map(|message| message.payload().clone()),
            Some("late".into())
        );
        let mut batch = vec![message("later")];
        assert!(sender.send_all(&mut batch).is_err());
        assert!(batch.is_empty());
    }

    #[test]
    fn messages_over_the_limits_are_dropped_and_counted() {
        let (sender, mut receiver) = queue(PendingLimits::new(3, 1000), owner(&Events::default()));
        let mut cx = Context::from_waker(Waker::noop());
        for index in 0..5 {
            assert!(sender.send(message(&format!("m{index}"))).is_ok());
        }
        let stats = receiver.stats().get();
        assert_eq!(
            (stats.pending_messages, stats.pending_bytes),
            (3, 6),
            "three of two bytes"
        );
        assert_eq!((stats.dropped_messages, stats.dropped_bytes), (2, 4));
        assert_eq!(payload(receiver.poll_recv(&mut cx)).as_deref(), Some("m0"));
        // Taken messages make room at once, though the receiver still holds a batch.
        assert!(sender.send(message("m5")).is_ok());
        let read: Vec<_> = std::iter::from_fn(|| payload(receiver.poll_recv(&mut cx))).collect();
        assert_eq!(read, ["m1", "m2", "m5"]);
        let stats = receiver.stats().get();
        assert_eq!((stats.pending_messages, stats.delivered_messages), (0, 4));
    }

    #[test]
    fn the_byte_limit_counts_payloads() {
        let (sender, receiver) = queue(PendingLimits::new(100, 10), owner(&Events::default()));
        assert!(sender.send(message("12345")).is_ok());
        assert!(
            sender.send(message("123456")).is_ok(),
            "would make 11 bytes"
        );
        assert!(sender.send(message("12345")).is_ok(), "exactly 10");
        let mut too_large = vec![message(&"x".repeat(11))];
        assert!(sender.send_all(&mut too_large).is_ok());
        let stats = receiver.stats().get();
        assert_eq!((stats.pending_messages, stats.pending_bytes), (2, 10));
        assert_eq!((stats.dropped_messages, stats.dropped_bytes), (2, 17));
    }

    #[test]
    fn drops_are_reported_at_once_then_summed_up_to_one_report_a_second() {
        let events = Events::default();
        let mut listener = events.subscribe();
        let (sender, receiver) = queue(PendingLimits::new(1, 1000), owner(&events));
        for _ in 0..6 {
            assert!(sender.send(message("ab")).is_ok());
        }
        let reported = |listener: &mut tokio::sync::broadcast::Receiver<ConnectionEvent>| {
            std::iter::from_fn(|| listener.try_recv().ok())
                .map(|event| match event {
                    ConnectionEvent::SlowConsumer {
                        subscription,
                        dropped_messages,
                        dropped_bytes,
                    } => (subscription, dropped_messages, dropped_bytes),
                    other => panic!("unexpected {other:?}"),
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            reported(&mut listener),
            [("test-subscriber".to_owned(), 1, 2)],
            "the first drop at once, the next four held back"
        );
        drop(receiver);
        assert_eq!(
            reported(&mut listener),
            [("test-subscriber".to_owned(), 4, 8)],
            "what was held back, when the subscription ends"
        );
    }

    #[test]
    fn raised_limits_admit_more() {
        let (sender, receiver) = queue(PendingLimits::new(1, 1000), owner(&Events::default()));
        assert!(sender.send(message("a")).is_ok());
        assert!(sender.send(message("b")).is_ok());
        receiver.set_limits(PendingLimits::new(2, 1000));
        assert!(sender.send(message("c")).is_ok());
        let stats = receiver.stats().get();
        assert_eq!((stats.pending_messages, stats.dropped_messages), (2, 1));
    }
}
