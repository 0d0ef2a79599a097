//! An ordered push consumer (ADR-17): a stream's messages from a start, each exactly
//! once and in order, through restarts, reconnects and leader elections. Whenever the
//! consumer may have lost its place (a gap in its sequence, a heartbeat that says it
//! delivered more than arrived, silence, a new stream leader) it is replaced by one
//! starting after the last message delivered.
//!
//! Ours rather than async-nats's, which waits ten seconds for missed heartbeats and
//! then up to ten seconds between attempts to recreate, and clones its JetStream context
//! into every message; a watch must come back within seconds of a failover.

use std::pin::Pin;
use std::time::Duration;

use async_nats::jetstream::consumer::push::Config;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, ReplayPolicy};
use async_nats::jetstream::stream::Stream as JetStream;
use async_nats::{Client, Message, StatusCode, Subscriber};
use futures::StreamExt;
use tokio::time::{Instant, Sleep};

use super::ack_subject::Delivered;
use super::error::{is_stream_not_found, nats_error};
use crate::error::{NatsOperation, Result};

/// How often the server tells an idle consumer's subscriber that it is still there.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// How long a consumer may send nothing at all (not even a heartbeat) before it counts
/// as lost.
const SILENCE: Duration = Duration::from_secs(3);
/// How often [`OrderedConsumer::next`] tells a caller that asked for it that no message
/// came.
const QUIET: Duration = Duration::from_millis(500);
/// The bound of one attempt to create the consumer.
const CREATE_BOUND: Duration = Duration::from_secs(2);
/// How long the server keeps a consumer whose subscriber went away.
const INACTIVE_THRESHOLD: Duration = Duration::from_secs(30);

/// What the consumer delivers and from where.
#[derive(Debug, Clone)]
pub(crate) struct OrderedOptions {
    /// The stream subjects delivered (one or more; several need nats-server 2.10).
    pub(crate) filter_subjects: Vec<String>,
    /// Where the first consumer starts.
    pub(crate) deliver_policy: DeliverPolicy,
    /// Headers and no payloads.
    pub(crate) headers_only: bool,
    /// The consumer's description on the server.
    pub(crate) description: &'static str,
}

/// What [`OrderedConsumer::next`] has.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "returned once per message and taken apart at once; a box would allocate"
)]
pub(crate) enum Next {
    /// The next message, with its metadata.
    Message(Message, Delivered),
    /// [`QUIET`] passed with no message (only when asked for).
    Quiet,
    /// The server announced that the stream was deleted.
    StreamDeleted,
}

/// An ordered consumer and its subscription.
pub(crate) struct OrderedConsumer {
    client: Client,
    stream: JetStream,
    options: OrderedOptions,
    /// The consumer now delivering, if one is.
    current: Option<Current>,
    /// The stream sequence of the last message delivered; 0 before the first.
    last_delivered: u64,
    /// Where a replacement starts while nothing was delivered: the first consumer's
    /// start, pinned (a `New` consumer's start is the stream's end when it was made).
    first_start: DeliverPolicy,
    /// JetStream's advisories about the stream (deleted, leader elected).
    advisories: Subscriber,
    /// Fires every [`QUIET`] when quiet periods are asked for, every [`HEARTBEAT`]
    /// otherwise; one timer, not one per message.
    tick: Pin<Box<Sleep>>,
    /// Whether anything came from the consumer since the last tick.
    heard: bool,
    /// Whether a message was delivered since the last tick.
    delivered: bool,
    /// The last tick by which something had come: silence is counted from there.
    heard_by: Instant,
}

/// One consumer on the server and its subscription.
struct Current {
    subscription: Subscriber,
    name: String,
    /// The consumer sequence of the last message delivered.
    consumer_sequence: u64,
}

impl OrderedConsumer {
    /// Creates the consumer on `stream`; also the number of messages it has to deliver.
    pub(crate) async fn open(
        client: &Client,
        stream: &JetStream,
        options: OrderedOptions,
        operation: NatsOperation,
    ) -> Result<(Self, u64)> {
        let stream_name = &stream.cached_info().config.name;
        // Subscribed before the consumer exists, so that no deletion goes unseen.
        let advisories = client
            .subscribe(format!("$JS.EVENT.ADVISORY.STREAM.*.{stream_name}"))
            .await
            .map_err(|error| nats_error(operation, error))?;
        let mut consumer = OrderedConsumer {
            client: client.clone(),
            stream: stream.clone(),
            first_start: options.deliver_policy,
            options,
            current: None,
            last_delivered: 0,
            advisories,
            tick: Box::pin(tokio::time::sleep(QUIET)),
            heard: false,
            delivered: false,
            heard_by: Instant::now(),
        };
        let (current, pending, started_after) = consumer
            .create(consumer.first_start)
            .await
            .map_err(|error| nats_error(operation, error))?;
        if consumer.first_start == DeliverPolicy::New {
            consumer.first_start = DeliverPolicy::ByStartSequence {
                start_sequence: started_after + 1,
            };
        }
        consumer.current = Some(current);
        Ok((consumer, pending))
    }

