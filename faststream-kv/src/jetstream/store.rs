//! The contract between the [`Stream`](super::Stream) and
//! [`Consumer`](super::Consumer) handles and a backend: a stream's info, purges, stored
//! messages and consumers; a consumer's fetch and info; a delivered message's
//! acknowledgements. `backend/nats/jetstream` and `backend/memory/jetstream` implement
//! them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;

use super::{
    ConsumerConfig, ConsumerInfo, JsMessage, MessageInfo, SequencePair, StoredMessage, StreamInfo,
};
use crate::backend_kind::BackendKind;
use crate::error::{Error, Result};

/// What a purge removes: the messages on subjects matching `filter` (all without),
/// but the newest `keep` of them, or those stored before sequence `before`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Purge {
    pub(crate) filter: Option<String>,
    pub(crate) keep: Option<u64>,
    pub(crate) before: Option<u64>,
}

/// One stream of a backend.
pub(crate) trait StreamStore: Send + Sync + 'static {
    /// The stream's name.
    fn name(&self) -> &Arc<str>;

    /// Its configuration and state, fresh.
    fn info(&self) -> BoxFuture<'_, Result<StreamInfo>>;

    /// Removes messages; returns how many.
    fn purge(&self, purge: Purge) -> BoxFuture<'_, Result<u64>>;

    /// The message stored under `sequence`.
    fn message(&self, sequence: u64) -> BoxFuture<'_, Result<Option<StoredMessage>>>;

    /// The newest message on a subject matching `filter`.
    fn last_message<'a>(&'a self, filter: &'a str) -> BoxFuture<'a, Result<Option<StoredMessage>>>;

    /// How many messages each subject matching `filter` has stored (those with any).
    fn subject_counts<'a>(
        &'a self,
        filter: &'a str,
    ) -> BoxFuture<'a, Result<BTreeMap<String, u64>>>;

    /// The sequences deleted between the first and the last, in order.
    fn deleted_sequences(&self) -> BoxFuture<'_, Result<Vec<u64>>>;

    /// Removes the message stored under `sequence`; `false` if there is none.
    fn delete_message(&self, sequence: u64) -> BoxFuture<'_, Result<bool>>;

    /// Creates the consumer (a durable one of that name with the same configuration
    /// again: it; with another: updated when the server allows it).
    fn create_consumer<'a>(
        &'a self,
        config: &'a ConsumerConfig,
    ) -> BoxFuture<'a, Result<Arc<dyn ConsumerStore>>>;

    /// Creates a push consumer (a durable one delivered to its name as a queue group,
    /// an existing durable kept on its deliver subject), as `create_consumer` does.
    fn create_push_consumer<'a>(
        &'a self,
        config: &'a ConsumerConfig,
    ) -> BoxFuture<'a, Result<Arc<dyn PushConsumerStore>>>;

    /// An existing consumer.
    fn bind_consumer<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Arc<dyn ConsumerStore>>>;

    /// What consumer `name` (pull or push) reports.
    fn consumer_info<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<ConsumerInfo>>;

    /// Deletes a consumer.
    fn delete_consumer<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<()>>;
}

/// One consumer of a backend.
pub(crate) trait ConsumerStore: Send + Sync + 'static {
    fn name(&self) -> &str;

    /// Up to `batch` (> 0) messages within `max_wait`.
    fn fetch(&self, batch: usize, max_wait: Duration) -> BoxFuture<'_, Result<Vec<JsMessage>>>;

    fn info(&self) -> BoxFuture<'_, Result<ConsumerInfo>>;

    /// The connection's session: it changes when the connection is lost, after which
    /// what was delivered before may be unknown to the server. A backend whose
    /// connection cannot be lost stays in session 0.
    fn session(&self) -> u64 {
        0
    }

    /// Pulls for a subscriber, which keeps requests waiting on the server and takes
    /// each message as it comes.
    fn pulls(&self) -> Box<dyn Pulls>;
}

