//! The backends behind the user-facing API: a NATS server through async-nats
//! ([`nats`]) or the embedded memory broker ([`memory`]). The `match`es over backends
//! are in this file; every feature above names no backend.

pub(crate) mod events;
pub(crate) mod memory;
pub(crate) mod nats;
pub(crate) mod pending_queue;

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_nats::{HeaderMap, Subject};
use bytes::Bytes;
use futures::future::ready;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};

pub use memory::MemoryOptions;
pub use nats::ConnectOptions;

use crate::backend_kind::BackendKind;
use crate::error::Result;
use crate::jetstream::store::StreamStore;
use crate::jetstream::{PublishAck, StreamConfig};
use crate::kv;
use crate::kv::store::Store;
use crate::message::Message;
use crate::pending::{PendingLimits, PendingStats};
use events::Events;
use memory::{MemoryBroker, MemoryConnection, MemorySubscription};
use nats::{NatsConnection, NatsSubscription};
use pending_queue::{QueueReceiver, StatsHandle};

/// Default request timeout of the memory broker (NATS takes it from [`ConnectOptions`]).
const MEMORY_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What a broker connects to: NATS servers with their options, or a memory broker.
#[derive(Clone)]
pub(crate) enum Target {
    Nats(Box<ConnectOptions>),
    Memory(MemoryBroker),
}

impl Target {
    pub(crate) fn nats(options: ConnectOptions) -> Self {
        Target::Nats(Box::new(options))
    }

    pub(crate) fn memory(options: MemoryOptions) -> Self {
        Target::Memory(MemoryBroker::new(options))
    }

    pub(crate) fn kind(&self) -> BackendKind {
        match self {
            Target::Nats(_) => BackendKind::Nats,
            Target::Memory(_) => BackendKind::Memory,
        }
    }

    /// Connects (refused credentials fail with [`Error::Auth`]); the connection
    /// reports what happens to it to `events`.
    pub(crate) async fn connect(&self, events: &Events) -> Result<Connection> {
        match self {
            Target::Nats(options) => options.connect(events).await.map(Connection::Nats),
            Target::Memory(memory) => {
                let connection = MemoryConnection::open(memory, events.clone());
                Ok(Connection::Memory(connection))
            }
        }
    }

    pub(crate) fn default_request_timeout(&self) -> Duration {
        match self {
            Target::Nats(options) => options.default_request_timeout(),
            Target::Memory(_) => MEMORY_REQUEST_TIMEOUT,
        }
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Nats(options) => options.fmt(f),
            Target::Memory(_) => f.write_str("Memory"),
        }
    }
}

/// A connected backend: one `match` per operation.
#[derive(Clone)]
pub(crate) enum Connection {
    Nats(NatsConnection),
    Memory(MemoryConnection),
}

impl Connection {
    /// Whether it reaches its server now (NATS: connected, not reconnecting; memory:
    /// not closed).
    pub(crate) fn is_up(&self) -> bool {
        match self {
            Connection::Nats(nats) => {
                nats.client().connection_state() == async_nats::connection::State::Connected
            }
            Connection::Memory(memory) => memory.is_open(),
        }
    }

    /// The async-nats client, on NATS.
    pub(crate) fn nats_client(&self) -> Option<&async_nats::Client> {
        match self {
            Connection::Nats(nats) => Some(nats.client()),
            Connection::Memory(_) => None,
        }
    }

    /// Publishes to a (validated) subject as it is, with `reply` as its reply subject.
    pub(crate) async fn publish(
        &self,
        subject: Subject,
        reply: Option<Subject>,
        headers: Option<HeaderMap>,
        payload: Bytes,
    ) -> Result<()> {
        match self {
            Connection::Nats(nats) => nats.publish(subject, reply, headers, payload).await,
            Connection::Memory(memory) => memory.publish_parts(subject, reply, headers, payload),
        }
    }

    /// Publishes with a `correlation_id` header: the one `headers` has, or a new one.
    pub(crate) async fn publish_correlated(
        &self,
        subject: &str,
        headers: Option<HeaderMap>,
        payload: Bytes,
    ) -> Result<()> {
        match self {
            Connection::Nats(nats) => nats.publish_correlated(subject, headers, payload).await,
            Connection::Memory(memory) => memory.publish_correlated(subject, headers, payload),
        }
    }

    /// A request that ends within `timeout`.
    pub(crate) async fn request(
        &self,
        subject: &str,
        headers: HeaderMap,
        payload: Bytes,
        timeout: Duration,
    ) -> Result<Message> {
        match self {
            Connection::Nats(nats) => nats.request(subject, headers, payload, timeout).await,
            Connection::Memory(memory) => {
                memory
                    .request(subject, Some(headers), payload, timeout)
                    .await
            }
        }
    }

    /// Subscribes; messages over `limits` are dropped and reported under `label`.
    pub(crate) async fn subscribe(
        &self,
        subject: &str,
        queue: Option<&str>,
        limits: PendingLimits,
        label: Arc<str>,
    ) -> Result<Subscription> {
        let (source, receiver) = match self {
            Connection::Nats(nats) => {
                let (subscription, receiver) =
                    nats.subscribe(subject, queue, limits, label).await?;
                (Source::Nats(subscription), receiver)
            }
            Connection::Memory(memory) => {
                let (subscription, receiver) = memory.subscribe(subject, queue, limits, label)?;
                (Source::Memory(subscription), receiver)
            }
        };
        Ok(Subscription { receiver, source })
    }

    /// Waits until the server has processed everything sent so far.
    pub(crate) async fn flush(&self) -> Result<()> {
        match self {
            Connection::Nats(nats) => nats.flush().await,
            Connection::Memory(_) => Ok(()),
        }
    }

