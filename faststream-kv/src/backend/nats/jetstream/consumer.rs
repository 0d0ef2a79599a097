//! Pull consumers on a NATS server: created and bound through async-nats, fetched from
//! with no-wait batches (what is there now, or the first to arrive within the wait),
//! each message settled by a publish to its `$JS.ACK` reply subject.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use async_nats::Subject;
use async_nats::jetstream::consumer::{self, AckPolicy, PullConsumer};
use async_nats::jetstream::{self, ErrorCode};
use futures::TryFutureExt;
use futures::future::{BoxFuture, ready};

use super::NatsStream;
use super::pull_stream::NatsPulls;
use super::pulls::{PullOutcome, Puller};
use crate::backend::nats::ack_subject::{self, Delivered};
use crate::backend::nats::connection::bounded;
use crate::backend::nats::error::{jetstream_code, nats_error};
use crate::backend::nats::sessions::Sessions;
use crate::backend_kind::BackendKind;
use crate::error::{Error, NatsOperation, Result};
use crate::jetstream::store::{AckKind, AckSender, AckToken, ConsumerStore, Pulls};
use crate::jetstream::{
    ConsumerAckPolicy, ConsumerConfig, ConsumerInfo, DeliverPolicy, JsMessage, MessageInfo,
    SequencePair,
};
use crate::message::Message;

pub(crate) struct NatsConsumer {
    shared: Arc<Shared>,
    consumer: PullConsumer,
    puller: Puller,
    /// Where its pull requests go.
    next: Subject,
    sessions: Sessions,
}

/// What a consumer's messages share: where their acknowledgements go, and the names
/// (for their infos and errors).
pub(super) struct Shared {
    acks: Arc<AckTarget>,
}

impl Shared {
    pub(super) fn new(
        info: &consumer::Info,
        client: async_nats::Client,
        bound: Duration,
    ) -> Arc<Self> {
        Arc::new(Self {
            acks: Arc::new(AckTarget {
                client,
                bound,
                stream: info.stream_name.as_str().into(),
                consumer: info.name.as_str().into(),
            }),
        })
    }

    pub(super) fn name(&self) -> &str {
        &self.acks.consumer
    }

    /// How long one call to the server may take.
    pub(super) fn bound(&self) -> Duration {
        self.acks.bound
    }

    pub(super) fn not_found(&self) -> Error {
        Error::ConsumerNotFound {
            stream: self.acks.stream.to_string(),
            consumer: self.acks.consumer.to_string(),
        }
    }

    pub(super) fn error(
        &self,
        operation: NatsOperation,
        error: impl Into<crate::error::BoxError>,
    ) -> Error {
        let error = error.into();
        match jetstream_code(error.as_ref()) {
            Some(ErrorCode::CONSUMER_NOT_FOUND) => self.not_found(),
            Some(ErrorCode::STREAM_NOT_FOUND) => Error::StreamNotFound {
                stream: self.acks.stream.to_string(),
            },
            _ => nats_error(operation, error),
        }
    }

    /// A delivered message, settled through its reply subject (`None` if it has no
    /// JetStream one); its metadata is read from that subject when asked for.
    pub(super) fn delivered(&self, message: async_nats::Message) -> Option<JsMessage> {
        let reply = message
            .reply
            .filter(|reply| reply.starts_with("$JS.ACK."))?;
        let message =
            Message::from_stream(message.subject, message.headers.into(), message.payload);
        let sender: Arc<dyn AckSender> = Arc::<AckTarget>::clone(&self.acks);
        Some(JsMessage::new(
            message,
            None,
            sender,
            AckToken::Reply(reply),
        ))
    }

    /// The consumer's state, read with `consumer`.
    pub(super) async fn read_info<C: consumer::IntoConsumerConfig + Clone>(
        &self,
        consumer: &async_nats::jetstream::consumer::Consumer<C>,
    ) -> Result<ConsumerInfo> {
        let mut consumer = consumer.clone();
        let info = consumer
            .info()
            .await
            .map_err(|error| self.error(NatsOperation::ConsumerInfo, error))?;
        Ok(info_from_nats(info))
    }
}

