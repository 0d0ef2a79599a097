//! A stream subscriber's messages: pulled from its consumer ahead of its workers, each
//! with its [`Acker`](crate::jetstream::Acker) in its extensions.
//!
//! Pull requests wait on the server and each message they deliver is taken as it
//! arrives (see [`Pulls`]). What the subscriber asks for is bounded twice: by the
//! consumer's `max_ack_pending` (asking for more only makes requests the server cannot
//! fill), and by time: a message taken waits in the client while its `ack_wait` runs,
//! so beyond one message per worker the subscriber holds only what its workers get
//! through, at their average handling time, within a quarter of the consumer's shortest
//! `ack_wait` (and at most `batch`). Messages held, handed out or asked for never
//! exceed that; the next request goes out once half of it is free (or nothing is left
//! to hand out), so fast handlers get the next messages while they work through the
//! last.
//!
//! A stream sequence the subscriber holds is never handed out twice: a redelivery that
//! comes while a handler still has the message (its `ack_wait` ran out) is dropped,
//! and the server told that work on it goes on, so that its `ack_wait` starts again;
//! the running handler's settlement settles it.
//!
//! Requests lost with the connection, or whose heartbeats stopped, are asked for again
//! at once. A failed request is logged and tried again after a growing pause. After
//! either, the consumer is looked at, and declared again if it is gone (see
//! [`ConsumerCheck`]). A drain stops pulling (the requests waiting are ended on the
//! server) and naks what was taken and not handled, awaiting each nak, so that it is
//! on its way before the connection closes and the next instance gets those messages
//! at once. Once the connection was lost, what was taken before is nak'd instead of
//! handled: a server that restarted in between may not know it delivered them, and
//! would leave their acknowledgements unanswered (it redelivers them after `ack_wait`
//! either way).

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures::Stream;

use super::consumer_check::{Checked, ConsumerCheck};
use super::handling_time::HandlingTime;
use crate::error::Error;
use crate::jetstream::store::{Pulled, Pulls};
use crate::jetstream::{Consumer, HandedOut, JsMessage};
use crate::message::Message;

/// The first pause after a failed pull; it doubles up to [`MAX_PULL_RETRY`].
const PULL_RETRY: Duration = Duration::from_millis(100);
const MAX_PULL_RETRY: Duration = Duration::from_secs(5);

/// How a stream subscriber pulls.
pub(crate) struct Fetching {
    pub(crate) consumer: Consumer,
    pub(crate) max_workers: usize,
    /// The most asked for at once, and held beyond the workers.
    pub(crate) batch: usize,
    /// How long a pull request waits on the server.
    pub(crate) max_wait: Duration,
    /// The consumer's shortest `ack_wait`.
    pub(crate) ack_wait: Duration,
    /// The consumer's `max_ack_pending`.
    pub(crate) max_ack_pending: usize,
    /// The handlers' average duration.
    pub(crate) handling: HandlingTime,
    /// Whether a message dropped unsettled is nak'd (not for manual acks).
    pub(crate) nak_when_dropped: bool,
    pub(crate) name: Arc<str>,
    /// Looks at the consumer after a failed or lost pull.
    pub(crate) check: ConsumerCheck<Consumer>,
}

pub(crate) struct Fetched {
    fetching: Fetching,
    pulls: Box<dyn Pulls>,
    /// Taken in, not handed out yet.
    buffer: VecDeque<JsMessage>,
    /// The connection's session the buffered messages came in.
    session: u64,
    /// Messages handed to the consume loop whose `Acker` still lives, and the
    /// sequences held.
    handed_out: Arc<HandedOut>,
    /// A quarter of `ack_wait` times the workers, in nanoseconds: divided by the
    /// average handling time, how many messages may wait beyond the workers.
    ahead_budget: u64,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
    backoff: Duration,
    ended: bool,
}

impl Fetched {
    pub(crate) fn new(fetching: Fetching) -> Self {
        let quarter = u64::try_from(fetching.ack_wait.as_nanos() / 4).unwrap_or(u64::MAX);
        let workers = u64::try_from(fetching.max_workers).unwrap_or(u64::MAX);
        Self {
            ahead_budget: quarter.saturating_mul(workers),
            session: fetching.consumer.session(),
            pulls: fetching.consumer.pulls(),
            fetching,
            buffer: VecDeque::new(),
            handed_out: Arc::default(),
            pause: None,
            backoff: Duration::ZERO,
            ended: false,
        }
    }

    /// Looks at the consumer, unless the subscriber is stopping.
    fn check_consumer(&mut self) {
        if !self.ended {
            self.fetching.check.start(&self.fetching.consumer);
        }
    }

    fn redeclared(&mut self, consumer: Consumer) {
        self.pulls = consumer.pulls();
        self.fetching.consumer = consumer;
        self.backoff = Duration::ZERO;
        self.pause = None;
    }

    /// Stops pulling: the requests waiting on the server are ended, and what was taken
    /// and not handled is nak'd.
    pub(crate) async fn drain(&mut self) {
        self.ended = true;
        let left = self.pulls.end().await;
        for mut message in left {
            if message.hold(&self.handed_out) {
                self.buffer.push_back(message);
            }
        }
        JsMessage::nak_unhandled(&self.fetching.name, self.buffer.drain(..)).await;
    }