    /// Closes the connection, within its bound.
    pub(crate) async fn close(&self) -> Result<()> {
        match self {
            Connection::Nats(nats) => nats.close().await,
            Connection::Memory(memory) => {
                memory.close();
                Ok(())
            }
        }
    }

    /// Binds an existing Key-Value bucket.
    pub(crate) async fn bind_bucket(&self, bucket: &str) -> Result<Arc<dyn Store>> {
        match self {
            Connection::Nats(nats) => nats.bind_bucket(bucket).await,
            Connection::Memory(memory) => memory.bind_bucket(bucket),
        }
    }

    /// Creates a Key-Value bucket (the same configuration again returns it).
    pub(crate) async fn create_bucket(&self, config: &kv::Config) -> Result<Arc<dyn Store>> {
        match self {
            Connection::Nats(nats) => nats.create_bucket(config).await,
            Connection::Memory(memory) => memory.create_bucket(config),
        }
    }

    /// Changes an existing bucket's configuration.
    pub(crate) async fn update_bucket(&self, config: &kv::Config) -> Result<Arc<dyn Store>> {
        match self {
            Connection::Nats(nats) => nats.update_bucket(config).await,
            Connection::Memory(memory) => memory.update_bucket(config),
        }
    }

    pub(crate) async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        match self {
            Connection::Nats(nats) => nats.delete_bucket(bucket).await,
            Connection::Memory(memory) => memory.delete_bucket(bucket),
        }
    }

    /// The status of every bucket, in no particular order.
    pub(crate) fn bucket_statuses(&self) -> BoxStream<'static, Result<kv::Status>> {
        match self {
            Connection::Nats(nats) => nats.bucket_statuses(),
            Connection::Memory(memory) => match memory.bucket_statuses() {
                Ok(statuses) => futures::stream::iter(statuses.into_iter().map(Ok)).boxed(),
                Err(error) => futures::stream::once(ready(Err(error))).boxed(),
            },
        }
    }

    pub(crate) async fn create_stream(
        &self,
        config: &StreamConfig,
    ) -> Result<Arc<dyn StreamStore>> {
        match self {
            Connection::Nats(nats) => nats.create_stream(config).await,
            Connection::Memory(memory) => memory.create_stream(config),
        }
    }

    pub(crate) async fn update_stream(
        &self,
        config: &StreamConfig,
    ) -> Result<Arc<dyn StreamStore>> {
        match self {
            Connection::Nats(nats) => nats.update_stream(config).await,
            Connection::Memory(memory) => memory.update_stream(config),
        }
    }

    pub(crate) async fn bind_stream(&self, name: &str) -> Result<Arc<dyn StreamStore>> {
        match self {
            Connection::Nats(nats) => nats.bind_stream(name).await,
            Connection::Memory(memory) => memory.bind_stream(name),
        }
    }

    pub(crate) async fn delete_stream(&self, name: &str) -> Result<()> {
        match self {
            Connection::Nats(nats) => nats.delete_stream(name).await,
            Connection::Memory(memory) => memory.delete_stream(name),
        }
    }

    pub(crate) async fn stream_names(&self) -> Result<Vec<String>> {
        match self {
            Connection::Nats(nats) => nats.stream_names().await,
            Connection::Memory(memory) => memory.stream_names(),
        }
    }

    /// Publishes to a (validated) subject and waits for the stream's acknowledgement.
    pub(crate) async fn stream_publish(
        &self,
        subject: &str,
        headers: HeaderMap,
        payload: Bytes,
    ) -> Result<PublishAck> {
        match self {
            Connection::Nats(nats) => nats.stream_publish(subject, headers, payload).await,
            Connection::Memory(memory) => memory.stream_publish(subject, headers, payload),
        }
    }
}

/// Messages of one subscription, from either backend, held up to its
/// [`PendingLimits`] until taken.
pub struct Subscription {
    receiver: QueueReceiver,
    source: Source,
}

/// How the subscription ends on its backend.
enum Source {
    Nats(NatsSubscription),
    Memory(MemorySubscription),
}

impl Subscription {
    /// Unsubscribes but still yields the messages already received, then ends.
    ///
    /// # Errors
    ///
    /// [`Error::Nats`](crate::Error::Nats) when the unsubscribe cannot be sent.
    pub async fn drain(&mut self) -> Result<()> {
        match &mut self.source {
            Source::Nats(subscription) => subscription.drain().await,
            Source::Memory(subscription) => {
                subscription.drain();
                Ok(())
            }
        }
    }

    /// What it holds, dropped and delivered so far.
    pub fn stats(&self) -> PendingStats {
        self.receiver.stats().get()
    }

    /// Changes how much it holds before it drops (default [`PendingLimits::DEFAULT`]);
    /// messages already pending stay.
    pub fn set_pending_limits(&self, limits: PendingLimits) {
        self.receiver.set_limits(limits);
    }

    /// Reads the counts, also after the subscription is gone.
    pub(crate) fn stats_handle(&self) -> StatsHandle {
        self.receiver.stats()
    }

    /// The next message if one is there, without waiting and outside tokio's
    /// cooperative budget; `Pending` registers no waker.
    pub(crate) fn try_next(&mut self) -> Poll<Option<Message>> {
        self.receiver.try_recv()
    }
}

impl Stream for Subscription {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        self.get_mut().receiver.poll_recv(cx)
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.source {
            Source::Nats(_) => BackendKind::Nats,
            Source::Memory(_) => BackendKind::Memory,
        };
        f.debug_struct("Subscription")
            .field("backend", &kind)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}
