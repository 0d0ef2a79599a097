//! A stream subscriber's messages: fetched from its consumer ahead of its workers, each
//! with its [`Acker`](crate::jetstream::Acker) in its extensions.
//!
//! How far ahead is bounded by time: a fetched message waits in the client while its
//! `ack_wait` runs, so beyond one message per worker the subscriber holds only what its
//! workers get through, at their average handling time, within a quarter of the
//! consumer's shortest `ack_wait` (and at most `batch`). Until a handler has finished
//! nothing is fetched beyond the workers; slow handlers keep it so, and fast ones fetch
//! the next batch while they work through the last. A failed fetch is logged and tried
//! again after a growing pause, also when the server says the consumer or its stream
//! is gone (a restarted server does until JetStream has recovered them). A drain stops
//! fetching (a fetch still waiting for messages is ended on the server) and naks what
//! was fetched and not handled, awaiting each nak, so that it is on its way before the
//! connection closes and the next instance gets those messages at once. Once the
//! connection was lost, what was fetched before is nak'd instead of handled: a server
//! that restarted in between may not know it delivered them, and would leave their
//! acknowledgements unanswered (it redelivers them after `ack_wait` either way).

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{FutureExt, Stream};

use super::handling_time::HandlingTime;
use crate::error::{Error, Result};
use crate::jetstream::{Consumer, HandedOut, JsMessage};
use crate::message::Message;

/// The first pause after a failed fetch; it doubles up to [`MAX_FETCH_RETRY`].
const FETCH_RETRY: Duration = Duration::from_millis(100);
const MAX_FETCH_RETRY: Duration = Duration::from_secs(5);
/// How long a drain lets a fetch under way finish before it ends the fetch's pulls.
const FETCH_GRACE: Duration = Duration::from_millis(100);

/// How a stream subscriber fetches.
pub(crate) struct Fetching {
    pub(crate) consumer: Consumer,
    pub(crate) max_workers: usize,
    /// The most fetched at once, and held beyond the workers.
    pub(crate) batch: usize,
    pub(crate) max_wait: Duration,
    /// The consumer's shortest `ack_wait`.
    pub(crate) ack_wait: Duration,
    /// The handlers' average duration.
    pub(crate) handling: HandlingTime,
    /// Whether a message dropped unsettled is nak'd (not for manual acks).
    pub(crate) nak_when_dropped: bool,
    pub(crate) name: Arc<str>,
}