    /// A taken message as a handler gets it.
    fn take(&self, message: JsMessage) -> Message {
        message.hand_out(Some(&self.handed_out), self.fetching.nak_when_dropped)
    }

    /// How many messages the subscriber may hold (handed out, taken or asked for): one
    /// per worker, and what the workers get through within a quarter of `ack_wait`;
    /// never more than the consumer lets be unacknowledged.
    fn capacity(&self) -> usize {
        let fetching = &self.fetching;
        let ahead = fetching.handling.average_nanos().map_or(0, |average| {
            usize::try_from(self.ahead_budget / average).unwrap_or(usize::MAX)
        });
        (fetching.max_workers + ahead.min(fetching.batch)).min(fetching.max_ack_pending)
    }

    /// The size of the next request, if one is due: when half of the capacity is free
    /// (so that the next messages come while the last are handled), or when nothing is
    /// left to hand out nor asked for and there is room at all.
    fn due(&self) -> Option<usize> {
        let held = self.handed_out.count() + self.buffer.len() + self.pulls.outstanding();
        let capacity = self.capacity();
        let room = capacity.saturating_sub(held).min(self.fetching.batch);
        let idle = self.buffer.is_empty() && self.pulls.outstanding() == 0;
        let due = room > 0 && (idle || room >= capacity.div_ceil(2));
        due.then_some(room)
    }

    /// Asks for more if it is due; `true` if it did.
    fn request_if_due(&mut self) -> bool {
        if self.ended || self.pause.is_some() {
            return false;
        }
        match self.due() {
            Some(size) => {
                self.pulls.request(size, self.fetching.max_wait);
                true
            }
            None => false,
        }
    }

    /// Takes in what the pulls brought; `false` once they have nothing more now.
    fn take_in(&mut self, cx: &mut Context<'_>) -> bool {
        match self.pulls.poll_pulled(cx) {
            Poll::Ready(Pulled::Message(message)) => self.arrived(message),
            // Asked for again at once, by the caller.
            Poll::Ready(Pulled::Lost) => self.check_consumer(),
            Poll::Ready(Pulled::Failed(error)) => {
                self.failed(&error);
                self.check_consumer();
            }
            Poll::Pending => return false,
        }
        true
    }

    fn arrived(&mut self, mut message: JsMessage) {
        if message.hold(&self.handed_out) {
            self.backoff = Duration::ZERO;
            self.buffer.push_back(message);
            return;
        }
        // A redelivery while a handler still has the message: that handler goes on.
        let stream_sequence = message.info().stream_sequence;
        tracing::debug!(handler = %self.fetching.name, stream_sequence, "redelivered while being handled: left to the running handler");
        tokio::spawn(async move {
            if let Err(error) = message.in_progress().await {
                tracing::debug!(%error, "could not say that a message is in progress");
            }
        });
    }

    fn failed(&mut self, error: &Error) {
        self.backoff = (self.backoff * 2).clamp(PULL_RETRY, MAX_PULL_RETRY);
        // A restarted server answers "not found" until JetStream has recovered its
        // streams: the subscriber keeps asking, louder when it may be gone.
        if matches!(
            error,
            Error::ConsumerNotFound { .. } | Error::StreamNotFound { .. }
        ) {
            tracing::error!(handler = %self.fetching.name, %error, retry_in = ?self.backoff, "pull failed");
        } else {
            tracing::warn!(handler = %self.fetching.name, %error, retry_in = ?self.backoff, "pull failed");
        }
        self.pause = Some(Box::pin(tokio::time::sleep(self.backoff)));
    }

    /// Naks what was taken in an earlier session of the connection.
    fn hand_back_stale(&mut self) {
        let session = self.fetching.consumer.session();
        if session == self.session {
            return;
        }
        self.session = session;
        if self.buffer.is_empty() {
            return;
        }
        let stale: Vec<_> = self.buffer.drain(..).collect();
        let name = Arc::clone(&self.fetching.name);
        tracing::warn!(handler = %name, messages = stale.len(), "connection lost: handing back what was taken before");
        tokio::spawn(async move { JsMessage::nak_unhandled(&name, stale).await });
    }
}

impl Stream for Fetched {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let this = self.get_mut();
        loop {
            this.hand_back_stale();
            // What the pulls brought waits in them until there is nothing else to hand
            // out: it counts as outstanding meanwhile.
            while this.buffer.is_empty() && this.take_in(cx) {}
            if let Some(message) = this.buffer.pop_front() {
                let message = this.take(message);
                if this.request_if_due() {
                    // Sent now, not when the loop comes back.
                    while this.take_in(cx) {}
                }
                return Poll::Ready(Some(message));
            }
            if this.ended {
                return Poll::Ready(None);
            }
            if let Poll::Ready(Checked::Redeclared(consumer)) = this.fetching.check.poll(cx) {
                this.redeclared(consumer);
            }
            if let Some(pause) = &mut this.pause {
                ready!(pause.as_mut().poll(cx));
                this.pause = None;
            }
            if this.request_if_due() {
                continue;
            }
            // Everything it may hold is held: wait for a message to come back (or for
            // the pulls to bring one, which registered this task above).
            this.handed_out.wake_on_return(cx.waker());
            if this.due().is_none() {
                return Poll::Pending;
            }
        }
    }
}
