//! The one public error type, and the enums its variants carry.

mod config_problem;
mod hook_stage;
mod js_error_code;
mod last_sequence;
mod nats_operation;
mod startup_problem;
mod stream_limit;

use std::fmt;
use std::time::Duration;

pub use config_problem::ConfigProblem;
pub use hook_stage::HookStage;
pub use js_error_code::JsErrorCode;
pub use last_sequence::LastSequenceOf;
pub use nats_operation::NatsOperation;
pub use startup_problem::{StartupProblem, StartupProblemKind};
pub use stream_limit::StreamLimit;

use crate::backend_kind::BackendKind;

/// A boxed error that any handler, layer or hook may return.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in faststream-kv.
///
/// Match on the variant to react to a kind of failure (every variant with fields is
/// `#[non_exhaustive]`: match with `{ field, .. }`, so that we can add detail later);
/// the `Display` text is meant for people and names what was involved (subject,
/// handler, type). [`status_code`](Self::status_code) is the status an error reply
/// for it carries.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The broker could not connect (server unreachable, TLS or address problem).
    #[error("could not connect to NATS: {source}")]
    #[non_exhaustive]
    Connect {
        /// The client's error.
        source: BoxError,
    },
    /// The server refused our credentials; we do not retry.
    #[error("NATS refused the credentials: {source}")]
    #[non_exhaustive]
    Auth {
        /// The client's error.
        source: BoxError,
    },
    /// The broker was used before `connect()` (the app connects it at startup).
    #[error("the broker is not connected: call `Broker::connect()` or start the app first")]
    NotConnected,
    /// A subject is not valid for the operation (empty token, whitespace, wildcard in a
    /// publish).
    #[error("invalid subject {subject:?}: {reason}")]
    #[non_exhaustive]
    InvalidSubject {
        /// The subject as given.
        subject: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A queue group name is empty or contains whitespace.
    #[error("invalid queue group {queue:?}: must be non-empty and without whitespace")]
    #[non_exhaustive]
    InvalidQueueGroup {
        /// The name as given.
        queue: String,
    },
    /// A subscriber pattern such as `orders.{region}.>` could not be parsed.
    #[error("invalid subscriber pattern {pattern:?}: {reason}")]
    #[non_exhaustive]
    InvalidPattern {
        /// The pattern as written.
        pattern: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A request found nobody subscribed to its subject.
    #[error("no responders on {subject:?}")]
    #[non_exhaustive]
    NoResponders {
        /// The request subject.
        subject: String,
    },
    /// A request got no reply in time.
    #[error("request to {subject:?} timed out after {timeout:?}")]
    #[non_exhaustive]
    Timeout {
        /// The request subject.
        subject: String,
        /// How long we waited.
        timeout: Duration,
    },
    /// The payload is larger than the server accepts.
    #[error("payload of {size} bytes exceeds the server's max_payload of {max} bytes")]
    #[non_exhaustive]
    PayloadTooLarge {
        /// Size of what we tried to send.
        size: usize,
        /// The server's limit.
        max: usize,
    },
    /// A remote handler answered with an error reply (`Nats-Service-Error` headers).
    #[error("service error {code}: {description}")]
    #[non_exhaustive]
    Service {
        /// The status code from `Nats-Service-Error-Code` (400 bad input, 500 handler
        /// failure, ...).
        code: u16,
        /// The description from `Nats-Service-Error`.
        description: String,
    },
    /// A handler's answer with a status of its choice ([`Error::status`]): the request
    /// gets an error reply with this code and message.
    #[error("{message}")]
    #[non_exhaustive]
    Status {
        /// The status code (404, 409, 422, ...).
        code: u16,
        /// What the caller reads.
        message: String,
    },
    /// A message payload could not be decoded into the requested type.
    #[error("could not decode {target}: {source}")]
    #[non_exhaustive]
    Decode {
        /// What we tried to decode into (`Json<Order>`, `String`, ...).
        target: &'static str,
        /// The decoder's error.
        source: BoxError,
    },
    /// A value could not be encoded (e.g. a `Json` reply whose `Serialize` failed).
    #[error("could not encode {target}: {source}")]
    #[non_exhaustive]
    Encode {
        /// What we tried to encode.
        target: &'static str,
        /// The encoder's error.
        source: BoxError,
    },
    /// The subject did not yield the `Path` parameters a handler asked for.
    #[error("path parameters of {subject:?}: {reason}")]
    #[non_exhaustive]
    Path {
        /// The message subject.
        subject: String,
        /// What did not fit.
        reason: String,
    },
    /// No value of the requested type is in the context.
    #[error("no `{type_name}` in the context (insert one in an `on_startup` hook)")]
    #[non_exhaustive]
    MissingContext {
        /// The Rust type that was asked for.
        type_name: &'static str,
    },
    /// A context value cannot be removed while running subscribers extract it.
    #[error("`{type_name}` cannot be removed from the context: running subscribers extract it")]
    #[non_exhaustive]
    ContextInUse {
        /// The Rust type that was to be removed.
        type_name: &'static str,
    },
    /// The app refused to start: subscribers need what the context or their pattern lacks.
    #[error("the app cannot start:\n{}", lines(.problems))]
    #[non_exhaustive]
    Startup {
        /// Every problem found, each naming handler, argument and what is missing.
        problems: Vec<StartupProblem>,
    },
    /// A lifecycle hook failed.
    #[error("{stage} hook #{index} failed: {source}")]
    #[non_exhaustive]
    Hook {
        /// The stage of the hook.
        stage: HookStage,
        /// Position of the hook among those of its stage (from 1).
        index: usize,
        /// The hook's error.
        source: Box<Error>,
    },
    /// A handler returned an error.
    #[error("handler failed: {source}")]
    #[non_exhaustive]
    Handler {
        /// The handler's error.
        source: BoxError,
    },
    /// A handler panicked; the subscriber keeps running.
    #[error("handler panicked: {message}")]
    #[non_exhaustive]
    Panic {
        /// The panic's message.
        message: String,
    },
    /// A handler's result could not be published to one of its publishers; a stream
    /// message is nak'd for it whatever the ack policy (handled again, not lost).
    #[error("publishing the result to {subject:?} failed: {source}")]
    #[non_exhaustive]
    Publish {
        /// The publisher's subject.
        subject: String,
        /// Why it failed.
        source: Box<Error>,
    },
    /// A middleware layer rejected or failed the message (e.g. tower's timeout).
    #[error("middleware failed: {source}")]
    #[non_exhaustive]
    Middleware {
        /// The layer's error.
        source: BoxError,
    },
    /// The backend cannot do what was asked (e.g. a feature the memory broker does not
    /// model).
    #[error("unsupported by the {backend} backend: {what}")]
    #[non_exhaustive]
    Unsupported {
        /// The backend that cannot do it.
        backend: BackendKind,
        /// What was asked.
        what: String,
    },
    /// Talking to the server failed after the connection was made.
    #[error("NATS {operation} failed: {source}")]
    #[non_exhaustive]
    Nats {
        /// What we were doing.
        operation: NatsOperation,
        /// The client's error.
        source: BoxError,
    },
    /// JetStream refused the operation: `code` says why (the server's error code, see
    /// [`JsErrorCode`]), `description` is the server's text. Refusals with a variant
    /// of their own (a stream or consumer not found, a wrong last sequence, a full
    /// stream, ...) come as that variant; the memory broker refuses with the same code
    /// and text where it makes the same check.
    #[error("JetStream refused {operation}: {description} (error code {code})")]
    #[non_exhaustive]
    JetStream {
        /// What we were doing.
        operation: NatsOperation,
        /// The server's error code.
        code: JsErrorCode,
        /// The server's description.
        description: String,
    },
    /// The server did not carry out the operation in time or could not right now
    /// (disconnected, a stream electing its leader, an acknowledgement that did not
    /// come); retrying may succeed ([`is_retryable`](Self::is_retryable)). A write whose
    /// acknowledgement did not come may still have been applied.
    #[error("NATS {operation} unavailable after {after:?}{}", landed_note(*.may_have_landed))]
    #[non_exhaustive]
    Unavailable {
        /// What we were doing.
        operation: NatsOperation,
        /// How long we waited.
        after: Duration,
        /// Whether the operation (a write) may have been applied all the same.
        may_have_landed: bool,
    },
    /// Shutdown ran out of its graceful timeout: received messages were left unhandled
    /// (the handlers still running were cut off, the messages still buffered dropped).
    #[error(
        "shutdown left {messages} received message(s) unhandled{}",
        cancelled_note(*.cancelled_subscribers)
    )]
    #[non_exhaustive]
    Abandoned {
        /// The messages counted.
        messages: u64,
        /// Subscribers that had to be cancelled without counting what they left.
        cancelled_subscribers: usize,
    },
    /// A Key-Value key is not valid (empty, a wildcard, a character outside
    /// `[-/_=.a-zA-Z0-9]`, a leading or trailing dot, too long). Nothing was sent.
    #[error("invalid key {key:?}: {reason}")]
    #[non_exhaustive]
    InvalidKey {
        /// The key as given (cut to 64 characters).
        key: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A Key-Value bucket name is not valid (`[a-zA-Z0-9_-]+`). Nothing was sent.
    #[error("invalid bucket name {bucket:?}: {reason}")]
    #[non_exhaustive]
    InvalidBucket {
        /// The name as given (cut to 64 characters).
        bucket: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A Key-Value or stream configuration or option is out of range or contradicts
    /// another.
    #[error("invalid configuration: {problem}")]
    #[non_exhaustive]
    InvalidConfig {
        /// What is wrong.
        problem: ConfigProblem,
    },
    /// The Key-Value bucket does not exist.
    #[error("Key-Value bucket {bucket:?} not found")]
    #[non_exhaustive]
    BucketNotFound {
        /// The bucket.
        bucket: String,
    },
    /// The stream `KV_<bucket>` exists but is no Key-Value bucket (it keeps no message
    /// per subject; nats.go's `ErrBadBucket`).
    #[error("stream KV_{bucket} exists but is not a Key-Value bucket")]
    #[non_exhaustive]
    NotABucket {
        /// The bucket name asked for.
        bucket: String,
    },
    /// A bucket of that name exists with a different configuration.
    #[error("Key-Value bucket {bucket:?} already exists with a different configuration")]
    #[non_exhaustive]
    BucketExists {
        /// The bucket.
        bucket: String,
    },
    /// `create` found the key already holding a value.
    #[error("key {key:?} already exists in bucket {bucket:?}")]
    #[non_exhaustive]
    KeyExists {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
    /// A compare-and-set write found another revision than the one expected: someone
    /// else wrote the key first.
    #[error("key {key:?} in bucket {bucket:?} is not at revision {expected}")]
    #[non_exhaustive]
    WrongRevision {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// The revision the write expected (0: the key must not exist).
        expected: u64,
    },
    /// A value is larger than the bucket's `max_value_size`.
    #[error("value of {size} bytes exceeds the bucket's max_value_size of {max} bytes")]
    #[non_exhaustive]
    ValueTooLarge {
        /// Size of the value.
        size: usize,
        /// The bucket's limit.
        max: usize,
    },
    /// The bucket reached its `max_bytes`; the write was refused (nothing was evicted).
    #[error("Key-Value bucket {bucket:?} is full (max_bytes reached)")]
    #[non_exhaustive]
    BucketFull {
        /// The bucket.
        bucket: String,
    },
    /// A watch ended because its bucket or connection went away.
    #[error("the watch on bucket {bucket:?} ended")]
    #[non_exhaustive]
    WatchEnded {
        /// The bucket.
        bucket: String,
    },
    /// A stream name the server would refuse.
    #[error("invalid stream name {stream:?}: {reason}")]
    #[non_exhaustive]
    InvalidStreamName {
        /// The name as given.
        stream: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// The stream does not exist.
    #[error("stream {stream:?} not found")]
    #[non_exhaustive]
    StreamNotFound {
        /// The stream's name.
        stream: String,
    },
    /// A stream of this name exists with another configuration (a create), or the
    /// server cannot change it to the one asked for (an update).
    #[error("stream {stream:?} exists with another configuration: {reason}")]
    #[non_exhaustive]
    StreamExists {
        /// The stream's name.
        stream: String,
        /// What differs, or what the server said.
        reason: String,
    },
    /// A stream's subjects overlap another stream's.
    #[error("the subjects of stream {stream:?} overlap another stream's")]
    #[non_exhaustive]
    SubjectsOverlap {
        /// The stream's name.
        stream: String,
    },
    /// A publish that wants an acknowledgement went to a subject no stream stores.
    #[error("no stream stores subject {subject:?}")]
    #[non_exhaustive]
    NoStream {
        /// The subject published to.
        subject: String,
    },
    /// A publish expecting the stream's (or a subject's) last sequence found another.
    #[error(
        "publish to {subject:?} expected the last sequence of {of} to be {expected}{}",
        found.map(|found| format!(", it is {found}")).unwrap_or_default()
    )]
    #[non_exhaustive]
    WrongLastSequence {
        /// The subject published to.
        subject: String,
        /// Whose last sequence it expected.
        of: LastSequenceOf,
        /// The last sequence the publish expected.
        expected: u64,
        /// The last sequence the stream has (`None` if the server did not say).
        found: Option<u64>,
    },
    /// A publish expecting the stream's last message id found another.
    #[error("publish to {subject:?} expected last message id {expected:?}")]
    #[non_exhaustive]
    WrongLastMessageId {
        /// The subject published to.
        subject: String,
        /// The message id expected.
        expected: String,
        /// The id of the stream's last message (`None` if it has none, or the server
        /// did not say).
        found: Option<String>,
    },
    /// A publish expecting one stream reached another.
    #[error("publish to {subject:?} expected stream {expected:?}")]
    #[non_exhaustive]
    WrongStream {
        /// The subject published to.
        subject: String,
        /// The stream expected.
        expected: String,
    },
    /// A stream refused a message larger than its `max_message_size`.
    #[error("message of {size} bytes exceeds stream {stream:?}'s max_message_size of {max}")]
    #[non_exhaustive]
    MessageTooLarge {
        /// The stream's name.
        stream: String,
        /// Headers and payload, in bytes.
        size: usize,
        /// The stream's limit.
        max: u32,
    },
    /// A stream that discards new messages is at a limit (the server's 10077, a store
    /// refusal).
    #[error("stream {stream:?} is full (discard new): {limit}")]
    #[non_exhaustive]
    StreamFull {
        /// The stream's name.
        stream: String,
        /// The limit it is at.
        limit: StreamLimit,
    },
    /// The consumer does not exist (or no longer: deleted, or an ephemeral one
    /// nobody fetched from within its inactive threshold).
    #[error("consumer {consumer:?} of stream {stream:?} not found")]
    #[non_exhaustive]
    ConsumerNotFound {
        /// The stream.
        stream: String,
        /// The consumer's name.
        consumer: String,
    },
    /// A durable consumer exists with a configuration the server cannot change to the
    /// one asked for.
    #[error(
        "consumer {consumer:?} of stream {stream:?} exists with another configuration: {reason}"
    )]
    #[non_exhaustive]
    ConsumerExists {
        /// The stream.
        stream: String,
        /// The consumer's name.
        consumer: String,
        /// What differs, as the server says it.
        reason: String,
    },
    /// A consumer a work-queue stream refuses: each of its messages goes to one
    /// consumer, so consumers may not overlap (nor one read everything beside
    /// another), and each starts from the first message.
    #[error("work-queue stream {stream:?} refuses the consumer: {reason}")]
    #[non_exhaustive]
    WorkQueueConsumer {
        /// The stream.
        stream: String,
        /// Why, as the server says it.
        reason: String,
    },
    /// A delivered message was settled (acknowledged, nak'd or terminated) already:
    /// only the first settlement is sent (nats.go's `ErrMsgAlreadyAckd`).
    #[error("the message of stream sequence {stream_sequence} was settled already")]
    #[non_exhaustive]
    AlreadySettled {
        /// The message's sequence in its stream.
        stream_sequence: u64,
    },
    /// A purge or a message delete that the stream denies (`deny_purge`,
    /// `deny_delete`).
    #[error("stream {stream:?} denies {what}")]
    #[non_exhaustive]
    StreamDenies {
        /// The stream's name.
        stream: String,
        /// `purge` or `delete`.
        what: &'static str,
    },
    /// The broker was closed.
    #[error("the broker is closed")]
    Closed,
    /// A local resource failed (spawning nats-server, a temp dir, a file).
    #[error("{context}: {source}")]
    #[non_exhaustive]
    Io {
        /// What we were doing.
        context: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl Error {
    /// Wraps any error a user returns from a handler, keeping an [`Error`] as it is.
    pub fn from_boxed(error: BoxError) -> Self {
        match error.downcast::<Error>() {
            Ok(error) => *error,
            Err(source) => Error::Handler { source },
        }
    }

    /// Wraps an error from a middleware layer, keeping an [`Error`] as it is.
    pub(crate) fn from_middleware(error: BoxError) -> Self {
        match error.downcast::<Error>() {
            Ok(error) => *error,
            Err(source) => Error::Middleware { source },
        }
    }

    /// The status and text of a service's boxed error, as
    /// [`from_middleware`](Self::from_middleware) would make it (an [`Error`] as it is,
    /// another error a middleware's).
    pub(crate) fn describe(error: &BoxError) -> (u16, String) {
        match error.downcast_ref::<Error>() {
            Some(error) => (error.status_code(), error.to_string()),
            None => {
                let status = if is_elapsed(error.as_ref()) { 408 } else { 500 };
                (status, format!("middleware failed: {error}"))
            }
        }
    }

    /// A handler error from a message, for `Err(Error::msg("out of stock"))` (a 500
    /// reply).
    pub fn msg(message: impl fmt::Display) -> Self {
        Error::Handler {
            source: message.to_string().into(),
        }
    }

    /// An answer with a status of the handler's choice: the request gets an error reply
    /// with `code` and `message`, which the caller receives as [`Error::Service`].
    ///
    /// ```
    /// use faststream_kv::Error;
    ///
    /// let error = Error::status(404, "no such order");
    /// assert_eq!(error.status_code(), 404);
    /// assert_eq!(error.to_string(), "no such order");
    /// ```
    pub fn status(code: u16, message: impl Into<String>) -> Self {
        Error::Status {
            code,
            message: message.into(),
        }
    }

    /// Whether the same call may succeed when retried: the server was unavailable, a
    /// request timed out or found no responder (yet). A retried write whose first
    /// attempt [may have landed](Error::Unavailable) should be idempotent or
    /// compare-and-set.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Unavailable { .. } | Error::Timeout { .. } | Error::NoResponders { .. }
        )
    }

    /// The status code of the error reply sent for this error, as in NATS micro services:
    /// 400 for input the handler could not accept, 404 for a missing bucket, 408 for
    /// timeouts, 409 for Key-Value write conflicts, 503 for no responders, 500 otherwise.
    /// [`Error::Status`] and a remote [`Error::Service`] keep their code.
    pub fn status_code(&self) -> u16 {
        match self {
            Error::Decode { .. }
            | Error::Path { .. }
            | Error::InvalidSubject { .. }
            | Error::InvalidKey { .. }
            | Error::ValueTooLarge { .. }
            | Error::PayloadTooLarge { .. } => 400,
            Error::BucketNotFound { .. }
            | Error::StreamNotFound { .. }
            | Error::ConsumerNotFound { .. } => 404,
            Error::WrongRevision { .. }
            | Error::KeyExists { .. }
            | Error::WrongLastSequence { .. }
            | Error::WrongLastMessageId { .. } => 409,
            Error::Timeout { .. } => 408,
            Error::NoResponders { .. } | Error::Unavailable { .. } => 503,
            Error::Service { code, .. } | Error::Status { code, .. } => *code,
            Error::Middleware { source } if is_elapsed(source.as_ref()) => 408,
            Error::Publish { source, .. } => source.status_code(),
            _ => 500,
        }
    }

    /// A local failure (a file, a process, a runtime) with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

fn cancelled_note(cancelled_subscribers: usize) -> String {
    match cancelled_subscribers {
        0 => String::new(),
        count => format!(" ({count} subscriber(s) cancelled, what they left not counted)"),
    }
}

fn landed_note(may_have_landed: bool) -> &'static str {
    if may_have_landed {
        " (it may have been applied)"
    } else {
        ""
    }
}

/// One problem per line.
fn lines(problems: &[StartupProblem]) -> String {
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

fn is_elapsed(error: &(dyn std::error::Error + 'static)) -> bool {
    error.is::<tower::timeout::error::Elapsed>()
}

impl From<std::convert::Infallible> for Error {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

impl From<serde_json::Error> for Error {
    /// A `?` on `serde_json::from_*` in a handler reads as a decode failure (a 400 reply).
    fn from(error: serde_json::Error) -> Self {
        Error::Decode {
            target: "JSON",
            source: Box::new(error),
        }
    }
}
