//! Durable and ephemeral pull consumers: how one is configured, what it reports, and
//! the handle that fetches its messages.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::JsMessage;
use super::store::{ConsumerStore, Pulls};
use crate::error::{ConfigProblem, Error, Result};
use crate::subject::validate_subscribe_subject;

/// Where a new consumer starts in its stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeliverPolicy {
    /// From the first message stored. The default.
    #[default]
    All,
    /// From the last message stored.
    Last,
    /// Only messages stored after the consumer was created.
    New,
    /// The last message of each subject, then everything new.
    LastPerSubject,
    /// From this stream sequence.
    ByStartSequence(u64),
    /// From the first message stored at or after this time.
    ByStartTime(SystemTime),
}

/// Which acknowledgements a consumer's server waits for (nats-server's `AckPolicy`; a
/// stream subscriber's [`AckPolicy`](super::AckPolicy) says when it sends them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConsumerAckPolicy {
    /// Each message is acknowledged on its own, or delivered again after `ack_wait`.
    #[default]
    Explicit,
    /// Acknowledging a message acknowledges every one delivered before it too.
    All,
    /// None: a message counts as acknowledged once delivered, and is never delivered
    /// again (no `max_ack_pending` unless one is set).
    None,
    /// nats-server 2.14's flow-controlled acknowledgements, which it uses for the
    /// consumers it makes to source streams: read from such a consumer's info. The
    /// memory broker does not create one ([`Error::Unsupported`](crate::Error::Unsupported)).
    FlowControl,
}

/// Configuration of a pull consumer, for
/// [`Stream::create_consumer`](super::Stream::create_consumer).
///
/// ```
/// use std::time::Duration;
/// use faststream_kv::jetstream::ConsumerConfig;
///
/// let billing = ConsumerConfig {
///     filter_subjects: vec!["orders.*.created".to_owned()],
///     ack_wait: Duration::from_secs(10),
///     max_deliver: Some(5),
///     ..ConsumerConfig::durable("billing")
/// };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerConfig {
    /// The name of a durable consumer, which the server keeps when nobody consumes
    /// (`None`: an ephemeral one, named by the server and removed after
    /// `inactive_threshold`).
    pub durable: Option<String>,
    /// Free text shown by tools.
    pub description: String,
    /// Only messages on subjects matching one of these (empty: all of the stream's;
    /// several need nats-server >= 2.10).
    pub filter_subjects: Vec<String>,
    /// Where it starts.
    pub deliver: DeliverPolicy,
    /// Which acknowledgements the server waits for (default
    /// [`Explicit`](ConsumerAckPolicy::Explicit)). A work-queue stream takes only
    /// explicit ones.
    pub ack_policy: ConsumerAckPolicy,
    /// How long a delivered message may go unacknowledged before it is delivered again.
    pub ack_wait: Duration,
    /// Deliveries of a message before the consumer gives up on it (`None`: no limit).
    pub max_deliver: Option<u64>,
    /// Messages delivered and not yet acknowledged at most (`None`: the server's
    /// default, 1000).
    pub max_ack_pending: Option<u64>,
    /// Delays before each redelivery after an `ack_wait` ran out (the last one repeats);
    /// at most `max_deliver` of them.
    pub backoff: Vec<Duration>,
    /// How long a consumer nobody fetches from is kept (`None`: a durable forever, an
    /// ephemeral for the server's default, 5 s).
    pub inactive_threshold: Option<Duration>,
    /// Free-form labels kept with the consumer.
    pub metadata: BTreeMap<String, String>,
}

/// nats-server's default `ack_wait`.
pub const DEFAULT_ACK_WAIT: Duration = Duration::from_secs(30);

/// nats-server's `max_ack_pending` when none is set.
pub(crate) const DEFAULT_MAX_ACK_PENDING: u64 = 1000;

impl ConsumerConfig {
    /// The shortest time the server waits for a delivered message's acknowledgement:
    /// `ack_wait`, or a backoff step.
    pub(crate) fn shortest_ack_wait(&self) -> Duration {
        self.backoff
            .iter()
            .copied()
            .fold(self.ack_wait, Duration::min)
            .max(Duration::from_millis(1))
    }

    /// A durable consumer of this name from the first message, acknowledging each.
    pub fn durable(name: impl Into<String>) -> Self {
        Self {
            durable: Some(name.into()),
            ..Self::ephemeral()
        }
    }