    /// The next message; with `report_quiet`, also every [`QUIET`] that brought none.
    /// `None` once the client is closed. Cancel-safe: a replacement consumer half made
    /// when the future is dropped is made again on the next call.
    pub(crate) async fn next(&mut self, report_quiet: bool) -> Option<Next> {
        loop {
            let Some(current) = self.current.as_mut() else {
                match self.replace().await {
                    Ok(Some(gone)) => return Some(gone),
                    Ok(None) => continue,
                    Err(_closed) => return None,
                }
            };
            tokio::select! {
                biased;
                message = current.subscription.next() => {
                    self.heard = true;
                    let message = message?;
                    if let Some(next) = self.take(message) {
                        return Some(next);
                    }
                }
                Some(advisory) = self.advisories.next() => match Advisory::of(&advisory) {
                    Advisory::Deleted => return Some(Next::StreamDeleted),
                    // The consumer may have lived on the old leader.
                    Advisory::LeaderElected => self.lose("the stream has a new leader"),
                    Advisory::Other => {}
                },
                () = self.tick.as_mut() => {
                    let now = Instant::now();
                    let period = if report_quiet { QUIET } else { HEARTBEAT };
                    self.tick.as_mut().reset(now + period);
                    if std::mem::take(&mut self.heard) {
                        self.heard_by = now;
                    } else if now - self.heard_by >= SILENCE {
                        self.lose("no heartbeat");
                    }
                    if !std::mem::take(&mut self.delivered) && report_quiet {
                        return Some(Next::Quiet);
                    }
                }
            }
        }
    }

    /// A message from the subscription: a delivery in sequence, or what the consumer
    /// says about itself (heartbeats, flow control), or a sign that it lost its place.
    fn take(&mut self, message: Message) -> Option<Next> {
        if message.status == Some(StatusCode::IDLE_HEARTBEAT) {
            self.control(message);
            return None;
        }
        if message.status.is_some() {
            // e.g. 409 "Consumer Deleted"
            self.lose("a status message");
            return None;
        }
        let delivered = Delivered::parse(message.reply.as_deref()?)?;
        let current = self.current.as_mut()?;
        if delivered.consumer_sequence != current.consumer_sequence + 1 {
            self.lose("a gap in the consumer sequence");
            return None;
        }
        current.consumer_sequence = delivered.consumer_sequence;
        self.last_delivered = delivered.stream_sequence;
        self.delivered = true;
        Some(Next::Message(message, delivered))
    }

    /// An idle heartbeat or a flow-control request: answered, and checked against what
    /// was delivered.
    fn control(&mut self, message: Message) {
        let headers = message.headers.as_ref();
        // Flow control asks for an answer on its reply subject; a heartbeat of a
        // consumer stalled by flow control names the subject in a header.
        let answer_to = message.reply.clone().or_else(|| {
            headers
                .and_then(|headers| headers.get("Nats-Consumer-Stalled"))
                .map(|subject| subject.as_str().into())
        });
        if let Some(subject) = answer_to {
            let client = self.client.clone();
            tokio::spawn(async move { client.publish(subject, bytes::Bytes::new()).await });
        }
        let last_sent = headers
            .and_then(|headers| headers.get("Nats-Last-Consumer"))
            .and_then(|sequence| sequence.as_str().parse::<u64>().ok());
        let received = self
            .current
            .as_ref()
            .map(|current| current.consumer_sequence);
        if last_sent.is_some_and(|sent| Some(sent) != received) {
            self.lose("a heartbeat for messages that did not arrive");
        }
    }