impl NatsConsumer {
    /// Consumer `consumer` of `stream`.
    pub(super) fn new(consumer: PullConsumer, stream: &NatsStream) -> Self {
        let client = stream.client.clone();
        let info = consumer.cached_info();
        let next = format!(
            "{}.CONSUMER.MSG.NEXT.{}.{}",
            stream.api_prefix, info.stream_name, info.name
        );
        Self {
            shared: Shared::new(info, client.clone(), stream.bound),
            puller: Puller::new(consumer.clone(), client),
            next: next.into(),
            sessions: stream.sessions.clone(),
            consumer,
        }
    }

    /// What is there now (a no-wait pull); when nothing is, the first message to come
    /// within `max_wait`, with what came behind it. A pull that waits is only ever for
    /// one message, since the server holds it open until its batch is full.
    async fn fetch_batch(&self, batch: usize, max_wait: Duration) -> Result<Vec<JsMessage>> {
        match self.pulls(batch, max_wait).await {
            // Nothing came, or the pull failed: say so if the consumer is gone.
            Ok(fetched) if !fetched.is_empty() => Ok(fetched),
            pulled => {
                self.shared.read_info(&self.consumer).await?;
                pulled
            }
        }
    }

    async fn pulls(&self, batch: usize, max_wait: Duration) -> Result<Vec<JsMessage>> {
        let mut fetched = self.pull(batch, max_wait, false).await?;
        if fetched.is_empty() {
            fetched = self.pull(1, max_wait, true).await?;
            if !fetched.is_empty() && batch > 1 {
                fetched.extend(self.pull(batch - 1, max_wait, false).await?);
            }
        }
        Ok(fetched)
    }

    /// One pull request expiring after `expires`: one that `waits` for its batch, or a
    /// no-wait one, which the server ends once it delivered what there is (unless
    /// `max_ack_pending` holds it up: then it expires too). Bounded, since a request to
    /// a consumer that is gone may go unanswered.
    async fn pull(&self, batch: usize, expires: Duration, waits: bool) -> Result<Vec<JsMessage>> {
        let pulled = async {
            match self.puller.pull(batch, expires, waits).await {
                Ok(PullOutcome::Messages(messages)) => Ok(messages
                    .into_iter()
                    .filter_map(|message| self.shared.delivered(message))
                    .collect()),
                Ok(PullOutcome::ConsumerDeleted) => Err(self.shared.not_found()),
                Err(error) => Err(self.shared.error(NatsOperation::ConsumerFetch, error)),
            }
        };
        bounded(
            NatsOperation::ConsumerFetch,
            self.shared.acks.bound + expires,
            false,
            pulled,
        )
        .await
    }
}

impl ConsumerStore for NatsConsumer {
    fn name(&self) -> &str {
        self.shared.name()
    }

    fn fetch(&self, batch: usize, max_wait: Duration) -> BoxFuture<'_, Result<Vec<JsMessage>>> {
        Box::pin(self.fetch_batch(batch, max_wait))
    }

    fn info(&self) -> BoxFuture<'_, Result<ConsumerInfo>> {
        Box::pin(self.shared.read_info(&self.consumer))
    }

    fn session(&self) -> u64 {
        self.sessions.current()
    }

    fn pulls(&self) -> Box<dyn Pulls> {
        Box::new(NatsPulls::new(
            Arc::clone(&self.shared),
            self.puller.client(),
            self.next.clone(),
            self.sessions.clone(),
        ))
    }
}

/// The connection a consumer's acknowledgements go out on, each within `bound`, and
/// the names its messages' infos share. It settles a delivery by publishing to its
/// `$JS.ACK` reply subject.
struct AckTarget {
    client: async_nats::Client,
    bound: Duration,
    stream: Arc<str>,
    consumer: Arc<str>,
}

