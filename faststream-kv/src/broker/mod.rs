//! The broker handle: connect (idempotent), publish, request, subscribe — on a NATS
//! server or on the embedded memory broker.

mod correlation;
mod options;
mod subject;
mod transport;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_nats::Subject;
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

pub use options::ConnectOptions;
pub use subject::{validate_publish_subject, validate_queue_group, validate_subscribe_subject};
pub use transport::Subscription;

use crate::error::{Error, Result};
use crate::memory::MemoryBroker;
use crate::message::{APPLICATION_JSON, CONTENT_TYPE, Message, SERVICE_ERROR, SERVICE_ERROR_CODE};
use crate::response::Reply;
pub(crate) use correlation::CorrelationId;
use correlation::with_correlation_id;
pub(crate) use transport::Transport;

/// Default request timeout of the memory broker (NATS takes it from [`ConnectOptions`]).
const MEMORY_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

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
    backend: Backend,
    transport: OnceCell<Transport>,
    closed: AtomicBool,
}

enum Backend {
    Nats(Box<ConnectOptions>),
    Memory(MemoryBroker),
}

impl Broker {
    /// A broker for a NATS server: a URL (`"nats://127.0.0.1:4222"`, several separated by
    /// commas) or full [`ConnectOptions`]. Nothing connects until [`connect`](Self::connect).
    pub fn nats(options: impl Into<ConnectOptions>) -> Self {
        Self::with_backend(Backend::Nats(Box::new(options.into())))
    }

    /// A broker backed by the embedded in-memory broker: no server, same semantics.
    pub fn memory() -> Self {
        Self::with_backend(Backend::Memory(MemoryBroker::default()))
    }

    /// NATS at `$NATS_URL` when it is set, otherwise the in-memory broker.
    pub fn from_env() -> Self {
        match std::env::var("NATS_URL") {
            Ok(url) if !url.trim().is_empty() => Self::nats(url),
            _ => Self::memory(),
        }
    }

    fn with_backend(backend: Backend) -> Self {
        Self {
            shared: Arc::new(Shared {
                backend,
                transport: OnceCell::new(),
                closed: AtomicBool::new(false),
            }),
        }
    }

