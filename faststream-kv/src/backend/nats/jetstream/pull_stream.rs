//! A subscriber's pulls on a NATS server, as nats.go's `Consume` makes them: requests
//! that wait on the server with idle heartbeats, answered on one inbox, each message
//! taken as it arrives. The server says how much of an ended request it did not deliver
//! (`Nats-Pending-Messages`), so the count of what is outstanding stays exact; requests
//! lost with the connection, or whose heartbeats stopped, are given up at once on a new
//! inbox, so that they are asked for again rather than waited out.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_nats::jetstream::consumer::pull::BatchConfig;
use async_nats::{StatusCode, Subject, Subscriber};
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use tokio::time::{Instant, Sleep};

use super::consumer::Shared;
use crate::backend::nats::sessions::Sessions;
use crate::error::{BoxError, Error, NatsOperation};
use crate::jetstream::JsMessage;
use crate::jetstream::store::{Pulled, Pulls};

/// The header of an ended request's status: how many of its messages it did not
/// deliver.
const PENDING_MESSAGES: &str = "Nats-Pending-Messages";
/// How long the server may be quiet before a drain takes its requests for done.
const END_QUIET: Duration = Duration::from_millis(50);
/// nats.go's cap on a pull's idle heartbeat.
const MAX_HEARTBEAT: Duration = Duration::from_secs(30);
/// Heartbeat periods without a word from the server after which its requests are
/// taken for lost (nats.go waits for two missed heartbeats).
const QUIET_PERIODS: u32 = 2;

pub(super) struct NatsPulls {
    shared: Arc<Shared>,
    client: async_nats::Client,
    /// `<api prefix>.CONSUMER.MSG.NEXT.<stream>.<consumer>`.
    next: Subject,
    sessions: Sessions,
    /// The connection's session the requests were sent in.
    session: u64,
    /// Wakes the subscriber when that session ends (polled only before it waits).
    session_ended: BoxFuture<'static, ()>,
    inbox: Inbox,
    /// Requests not sent yet: `(batch, expires)`.
    queued: VecDeque<(usize, Duration)>,
    sending: Option<BoxFuture<'static, Result<(), BoxError>>>,
    outstanding: usize,
    watchdog: Watchdog,
}

enum Inbox {
    /// None subscribed: none was needed yet, or the last one's requests were given up.
    None,
    Subscribing(Subject, BoxFuture<'static, Result<Subscriber, BoxError>>),
    Ready(Subject, Subscriber),
}

/// Notices when the server has said nothing for [`QUIET_PERIODS`] heartbeats while
/// requests wait. It counts what arrives instead of restarting a timer per message.
struct Watchdog {
    period: Duration,
    timer: Pin<Box<Sleep>>,
    armed: bool,
    heard: bool,
    quiet: u32,
}

impl NatsPulls {
    pub(super) fn new(
        shared: Arc<Shared>,
        client: async_nats::Client,
        next: Subject,
        sessions: Sessions,
    ) -> Self {
        let session = sessions.current();
        Self {
            shared,
            client,
            next,
            session_ended: Box::pin(sessions.ended(session)),
            sessions,
            session,
            inbox: Inbox::None,
            queued: VecDeque::new(),
            sending: None,
            outstanding: 0,
            watchdog: Watchdog {
                period: MAX_HEARTBEAT,
                timer: Box::pin(tokio::time::sleep(MAX_HEARTBEAT)),
                armed: false,
                heard: false,
                quiet: 0,
            },
        }
    }

    /// Gives up every request: none is outstanding, the inbox is let go (so that the
    /// server drops what still waits on it), and what reached it and was not taken is
    /// handed back.
    fn give_up(&mut self) {
        self.outstanding = 0;
        self.queued.clear();
        self.sending = None;
        self.watchdog.armed = false;
        if let Inbox::Ready(_, mut subscription) = std::mem::replace(&mut self.inbox, Inbox::None) {
            let mut left = Vec::new();
            while let Some(Some(message)) = subscription.next().now_or_never() {
                if message.status.is_none() {
                    left.extend(self.shared.delivered(message));
                }
            }
            if !left.is_empty() {
                let name: Arc<str> = self.shared.name().into();
                tokio::spawn(async move { JsMessage::nak_unhandled(&name, left).await });
            }
        }
    }

    fn failed(&mut self, error: Error) -> Poll<Pulled> {
        self.give_up();
        Poll::Ready(Pulled::Failed(error))
    }

    fn lost(&mut self) -> Poll<Pulled> {
        self.give_up();
        Poll::Ready(Pulled::Lost)
    }