impl AckSender for AckTarget {
    fn ack<'a>(&'a self, token: &'a AckToken, kind: AckKind) -> BoxFuture<'a, Result<()>> {
        let Some(reply) = reply_of(token) else {
            return Box::pin(ready(Err(token.foreign_to(BackendKind::Nats))));
        };
        // A combinator, not an `async` block around it: every acknowledgement builds
        // this, and each async layer holds and moves the publish's future once more.
        let publish = (self.client)
            .publish(reply.clone(), payload(kind))
            .map_err(|error| nats_error(NatsOperation::Ack, error));
        Box::pin(bounded(NatsOperation::Ack, self.bound, true, publish))
    }

    fn try_ack(&self, token: &AckToken, kind: AckKind, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let Some(reply) = reply_of(token) else {
            return Poll::Ready(Err(token.foreign_to(BackendKind::Nats)));
        };
        // A publish that must wait for room in the client's queue has sent nothing
        // yet: dropped, it is made again by `ack`.
        let publish = pin!(self.client.publish(reply.clone(), payload(kind)));
        publish
            .poll(cx)
            .map_err(|error| nats_error(NatsOperation::Ack, error))
    }

    fn ack_sync<'a>(&'a self, token: &'a AckToken) -> BoxFuture<'a, Result<()>> {
        let Some(reply) = reply_of(token) else {
            return Box::pin(ready(Err(token.foreign_to(BackendKind::Nats))));
        };
        let request = (self.client)
            .request(reply.clone(), payload(AckKind::Ack))
            .map_ok(drop)
            .map_err(|error| nats_error(NatsOperation::Ack, error));
        Box::pin(bounded(NatsOperation::Ack, self.bound, true, request))
    }

    fn stream_sequence(&self, token: &AckToken) -> u64 {
        reply_of(token)
            .and_then(|reply| ack_subject::stream_sequence(reply))
            .unwrap_or_default()
    }

    fn info(&self, token: &AckToken) -> MessageInfo {
        let Some(delivered) = reply_of(token).and_then(|reply| Delivered::parse(reply)) else {
            return MessageInfo::unknown();
        };
        MessageInfo {
            stream: Arc::clone(&self.stream),
            consumer: Arc::clone(&self.consumer),
            stream_sequence: delivered.stream_sequence,
            consumer_sequence: delivered.consumer_sequence,
            delivered: delivered.delivery_count,
            pending: delivered.pending,
            published: delivered.published,
        }
    }
}

/// The reply subject a server's delivery is settled on.
fn reply_of(token: &AckToken) -> Option<&Subject> {
    match token {
        AckToken::Reply(reply) => Some(reply),
        AckToken::Sequences(_) => None,
    }
}

fn payload(kind: AckKind) -> bytes::Bytes {
    let kind = match kind {
        // An empty payload is an ack to the server, as async-nats sends it.
        AckKind::Ack => return bytes::Bytes::new(),
        AckKind::Nak(delay) => jetstream::AckKind::Nak(delay),
        AckKind::Term => jetstream::AckKind::Term,
        AckKind::Progress => jetstream::AckKind::Progress,
    };
    kind.into()
}

