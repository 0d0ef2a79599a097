//! The broker handle: connect (idempotent), publish, request, subscribe — on a NATS
//! server or on the embedded memory broker.

mod key_value;
mod observer;
mod stream;
mod stream_request;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_nats::{HeaderMap, Subject};
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;
use tokio::sync::broadcast::error::RecvError;

pub use crate::backend::{ConnectOptions, MemoryOptions, Subscription};
pub use crate::subject::{
    validate_publish_subject, validate_queue_group, validate_subscribe_subject,
};
pub use key_value::KeyValueBinding;
pub(crate) use observer::Observer;
pub use stream::StreamBinding;

use crate::backend::events::Events;
use crate::backend::{Connection, Target};
use crate::backend_kind::BackendKind;
use crate::connection_event::ConnectionEvent;
use crate::error::{Error, Result};
use crate::message::Message;
use crate::pending::PendingLimits;
use crate::response::Reply;
use crate::trace::propagate;
use crate::wire::{APPLICATION_JSON, CONTENT_TYPE, correlated, service_error, with_correlation_id};

/// A handle to the message broker: a NATS server, or the embedded in-memory broker.
///
/// Clones share one connection. [`connect`](Self::connect) is idempotent, so a startup
/// hook may connect early (to declare a Key-Value bucket) and the app connects again
/// harmlessly.
///
/// Outgoing messages speak FastStream's wire format: a `correlation_id` header (new
/// UUID, or the request's for a reply) and `content-type` for JSON and text.
///
/// ```
/// use faststream_kv::Broker;
///
/// # #[tokio::main] async fn main() -> Result<(), faststream_kv::Error> {
/// let broker = Broker::memory();
/// broker.connect().await?;
/// let mut greetings = broker.subscribe("greet.*").await?;
/// broker.publish("greet.world", "hello").await?;
/// # use futures::StreamExt;
/// assert_eq!(greetings.next().await.map(|m| m.payload().clone()), Some("hello".into()));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Broker {
    shared: Arc<Shared>,
}

struct Shared {
    target: Target,
    connection: OnceCell<Connection>,
    /// Shared with the Key-Value handles bound through this broker.
    closed: Arc<AtomicBool>,
    events: Events,
    /// Told of every publish and handled message, if set (by the test harness).
    observer: OnceLock<Arc<dyn Observer>>,
}

impl Broker {
    /// A broker for a NATS server: a URL (`"nats://127.0.0.1:4222"`, several separated by
    /// commas) or full [`ConnectOptions`]. Nothing connects until
    /// [`connect`](Self::connect).
    pub fn nats(options: impl Into<ConnectOptions>) -> Self {
        Self::with_target(Target::nats(options.into()))
    }

    /// A broker backed by the embedded in-memory broker: no server, same semantics.
    pub fn memory() -> Self {
        Self::memory_with(MemoryOptions::default())
    }

    /// An in-memory broker with server limits of its own (`max_payload`).
    pub fn memory_with(options: MemoryOptions) -> Self {
        Self::with_target(Target::memory(options))
    }

    /// NATS at `$NATS_URL` when it is set, otherwise the in-memory broker.
    pub fn from_env() -> Self {
        match std::env::var("NATS_URL") {
            Ok(url) if !url.trim().is_empty() => Self::nats(url),
            _ => Self::memory(),
        }
    }

    fn with_target(target: Target) -> Self {
        Self {
            shared: Arc::new(Shared {
                target,
                connection: OnceCell::new(),
                closed: Arc::new(AtomicBool::new(false)),
                events: Events::default(),
                observer: OnceLock::new(),
            }),
        }
    }