    /// Subscribes an inbox when there is a request to send on it.
    fn poll_inbox(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if matches!(self.inbox, Inbox::None) {
            if self.queued.is_empty() {
                return Poll::Pending;
            }
            let subject: Subject = self.client.new_inbox().into();
            let (client, on) = (self.client.clone(), subject.clone());
            let subscribing = async move { Ok(client.subscribe(on).await?) }.boxed();
            self.inbox = Inbox::Subscribing(subject, subscribing);
        }
        if let Inbox::Subscribing(subject, subscribing) = &mut self.inbox {
            match subscribing.poll_unpin(cx) {
                Poll::Ready(Ok(subscription)) => {
                    self.inbox = Inbox::Ready(subject.clone(), subscription);
                }
                Poll::Ready(Err(error)) => {
                    self.inbox = Inbox::None;
                    return Poll::Ready(Err(self.shared.error(NatsOperation::Subscribe, error)));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Sends the queued requests, one after the other.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        loop {
            if let Some(sending) = &mut self.sending {
                match sending.poll_unpin(cx) {
                    Poll::Ready(Ok(())) => self.sending = None,
                    Poll::Ready(Err(error)) => {
                        return Poll::Ready(Err(self
                            .shared
                            .error(NatsOperation::ConsumerFetch, error)));
                    }
                    Poll::Pending => return Poll::Pending,
                }
            }
            let Inbox::Ready(inbox, _) = &self.inbox else {
                return Poll::Pending;
            };
            let Some((batch, expires)) = self.queued.pop_front() else {
                return Poll::Ready(Ok(()));
            };
            let heartbeat = (expires / 2).min(MAX_HEARTBEAT);
            self.watchdog.arm(heartbeat);
            let request = BatchConfig {
                batch,
                expires: Some(expires),
                idle_heartbeat: heartbeat,
                ..BatchConfig::default()
            };
            let (client, next, inbox) = (self.client.clone(), self.next.clone(), inbox.clone());
            self.sending = Some(
                async move {
                    let payload = serde_json::to_vec(&request)?;
                    client
                        .publish_with_reply(next, inbox, payload.into())
                        .await?;
                    Ok(())
                }
                .boxed(),
            );
        }
    }
}

impl Pulls for NatsPulls {
    fn request(&mut self, batch: usize, expires: Duration) {
        self.outstanding += batch;
        self.queued.push_back((batch, expires));
    }

    fn outstanding(&self) -> usize {
        self.outstanding
    }

    fn poll_pulled(&mut self, cx: &mut Context<'_>) -> Poll<Pulled> {
        if self.session_changed() {
            return self.lost();
        }
        if !self.queued.is_empty() || self.sending.is_some() {
            if let Poll::Ready(Err(error)) = self.poll_inbox(cx) {
                return self.failed(error);
            }
            if let Poll::Ready(Err(error)) = self.poll_send(cx) {
                return self.failed(error);
            }
        }
        if let Inbox::Ready(_, subscription) = &mut self.inbox {
            loop {
                let message = match subscription.poll_next_unpin(cx) {
                    Poll::Ready(Some(message)) => message,
                    Poll::Ready(None) => return self.lost(),
                    Poll::Pending => break,
                };
                self.watchdog.heard = true;
                match message.status {
                    None | Some(StatusCode::OK) => {
                        self.outstanding = self.outstanding.saturating_sub(1);
                        if let Some(delivered) = self.shared.delivered(message) {
                            return Poll::Ready(Pulled::Message(delivered));
                        }
                    }
                    Some(StatusCode::IDLE_HEARTBEAT) => {}
                    Some(status) => {
                        if let Some(undelivered) = pending_messages(&message) {
                            self.outstanding = self.outstanding.saturating_sub(undelivered);
                        } else {
                            return self.failed(self.refusal(status, message.description));
                        }
                    }
                }
            }
        }
        // Nothing more now: wake up when the session ends, or the server goes quiet.
        if self.session_ended.poll_unpin(cx).is_ready() && self.session_changed() {
            return self.lost();
        }
        if self.outstanding == 0 {
            self.watchdog.armed = false;
        } else if self.watchdog.armed && self.watchdog.poll_silence(cx).is_ready() {
            tracing::debug!(consumer = %self.shared.name(), "pull heartbeats stopped: asking again");
            return self.lost();
        }
        Poll::Pending
    }

    fn end(&mut self) -> BoxFuture<'_, Vec<JsMessage>> {
        self.queued.clear();
        self.sending = None;
        self.watchdog.armed = false;
        let inbox = std::mem::replace(&mut self.inbox, Inbox::None);
        let bound = self.shared.bound();
        Box::pin(async move {
            let Inbox::Ready(_, mut subscription) = inbox else {
                self.outstanding = 0;
                return Vec::new();
            };
            let mut left = Vec::new();
            let mut take =
                |message: async_nats::Message, outstanding: &mut usize| match message.status {
                    None | Some(StatusCode::OK) => {
                        *outstanding = outstanding.saturating_sub(1);
                        left.extend(self.shared.delivered(message));
                    }
                    _ => {
                        if let Some(undelivered) = pending_messages(&message) {
                            *outstanding = outstanding.saturating_sub(undelivered);
                        }
                    }
                };
            let mut outstanding = std::mem::take(&mut self.outstanding);
            let _ = tokio::time::timeout(bound, async {
                // The server hands a request's messages to its delivery in one go, but
                // they reach the connection on their own path: an unsubscribe (and the
                // ping of a drain) may overtake them, and the client would drop them.
                // So the requests are read until they are filled or the server has been
                // quiet for a moment, then let go.
                while outstanding > 0 {
                    match tokio::time::timeout(END_QUIET, subscription.next()).await {
                        Ok(Some(message)) => take(message, &mut outstanding),
                        Ok(None) | Err(_) => break,
                    }
                }
                // Once the server has the unsubscribe it delivers nothing more to the
                // requests (it delivers only to a reply subject someone listens on); a
                // drain keeps the subscription until the server answered a ping sent
                // after it, so that what the server sent before still reaches it.
                if subscription.drain().await.is_ok() {
                    while let Some(message) = subscription.next().await {
                        take(message, &mut outstanding);
                    }
                }
            })
            .await;
            left
        })
    }
}

impl NatsPulls {
    /// Whether the connection's session changed with requests outstanding (which are
    /// lost then); watches the new session.
    fn session_changed(&mut self) -> bool {
        let session = self.sessions.current();
        if session == self.session {
            return false;
        }
        self.session = session;
        self.session_ended = Box::pin(self.sessions.ended(session));
        self.outstanding > 0
    }

    /// A status that ended a request without saying what it left: the consumer is
    /// gone, nobody answers its pulls (JetStream not ready, or the consumer or its
    /// stream deleted), or the request was refused.
    fn refusal(&self, status: StatusCode, description: Option<String>) -> Error {
        let description = description.unwrap_or_default();
        if status == StatusCode::NO_RESPONDERS {
            return self
                .shared
                .error(NatsOperation::ConsumerFetch, NoResponders);
        }
        if status == StatusCode::REQUEST_TERMINATED && description == "Consumer Deleted" {
            return self.shared.not_found();
        }
        self.shared.error(
            NatsOperation::ConsumerFetch,
            PullRefused {
                status: status.as_u16(),
                description,
            },
        )
    }
}

/// What an ended request says it did not deliver.
fn pending_messages(message: &async_nats::Message) -> Option<usize> {
    message
        .headers
        .as_ref()?
        .get(PENDING_MESSAGES)?
        .as_str()
        .parse()
        .ok()
}

impl Watchdog {
    /// Starts watching (again, with the latest request's heartbeat).
    fn arm(&mut self, heartbeat: Duration) {
        let period = heartbeat.max(Duration::from_millis(1));
        if !self.armed || period != self.period {
            self.period = period;
            self.timer.as_mut().reset(Instant::now() + period);
            self.quiet = 0;
            self.heard = false;
        }
        self.armed = true;
    }

    /// Ready once [`QUIET_PERIODS`] periods passed without a word from the server.
    fn poll_silence(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        while self.timer.as_mut().poll(cx).is_ready() {
            self.quiet = if std::mem::take(&mut self.heard) {
                0
            } else {
                self.quiet + 1
            };
            if self.quiet >= QUIET_PERIODS {
                self.armed = false;
                return Poll::Ready(());
            }
            let next = self.timer.deadline() + self.period;
            self.timer.as_mut().reset(next);
        }
        Poll::Pending
    }
}

/// Nobody answered a pull request.
#[derive(Debug, thiserror::Error)]
#[error("no responders: JetStream does not answer this consumer's pulls")]
struct NoResponders;

/// The server refused a pull request.
#[derive(Debug, thiserror::Error)]
#[error("pull request refused: {status} {description}")]
struct PullRefused {
    status: u16,
    description: String,
}