    /// `"nats"` or `"memory"`.
    pub fn backend(&self) -> &'static str {
        match self.shared.backend {
            Backend::Nats(_) => "nats",
            Backend::Memory(_) => "memory",
        }
    }

    /// Connects, once; later calls return at once. Refused credentials fail with
    /// [`Error::Auth`] without retrying.
    pub async fn connect(&self) -> Result<()> {
        self.shared
            .transport
            .get_or_try_init(|| async {
                match &self.shared.backend {
                    Backend::Nats(options) => options.connect().await.map(Transport::Nats),
                    Backend::Memory(memory) => Ok(Transport::Memory(memory.clone())),
                }
            })
            .await
            .map(drop)
    }

    /// Whether [`close`](Self::close) was called (on this broker or a clone).
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Whether [`connect`](Self::connect) has succeeded.
    pub fn is_connected(&self) -> bool {
        self.shared.transport.initialized()
    }

    /// The async-nats client, for what this crate does not wrap (`None` on memory or
    /// before connecting).
    pub fn nats_client(&self) -> Option<&async_nats::Client> {
        match self.shared.transport.get()? {
            Transport::Nats(client) => Some(client),
            Transport::Memory(_) => None,
        }
    }

    pub(crate) fn transport(&self) -> Result<&Transport> {
        self.shared.transport.get().ok_or(Error::NotConnected)
    }

    /// Publishes raw bytes (with a `correlation_id` header).
    pub async fn publish(&self, subject: &str, payload: impl Into<Bytes>) -> Result<()> {
        self.publish_message(subject, Reply::new(payload)).await
    }

    /// Publishes `value` as JSON (`content-type: application/json`).
    pub async fn publish_json<T: Serialize + ?Sized>(
        &self,
        subject: &str,
        value: &T,
    ) -> Result<()> {
        self.publish_message(subject, json_reply(value)?).await
    }

    /// Publishes a payload with headers of your choice (a `correlation_id` is added when
    /// missing).
    pub async fn publish_message(&self, subject: &str, message: Reply) -> Result<()> {
        validate_publish_subject(subject)?;
        let (payload, headers) = message.into_parts();
        self.transport()?
            .publish_correlated(subject, headers, payload)
            .await
    }

    /// Sends a request and waits (the default request timeout) for the reply.
    ///
    /// An error reply from a faststream-kv handler comes back as [`Error::Service`] with
    /// its status code; nobody listening is [`Error::NoResponders`].
    pub async fn request(&self, subject: &str, payload: impl Into<Bytes>) -> Result<Message> {
        self.request_with(subject, Reply::new(payload), None).await
    }

    /// Sends `value` as JSON and decodes the JSON reply.
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
    pub async fn request_with(
        &self,
        subject: &str,
        message: Reply,
        timeout: Option<Duration>,
    ) -> Result<Message> {
        validate_publish_subject(subject)?;
        let transport = self.transport()?;
        let timeout = timeout.unwrap_or_else(|| self.default_request_timeout());
        let (payload, headers) = message.into_parts();
        let headers = with_correlation_id(headers, None);
        let reply = transport
            .request(Subject::from(subject), Some(headers), payload, timeout)
            .await?;
        match service_error(&reply) {
            Some(error) => Err(error),
            None => Ok(reply),
        }
    }

    /// Subscribes to a subject (wildcards allowed). The stream yields every message until
    /// dropped or drained. Handlers normally use `#[subscriber]` instead.
    pub async fn subscribe(&self, subject: &str) -> Result<Subscription> {
        validate_subscribe_subject(subject)?;
        self.transport()?.subscribe(subject, None).await
    }

    /// Subscribes as a member of queue group `queue`: each message goes to one member.
    pub async fn queue_subscribe(&self, subject: &str, queue: &str) -> Result<Subscription> {
        validate_subscribe_subject(subject)?;
        validate_queue_group(queue)?;
        self.transport()?.subscribe(subject, Some(queue)).await
    }

    /// Waits until the server has processed everything sent so far (subscriptions
    /// included). A no-op on memory.
    pub async fn flush(&self) -> Result<()> {
        self.transport()?.flush().await
    }

    /// Flushes and closes the connection; the app calls this at the end of shutdown.
    pub async fn close(&self) -> Result<()> {
        self.shared.closed.store(true, Ordering::Release);
        match self.shared.transport.get() {
            Some(transport) => transport.close().await,
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
        self.transport()?
            .publish(reply_to, None, Some(headers), payload)
            .await
    }

    fn default_request_timeout(&self) -> Duration {
        match &self.shared.backend {
            Backend::Nats(options) => options.default_request_timeout(),
            Backend::Memory(_) => MEMORY_REQUEST_TIMEOUT,
        }
    }
}

impl fmt::Debug for Broker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Broker");
        debug.field("backend", &self.backend());
        if let Backend::Nats(options) = &self.shared.backend {
            debug.field("options", options);
        }
        debug.field("connected", &self.is_connected()).finish()
    }
}

fn json_reply<T: Serialize + ?Sized>(value: &T) -> Result<Reply> {
    let payload = serde_json::to_vec(value).map_err(|source| Error::Encode {
        target: std::any::type_name::<T>(),
        source: Box::new(source),
    })?;
    Ok(Reply::new(payload).header(CONTENT_TYPE, APPLICATION_JSON))
}

/// The error an error reply carries, if it is one.
fn service_error(reply: &Message) -> Option<Error> {
    let code = reply.header(SERVICE_ERROR_CODE)?;
    let description = match std::str::from_utf8(reply.payload()) {
        Ok(body) if !body.is_empty() => body.to_owned(),
        _ => reply.header(SERVICE_ERROR).unwrap_or_default().to_owned(),
    };
    Some(Error::Service {
        code: code.trim().parse().unwrap_or(500),
        description,
    })
}