pub(crate) struct Fetched {
    fetching: Fetching,
    buffer: VecDeque<JsMessage>,
    /// The connection's session the buffered messages came in.
    session: u64,
    /// Messages handed to the consume loop whose `Acker` still lives.
    handed_out: Arc<HandedOut>,
    /// A quarter of `ack_wait` times the workers, in nanoseconds: divided by the
    /// average handling time, how many messages may wait beyond the workers.
    ahead_budget: u64,
    /// A fetch under way, and the session it started in.
    fetch: Option<BoxFuture<'static, (u64, Result<Vec<JsMessage>>)>>,
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
            fetching,
            buffer: VecDeque::new(),
            handed_out: Arc::default(),
            fetch: None,
            pause: None,
            backoff: Duration::ZERO,
            ended: false,
        }
    }

    /// Stops fetching; naks what was fetched and not handled. A fetch under way gets a
    /// moment to finish (a no-wait pull is answered at once); one still waiting for
    /// messages is dropped, and its pull ended on the server with what it already
    /// delivered taken back, so that a drain does not wait out `max_wait`.
    pub(crate) async fn drain(&mut self) {
        self.ended = true;
        if let Some(fetch) = self.fetch.take() {
            match tokio::time::timeout(FETCH_GRACE, fetch).await {
                Ok((_, Ok(messages))) => self.buffer.extend(messages),
                Ok((_, Err(_))) => {}
                Err(_waiting) => {
                    let left = self.fetching.consumer.end_pulls().await;
                    self.buffer.extend(left);
                }
            }
        }
        JsMessage::nak_unhandled(&self.fetching.name, self.buffer.drain(..)).await;
    }

    /// A fetched message as a handler gets it.
    fn take(&self, message: JsMessage) -> Message {
        message.hand_out(Some(&self.handed_out), self.fetching.nak_when_dropped)
    }

    /// How many messages the subscriber may hold (handed out or fetched): one per
    /// worker, and what the workers get through within a quarter of `ack_wait`.
    fn capacity(&self) -> usize {
        let fetching = &self.fetching;
        let ahead = fetching.handling.average_nanos().map_or(0, |average| {
            usize::try_from(self.ahead_budget / average).unwrap_or(usize::MAX)
        });
        fetching.max_workers + ahead.min(fetching.batch)
    }

    /// The size of the next fetch, if one is due: when there is room for half of the
    /// capacity (so that the next batch comes while the last is handled), or when
    /// nothing is left to hand out and there is room at all.
    fn due(&self) -> Option<usize> {
        let held = self.handed_out.count() + self.buffer.len();
        let capacity = self.capacity();
        let room = capacity.saturating_sub(held).min(self.fetching.batch);
        let due = room > 0 && (self.buffer.is_empty() || room >= capacity.div_ceil(2));
        due.then_some(room)
    }

    /// Starts a fetch of `size` messages and polls it once, so that it is sent now.
    fn start_fetch(&mut self, size: usize, cx: &mut Context<'_>) {
        let (consumer, max_wait) = (self.fetching.consumer.clone(), self.fetching.max_wait);
        let mut fetch = async move {
            let session = consumer.session();
            (session, consumer.fetch(size, max_wait).await)
        }
        .boxed();
        match fetch.as_mut().poll(cx) {
            Poll::Ready((session, fetched)) => self.fetched(session, fetched),
            Poll::Pending => self.fetch = Some(fetch),
        }
    }

    /// Naks what was buffered in an earlier session of the connection.
    fn hand_back_stale(&mut self) {
        let session = self.fetching.consumer.session();
        if session != self.session {
            self.session = session;
            let stale: Vec<_> = self.buffer.drain(..).collect();
            self.hand_back(stale);
        }
    }

    /// Naks `stale`, delivered before the connection was lost, in the background.
    fn hand_back(&self, stale: Vec<JsMessage>) {
        if stale.is_empty() {
            return;
        }
        let name = Arc::clone(&self.fetching.name);
        tracing::warn!(handler = %name, messages = stale.len(), "connection lost: handing back what was fetched before");
        tokio::spawn(async move { JsMessage::nak_unhandled(&name, stale).await });
    }

    /// The outcome of a fetch started in `session`.
    fn fetched(&mut self, session: u64, fetched: Result<Vec<JsMessage>>) {
        self.hand_back_stale();
        match fetched {
            Ok(messages) if session != self.session => self.hand_back(messages),
            Ok(messages) => {
                self.backoff = Duration::ZERO;
                self.buffer.extend(messages);
            }
            Err(error) => {
                self.backoff = (self.backoff * 2).clamp(FETCH_RETRY, MAX_FETCH_RETRY);
                // A restarted server answers "not found" until JetStream has recovered
                // its streams: the subscriber keeps asking, louder when it may be gone.
                if matches!(
                    error,
                    Error::ConsumerNotFound { .. } | Error::StreamNotFound { .. }
                ) {
                    tracing::error!(handler = %self.fetching.name, %error, retry_in = ?self.backoff, "fetch failed");
                } else {
                    tracing::warn!(handler = %self.fetching.name, %error, retry_in = ?self.backoff, "fetch failed");
                }
                self.pause = Some(Box::pin(tokio::time::sleep(self.backoff)));
            }
        }
    }
}

impl Stream for Fetched {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let this = self.get_mut();
        loop {
            if let Some(fetch) = &mut this.fetch
                && let Poll::Ready((session, fetched)) = fetch.as_mut().poll(cx)
            {
                this.fetch = None;
                this.fetched(session, fetched);
            }
            this.hand_back_stale();
            if let Some(message) = this.buffer.pop_front() {
                let message = this.take(message);
                if this.fetch.is_none()
                    && this.pause.is_none()
                    && !this.ended
                    && let Some(size) = this.due()
                {
                    this.start_fetch(size, cx);
                }
                return Poll::Ready(Some(message));
            }
            if this.ended {
                return Poll::Ready(None);
            }
            if this.fetch.is_some() {
                return Poll::Pending;
            }
            if let Some(pause) = &mut this.pause {
                ready!(pause.as_mut().poll(cx));
                this.pause = None;
            }
            match this.due() {
                Some(size) => this.start_fetch(size, cx),
                // Every message it may hold is with a handler: wait for one to return.
                None => {
                    this.handed_out.wake_on_return(cx.waker());
                    if this.due().is_none() {
                        return Poll::Pending;
                    }
                }
            }
        }
    }
}