/// The consumer configuration the server gets for `config` (a pull consumer's: no
/// deliver subject).
pub(super) fn to_nats(config: &ConsumerConfig) -> consumer::Config {
    let (filter_subject, filter_subjects) = match config.filter_subjects.as_slice() {
        [one] => (one.clone(), Vec::new()),
        many => (String::new(), many.to_vec()),
    };
    consumer::Config {
        durable_name: config.durable.clone(),
        name: config.durable.clone(),
        description: Some(config.description.clone()).filter(|text| !text.is_empty()),
        deliver_policy: match config.deliver {
            DeliverPolicy::All => consumer::DeliverPolicy::All,
            DeliverPolicy::Last => consumer::DeliverPolicy::Last,
            DeliverPolicy::New => consumer::DeliverPolicy::New,
            DeliverPolicy::LastPerSubject => consumer::DeliverPolicy::LastPerSubject,
            DeliverPolicy::ByStartSequence(start_sequence) => {
                consumer::DeliverPolicy::ByStartSequence { start_sequence }
            }
            DeliverPolicy::ByStartTime(start) => consumer::DeliverPolicy::ByStartTime {
                start_time: start.into(),
            },
        },
        ack_policy: match config.ack_policy {
            ConsumerAckPolicy::Explicit => AckPolicy::Explicit,
            ConsumerAckPolicy::All => AckPolicy::All,
            ConsumerAckPolicy::None => AckPolicy::None,
            ConsumerAckPolicy::FlowControl => AckPolicy::FlowControl,
        },
        ack_wait: config.ack_wait,
        max_deliver: config
            .max_deliver
            .map_or(-1, |max| i64::try_from(max).unwrap_or(i64::MAX)),
        filter_subject,
        filter_subjects,
        max_ack_pending: config
            .max_ack_pending
            .map_or(0, |max| i64::try_from(max).unwrap_or(i64::MAX)),
        backoff: config.backoff.clone(),
        inactive_threshold: config.inactive_threshold.unwrap_or_default(),
        metadata: config
            .metadata
            .iter()
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
        ..consumer::Config::default()
    }
}

pub(super) fn from_nats(config: &consumer::Config) -> ConsumerConfig {
    let filter_subjects = if config.filter_subject.is_empty() {
        config.filter_subjects.clone()
    } else {
        vec![config.filter_subject.clone()]
    };
    ConsumerConfig {
        durable: config.durable_name.clone(),
        description: config.description.clone().unwrap_or_default(),
        filter_subjects,
        deliver: match config.deliver_policy {
            consumer::DeliverPolicy::All => DeliverPolicy::All,
            consumer::DeliverPolicy::Last => DeliverPolicy::Last,
            consumer::DeliverPolicy::New => DeliverPolicy::New,
            consumer::DeliverPolicy::LastPerSubject => DeliverPolicy::LastPerSubject,
            consumer::DeliverPolicy::ByStartSequence { start_sequence } => {
                DeliverPolicy::ByStartSequence(start_sequence)
            }
            consumer::DeliverPolicy::ByStartTime { start_time } => {
                DeliverPolicy::ByStartTime(SystemTime::from(start_time))
            }
        },
        ack_policy: match config.ack_policy {
            AckPolicy::Explicit => ConsumerAckPolicy::Explicit,
            AckPolicy::All => ConsumerAckPolicy::All,
            AckPolicy::None => ConsumerAckPolicy::None,
            AckPolicy::FlowControl => ConsumerAckPolicy::FlowControl,
        },
        ack_wait: config.ack_wait,
        max_deliver: u64::try_from(config.max_deliver)
            .ok()
            .filter(|max| *max > 0),
        max_ack_pending: u64::try_from(config.max_ack_pending)
            .ok()
            .filter(|max| *max > 0),
        backoff: config.backoff.clone(),
        inactive_threshold: Some(config.inactive_threshold).filter(|after| !after.is_zero()),
        metadata: config
            .metadata
            .iter()
            .filter(|(key, _)| !key.starts_with("_nats."))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
    }
}

pub(super) fn info_from_nats(info: &consumer::Info) -> ConsumerInfo {
    ConsumerInfo {
        name: info.name.clone(),
        stream: info.stream_name.clone(),
        config: from_nats(&info.config),
        pending: info.num_pending,
        ack_pending: info.num_ack_pending as u64,
        redelivered: info.num_redelivered as u64,
        ack_floor: SequencePair {
            consumer: info.ack_floor.consumer_sequence,
            stream: info.ack_floor.stream_sequence,
        },
        delivered: SequencePair {
            consumer: info.delivered.consumer_sequence,
            stream: info.delivered.stream_sequence,
        },
        waiting: info.num_waiting as u64,
    }
}