    /// A broker with a connection of its own to the same place: on NATS, the same
    /// servers with the same options; in memory, the same embedded broker. Clones of a
    /// broker share one connection, and closing it ends their subscriptions and
    /// watches; a broker from `new_connection` is not affected, as a second NATS
    /// connection is not. Use it for a second app (or a test client) beside the first.
    ///
    /// ```
    /// use faststream_kv::Broker;
    ///
    /// # #[tokio::main] async fn main() -> Result<(), faststream_kv::Error> {
    /// let service = Broker::memory();
    /// let client = service.new_connection();
    /// service.connect().await?;
    /// client.connect().await?;
    /// let mut orders = service.subscribe("orders").await?;
    /// client.publish("orders", "one").await?;
    /// client.close().await?;
    /// # use futures::StreamExt;
    /// assert_eq!(orders.next().await.map(|m| m.payload().clone()), Some("one".into()));
    /// # Ok(()) }
    /// ```
    pub fn new_connection(&self) -> Self {
        Self::with_target(self.shared.target.clone())
    }

    /// What happens to the connection from now on: connected, disconnected,
    /// reconnected, lame duck, slow consumers, server errors, closed. Every event is also
    /// logged (disconnects, slow consumers and errors at WARN).
    ///
    /// ```
    /// use faststream_kv::{Broker, ConnectionEvent};
    /// use futures::StreamExt;
    ///
    /// # #[tokio::main] async fn main() -> Result<(), faststream_kv::Error> {
    /// let broker = Broker::memory();
    /// let mut events = broker.events();
    /// broker.connect().await?;
    /// assert_eq!(events.next().await, Some(ConnectionEvent::Connected));
    /// # Ok(()) }
    /// ```
    pub fn events(&self) -> BoxStream<'static, ConnectionEvent> {
        let events =
            futures::stream::unfold(self.shared.events.subscribe(), |mut events| async move {
                let event = match events.recv().await {
                    Ok(event) => event,
                    Err(RecvError::Lagged(missed)) => ConnectionEvent::Missed { events: missed },
                    Err(RecvError::Closed) => return None,
                };
                Some((event, events))
            });
        events.boxed()
    }

    /// Tells the listeners of [`events`](Self::events) (and the log) about `event`.
    pub(crate) fn report(&self, event: ConnectionEvent) {
        self.shared.events.report(event);
    }

    /// Which backend this broker runs on.
    pub fn backend(&self) -> BackendKind {
        self.shared.target.kind()
    }

    /// The NATS servers it connects to, as given; none for the in-memory broker.
    pub fn servers(&self) -> &[String] {
        match &self.shared.target {
            Target::Nats(options) => options.servers(),
            Target::Memory(_) => &[],
        }
    }

    /// Connects, once; later calls return at once.
    ///
    /// # Errors
    ///
    /// [`Error::Auth`] when the server refuses the credentials (not retried),
    /// [`Error::Connect`] when it cannot be reached.
    pub async fn connect(&self) -> Result<()> {
        self.shared
            .connection
            .get_or_try_init(|| self.shared.target.connect(&self.shared.events))
            .await
            .map(drop)
    }

    /// Whether [`close`](Self::close) was called (on this broker or a clone).
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Whether [`connect`](Self::connect) has succeeded.
    pub fn is_connected(&self) -> bool {
        self.shared.connection.initialized()
    }

    /// Whether the connection reaches its server now: connected and not closed (on
    /// NATS, not while it reconnects).
    pub fn is_up(&self) -> bool {
        self.connection().is_ok_and(Connection::is_up)
    }

    /// The async-nats client, for what this crate does not wrap (`None` on memory or
    /// before connecting).
    pub fn nats_client(&self) -> Option<&async_nats::Client> {
        self.shared.connection.get()?.nats_client()
    }

    /// The connection, connecting first (idempotent).
    async fn connected(&self) -> Result<&Connection> {
        self.connect().await?;
        self.connection()
    }

    /// The connection, while it is open: after [`close`](Self::close) every call fails
    /// with [`Error::Closed`], on both backends alike.
    fn connection(&self) -> Result<&Connection> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        self.shared.connection.get().ok_or(Error::NotConnected)
    }

    /// Publishes raw bytes (with a `correlation_id` header).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSubject`] before anything is sent; [`Error::NotConnected`]
    /// before `connect`; [`Error::PayloadTooLarge`]; [`Error::Closed`] /
    /// [`Error::Nats`] when the connection is gone.
    pub async fn publish(&self, subject: &str, payload: impl Into<Bytes>) -> Result<()> {
        self.publish_message(subject, Reply::new(payload)).await
    }

    /// Publishes `value` as JSON (`content-type: application/json`).
    ///
    /// # Errors
    ///
    /// [`Error::Encode`] when `value` does not serialize; otherwise as
    /// [`publish`](Self::publish).
    pub async fn publish_json<T: Serialize + ?Sized>(
        &self,
        subject: &str,
        value: &T,
    ) -> Result<()> {
        self.publish_message(subject, json_reply(value)?).await
    }

    /// Publishes a payload with headers of your choice (a `correlation_id` is added when
    /// missing), and the reply subject of [`Reply::reply_to`] if set.
    ///
    /// # Errors
    ///
    /// As [`publish`](Self::publish); [`Error::InvalidSubject`] for an invalid reply
    /// subject too.
    pub async fn publish_message(&self, subject: &str, message: Reply) -> Result<()> {
        let (payload, headers, reply_to) = message.into_outgoing();
        let headers = propagate(headers);
        if reply_to.is_some() || self.shared.observer.get().is_some() {
            let headers = correlated(headers, None);
            return self
                .publish_outgoing(subject, reply_to, headers, payload)
                .await;
        }
        validate_publish_subject(subject)?;
        self.connection()?
            .publish_correlated(subject, headers, payload)
            .await
    }

    /// Publishes to `subject` with reply subject `reply_to`, both validated.
    pub(crate) async fn publish_outgoing(
        &self,
        subject: &str,
        reply_to: Option<Subject>,
        headers: HeaderMap,
        payload: Bytes,
    ) -> Result<()> {
        validate_publish_subject(subject)?;
        if let Some(reply_to) = &reply_to {
            validate_publish_subject(reply_to)?;
        }
        let connection = self.connection()?;
        self.observe(subject, reply_to.as_ref(), &headers, &payload);
        connection
            .publish(Subject::from(subject), reply_to, Some(headers), payload)
            .await
    }

    /// Tells the observer, if any, of a publish.
    pub(crate) fn observe(
        &self,
        subject: &str,
        reply_to: Option<&Subject>,
        headers: &HeaderMap,
        payload: &Bytes,
    ) {
        if let Some(observer) = self.shared.observer.get() {
            let mut message =
                Message::new(subject.to_owned(), payload.clone()).with_headers(headers.clone());
            if let Some(reply_to) = reply_to {
                message = message.with_reply(reply_to.clone());
            }
            observer.published(message);
        }
    }

    /// Has `observer` told of every publish and handled message from now on; once per
    /// broker.
    #[cfg(feature = "testing")]
    pub(crate) fn set_observer(&self, observer: Arc<dyn Observer>) {
        let _ = self.shared.observer.set(observer);
    }

    /// The observer, if one is set.
    pub(crate) fn observer(&self) -> Option<&Arc<dyn Observer>> {
        self.shared.observer.get()
    }

    /// Sends a request and waits (the default request timeout) for the reply.
    ///
    /// An error reply from a faststream-kv handler comes back as [`Error::Service`] with
    /// its status code; nobody listening is [`Error::NoResponders`].
    ///
    /// # Errors
    ///
    /// [`Error::Service`] for an error reply (with its status code);
    /// [`Error::NoResponders`]; [`Error::Timeout`]; otherwise as
    /// [`publish`](Self::publish).
    pub async fn request(&self, subject: &str, payload: impl Into<Bytes>) -> Result<Message> {
        self.request_with(subject, Reply::new(payload), None).await
    }

    /// Sends `value` as JSON and decodes the JSON reply.
    ///
    /// # Errors
    ///
    /// [`Error::Encode`] / [`Error::Decode`] for what does not (de)serialize; otherwise
    /// as [`request`](Self::request).
    pub async fn request_json<T, R>(&self, subject: &str, value: &T) -> Result<R>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let reply = self.request_with(subject, json_reply(value)?, None).await?;
        serde_json::from_slice(reply.payload()).map_err(|source| Error::Decode {
            target: std::any::type_name::<R>(),
            source: Box::new(source),
        })
    }

    /// Sends a request with headers and an optional timeout of its own.
    ///
    /// # Errors
    ///
    /// As [`request`](Self::request).
    pub async fn request_with(
        &self,
        subject: &str,
        message: Reply,
        timeout: Option<Duration>,
    ) -> Result<Message> {
        validate_publish_subject(subject)?;
        let connection = self.connection()?;
        let timeout = timeout.unwrap_or_else(|| self.shared.target.default_request_timeout());
        let (payload, headers) = message.into_parts();
        let headers = with_correlation_id(propagate(headers), None);
        let reply = connection
            .request(subject, headers, payload, timeout)
            .await?;
        match service_error(reply.headers(), reply.payload()) {
            Some(error) => Err(error),
            None => Ok(reply),
        }
    }

    /// Subscribes to a subject (wildcards allowed). The stream yields every message until
    /// dropped or drained, holding up to [`PendingLimits::DEFAULT`] for a slow reader
    /// (see [`Subscription::set_pending_limits`]). Handlers normally use
    /// `#[subscriber]` instead.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSubject`] before anything is sent; [`Error::NotConnected`]
    /// before `connect`; [`Error::Nats`] / [`Error::Closed`] when the connection is
    /// gone.
    pub async fn subscribe(&self, subject: &str) -> Result<Subscription> {
        validate_subscribe_subject(subject)?;
        self.subscribe_as(subject, None, PendingLimits::DEFAULT, subject.into())
            .await
    }

    /// Subscribes as a member of queue group `queue`: each message goes to one member.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidQueueGroup`]; otherwise as [`subscribe`](Self::subscribe).
    pub async fn queue_subscribe(&self, subject: &str, queue: &str) -> Result<Subscription> {
        validate_subscribe_subject(subject)?;
        validate_queue_group(queue)?;
        let label = format!("{subject} (queue group {queue})");
        self.subscribe_as(subject, Some(queue), PendingLimits::DEFAULT, label.into())
            .await
    }

    /// Subscribes to a (validated) subject with `limits`; drops are reported under
    /// `label`.
    pub(crate) async fn subscribe_as(
        &self,
        subject: &str,
        queue: Option<&str>,
        limits: PendingLimits,
        label: Arc<str>,
    ) -> Result<Subscription> {
        self.connection()?
            .subscribe(subject, queue, limits, label)
            .await
    }

    /// Waits until the server has processed everything sent so far (subscriptions
    /// included). A no-op on memory.
    ///
    /// # Errors
    ///
    /// [`Error::NotConnected`] before `connect`; [`Error::Nats`] / [`Error::Closed`]
    /// when the connection is gone.
    pub async fn flush(&self) -> Result<()> {
        self.connection()?.flush().await
    }

    /// Flushes and closes the connection; the app calls this at the end of shutdown.
    ///
    /// # Errors
    ///
    /// [`Error::Nats`] when the connection cannot flush or drain.
    pub async fn close(&self) -> Result<()> {
        self.shared.closed.store(true, Ordering::Release);
        match self.shared.connection.get() {
            Some(connection) => connection.close().await,
            None => Ok(()),
        }
    }

    /// Sends `reply` to a request's reply subject, keeping its correlation id.
    pub(crate) async fn send_reply(
        &self,
        reply_to: Subject,
        reply: Reply,
        correlation_id: Option<&str>,
    ) -> Result<()> {
        let (payload, headers) = reply.into_parts();
        let headers = with_correlation_id(headers, correlation_id);
        self.connection()?
            .publish(reply_to, None, Some(headers), payload)
            .await
    }
}

impl fmt::Debug for Broker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Broker")
            .field("target", &self.shared.target)
            .field("connected", &self.is_connected())
            .finish()
    }
}

/// `value` as a JSON message (`content-type: application/json`).
pub(crate) fn json_reply<T: Serialize + ?Sized>(value: &T) -> Result<Reply> {
    let payload = serde_json::to_vec(value).map_err(|source| Error::Encode {
        target: std::any::type_name::<T>(),
        source: Box::new(source),
    })?;
    Ok(Reply::new(payload).header(CONTENT_TYPE, APPLICATION_JSON))
}