/// What a subscriber's pulls bring.
pub(crate) enum Pulled {
    /// A delivered message.
    Message(JsMessage),
    /// The requests waiting on the server are gone (the connection was lost, or their
    /// idle heartbeats stopped): none is outstanding any more.
    Lost,
    /// A request was refused or could not be sent; none is outstanding any more.
    Failed(Error),
}

/// A subscriber's pull requests to one consumer (nats.go's `Consume`): each waits on
/// the server until it expires or has its batch, and what it gets is taken as it
/// arrives, never held back until the request ends.
pub(crate) trait Pulls: Send + 'static {
    /// Asks for up to `batch` (> 0) more messages; the request ends after `expires`.
    fn request(&mut self, batch: usize, expires: Duration);

    /// Messages asked for and neither delivered nor given up on yet.
    fn outstanding(&self) -> usize;

    /// The next thing the pulls brought.
    fn poll_pulled(&mut self, cx: &mut Context<'_>) -> Poll<Pulled>;

    /// Ends the requests waiting on the server; returns what they delivered and was
    /// not taken yet (for the caller to nak).
    fn end(&mut self) -> BoxFuture<'_, Vec<JsMessage>>;
}

/// One push consumer of a backend.
pub(crate) trait PushConsumerStore: Send + Sync + 'static {
    fn name(&self) -> &str;

    fn info(&self) -> BoxFuture<'_, Result<ConsumerInfo>>;

    /// Starts taking its deliveries (on NATS: subscribes its deliver subject).
    fn deliveries(&self) -> BoxFuture<'_, Result<Box<dyn Deliveries>>>;
}

/// The messages a push consumer delivers to one subscription.
pub(crate) trait Deliveries:
    futures::Stream<Item = JsMessage> + Send + Unpin + 'static
{
    /// Stops the deliveries; what already arrived is still yielded, then the stream
    /// ends.
    fn stop(&mut self) -> BoxFuture<'_, ()>;
}

/// How a delivered message is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AckKind {
    Ack,
    Nak(Option<Duration>),
    Term,
    Progress,
}

/// Which delivery an [`AckSender`] settles.
#[derive(Debug, Clone)]
pub(crate) enum AckToken {
    /// A server's delivery: its `$JS.ACK` reply subject.
    Reply(async_nats::Subject),
    /// A memory broker's delivery: its consumer and stream sequence.
    Sequences(SequencePair),
}

impl AckToken {
    /// The refusal of `backend`, which did not make this delivery, to settle it.
    pub(crate) fn foreign_to(&self, backend: BackendKind) -> Error {
        Error::Unsupported {
            backend,
            what: format!("settling a delivery of another backend ({self:?})"),
        }
    }
}

/// Sends the settlements of a consumer's deliveries. One is shared by all of them, each
/// delivery naming itself with its [`AckToken`]: nothing is allocated per message for it.
pub(crate) trait AckSender: Send + Sync + 'static {
    fn ack<'a>(&'a self, token: &'a AckToken, kind: AckKind) -> BoxFuture<'a, Result<()>>;

    /// Settles at once if that needs no waiting, without the allocation of
    /// [`ack`](Self::ack)'s future: `Ready` with the outcome, or `Pending` having sent
    /// nothing (the caller then awaits `ack`), perhaps leaving `cx` woken once.
    fn try_ack(
        &self,
        _token: &AckToken,
        _kind: AckKind,
        _cx: &mut Context<'_>,
    ) -> Poll<Result<()>> {
        Poll::Pending
    }

    /// An ack the server confirms.
    fn ack_sync<'a>(&'a self, token: &'a AckToken) -> BoxFuture<'a, Result<()>>;

    /// Where the message stands, for a delivery made without saying it (read when
    /// first asked for).
    fn info(&self, _token: &AckToken) -> MessageInfo {
        MessageInfo::unknown()
    }

    /// The message's stream sequence alone, for such a delivery.
    fn stream_sequence(&self, token: &AckToken) -> u64 {
        self.info(token).stream_sequence
    }
}