    /// An ephemeral consumer from the first message.
    pub fn ephemeral() -> Self {
        Self {
            durable: None,
            description: String::new(),
            filter_subjects: Vec::new(),
            deliver: DeliverPolicy::All,
            ack_policy: ConsumerAckPolicy::Explicit,
            ack_wait: DEFAULT_ACK_WAIT,
            max_deliver: None,
            max_ack_pending: None,
            backoff: Vec::new(),
            inactive_threshold: None,
            metadata: BTreeMap::new(),
        }
    }

    /// Checks the configuration before it goes to a server.
    pub(crate) fn validate(&self) -> Result<()> {
        if let Some(name) = &self.durable {
            super::validate_stream_name(name).map_err(|_| Error::InvalidConfig {
                problem: ConfigProblem::ConsumerName,
            })?;
        }
        for subject in &self.filter_subjects {
            validate_subscribe_subject(subject)?;
        }
        let invalid = |problem| Err(Error::InvalidConfig { problem });
        if self.ack_wait.is_zero() {
            return invalid(ConfigProblem::ZeroLimit { limit: "ack_wait" });
        }
        if self.max_deliver == Some(0) {
            return invalid(ConfigProblem::ZeroLimit {
                limit: "max_deliver",
            });
        }
        if self.max_ack_pending == Some(0) {
            return invalid(ConfigProblem::ZeroLimit {
                limit: "max_ack_pending",
            });
        }
        if let Some(max) = self.max_deliver
            && self.backoff.len() as u64 > max
        {
            return invalid(ConfigProblem::BackoffBeyondMaxDeliver);
        }
        Ok(())
    }
}

/// What a consumer reports about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConsumerInfo {
    /// Its name (the durable name, or the one the server gave an ephemeral one).
    pub name: String,
    /// The stream it consumes.
    pub stream: String,
    /// The configuration it runs with.
    pub config: ConsumerConfig,
    /// Messages it has not delivered yet.
    pub pending: u64,
    /// Messages delivered and not yet acknowledged.
    pub ack_pending: u64,
    /// Messages delivered more than once and not yet acknowledged.
    pub redelivered: u64,
    /// The delivery up to which every message is acknowledged (or was never for this
    /// consumer): its consumer and stream sequence. As the server moves it, it stays
    /// put when a later delivery is acknowledged first, or when `max_deliver` gives
    /// up on the message above it.
    pub ack_floor: SequencePair,
    /// The last delivery's consumer sequence, and the last stream sequence delivered
    /// for the first time (before any: the one before where the consumer starts).
    pub delivered: SequencePair,
    /// Pull requests waiting on the server for messages.
    pub waiting: u64,
}

/// A consumer sequence (counting every delivery, redeliveries too) and a stream
/// sequence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SequencePair {
    /// The consumer's sequence.
    pub consumer: u64,
    /// The stream's sequence.
    pub stream: u64,
}

/// A handle to one pull consumer; clones share it.
#[derive(Clone)]
pub struct Consumer {
    store: Arc<dyn ConsumerStore>,
}

impl Consumer {
    pub(crate) fn new(store: Arc<dyn ConsumerStore>) -> Self {
        Self { store }
    }

    /// The consumer's name.
    pub fn name(&self) -> &str {
        self.store.name()
    }

    /// Pulls for a subscriber (see `ConsumerStore::pulls`).
    pub(crate) fn pulls(&self) -> Box<dyn Pulls> {
        self.store.pulls()
    }

    /// The connection's session (see `ConsumerStore::session`).
    pub(crate) fn session(&self) -> u64 {
        self.store.session()
    }

    /// Up to `batch` messages: those there now, or the first ones to arrive within
    /// `max_wait` (an empty batch when none did). Each waits for its
    /// acknowledgement ([`Acker::ack`](super::Acker::ack) and the others).
    ///
    /// # Errors
    ///
    /// [`Error::ConsumerNotFound`] once it is deleted; [`Error::StreamNotFound`];
    /// [`Error::Nats`] when the server fails.
    pub async fn fetch(&self, batch: usize, max_wait: Duration) -> Result<Vec<JsMessage>> {
        if batch == 0 {
            return Ok(Vec::new());
        }
        self.store.fetch(batch, max_wait).await
    }

    /// Its state, fresh from the server.
    ///
    /// # Errors
    ///
    /// As [`fetch`](Self::fetch).
    pub async fn info(&self) -> Result<ConsumerInfo> {
        self.store.info().await
    }
}

impl fmt::Debug for Consumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("name", &self.store.name())
            .finish_non_exhaustive()
    }
}