    /// Drops the current consumer; the next call to [`next`](Self::next) replaces it.
    fn lose(&mut self, why: &'static str) {
        let Some(lost) = self.current.take() else {
            return;
        };
        tracing::debug!(
            stream = %self.stream.cached_info().config.name,
            consumer = %lost.name,
            after = self.last_delivered,
            why,
            "ordered consumer replaced"
        );
        let stream = self.stream.clone();
        // Removed now rather than after its inactive threshold; a lost leader's
        // consumer may not answer, so nobody waits for it.
        tokio::spawn(async move {
            let delete = stream.delete_consumer(&lost.name);
            let _ = tokio::time::timeout(CREATE_BOUND, delete).await;
        });
    }

    /// Makes a consumer starting after the last message delivered, retrying with
    /// backoff while the stream is unavailable. `Ok(Some(StreamDeleted))` if the server
    /// says the stream is gone; `Err` if the client is closed.
    async fn replace(&mut self) -> Result<Option<Next>, async_nats::SubscribeError> {
        let start = match self.last_delivered {
            0 => self.first_start,
            last => DeliverPolicy::ByStartSequence {
                start_sequence: last + 1,
            },
        };
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.create(start).await {
                Ok((current, _, _)) => {
                    self.current = Some(current);
                    self.heard_by = Instant::now();
                    return Ok(None);
                }
                Err(Failure::Closed(error)) => return Err(error),
                Err(Failure::Create(error)) if is_stream_not_found(&*error) => {
                    return Ok(Some(Next::StreamDeleted));
                }
                Err(Failure::Create(error)) => {
                    tracing::debug!(%error, "ordered consumer not replaced yet; retrying");
                }
            }
            let retry = tokio::time::sleep(backoff);
            tokio::pin!(retry);
            loop {
                tokio::select! {
                    biased;
                    Some(advisory) = self.advisories.next() => match Advisory::of(&advisory) {
                        Advisory::Deleted => return Ok(Some(Next::StreamDeleted)),
                        // A leader to create it on: at once.
                        Advisory::LeaderElected => break,
                        Advisory::Other => {}
                    },
                    () = &mut retry => break,
                }
            }
            backoff = (backoff * 2).min(Duration::from_secs(1));
        }
    }

    /// Subscribes to a new inbox and creates a consumer delivering to it from `start`:
    /// the consumer, its pending count, and the stream sequence it starts after.
    async fn create(&self, start: DeliverPolicy) -> Result<(Current, u64, u64), Failure> {
        let deliver_subject = self.client.new_inbox();
        let subscription = self
            .client
            .subscribe(deliver_subject.clone())
            .await
            .map_err(Failure::Closed)?;
        let (filter_subject, filter_subjects) = match self.options.filter_subjects.as_slice() {
            [subject] => (subject.clone(), Vec::new()),
            subjects => (String::new(), subjects.to_vec()),
        };
        let config = Config {
            deliver_subject,
            description: Some(self.options.description.to_owned()),
            deliver_policy: start,
            ack_policy: AckPolicy::None,
            max_deliver: 1,
            filter_subject,
            filter_subjects,
            replay_policy: ReplayPolicy::Instant,
            headers_only: self.options.headers_only,
            flow_control: true,
            idle_heartbeat: HEARTBEAT,
            num_replicas: 1,
            memory_storage: true,
            inactive_threshold: INACTIVE_THRESHOLD,
            ..Config::default()
        };
        let created = tokio::time::timeout(CREATE_BOUND, self.stream.create_consumer(config))
            .await
            .map_err(|elapsed| Failure::Create(elapsed.into()))?
            .map_err(|error| Failure::Create(error.into()))?;
        let info = created.cached_info();
        let current = Current {
            subscription,
            name: info.name.clone(),
            consumer_sequence: 0,
        };
        Ok((current, info.num_pending, info.delivered.stream_sequence))
    }
}

/// Why a consumer was not created.
#[derive(Debug, thiserror::Error)]
enum Failure {
    /// The client could not subscribe: it is closed.
    #[error("could not subscribe to the consumer's deliveries")]
    Closed(#[source] async_nats::SubscribeError),
    /// The server did not create it (or did not answer in time).
    #[error("could not create the ordered consumer")]
    Create(#[source] crate::error::BoxError),
}

/// What an advisory on `$JS.EVENT.ADVISORY.STREAM.<kind>.<stream>` says.
enum Advisory {
    Deleted,
    LeaderElected,
    Other,
}

impl Advisory {
    fn of(advisory: &Message) -> Self {
        match advisory.subject.split('.').nth(4) {
            Some("DELETED") => Advisory::Deleted,
            Some("LEADER_ELECTED") => Advisory::LeaderElected,
            _ => Advisory::Other,
        }
    }
}
