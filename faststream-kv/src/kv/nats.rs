//! The NATS backend: a bucket is a JetStream stream `KV_<bucket>` with subjects
//! `$KV.<bucket>.<key>`. Reads and bucket management go through async-nats; writes
//! publish with the KV headers themselves (so TTLs and expected revisions are exact);
//! watches run an ordered consumer and add the end-of-initial-data marker that
//! async-nats's own watch lacks.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_nats::jetstream::consumer::push::{Ordered, OrderedConfig, OrderedErrorKind};
use async_nats::jetstream::consumer::{DeliverPolicy, ReplayPolicy};
use async_nats::jetstream::context::{
    CreateKeyValueErrorKind, CreateStreamError, CreateStreamErrorKind, GetStreamError,
    GetStreamErrorKind, PublishErrorKind,
};
use async_nats::jetstream::kv::{self as nats_kv, Store};
use async_nats::jetstream::stream::{
    Compression, DirectGetErrorKind, LastRawMessageErrorKind, StorageType,
};
use async_nats::jetstream::{self, ErrorCode};
use async_nats::{HeaderMap, HeaderValue, StatusCode};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};

use super::backend::Write;
use super::config::{KvConfig, KvStatus, Storage};
use super::entry::{Entry, Operation};
use super::ttl::ttl_not_allowed;
use super::watch::{Start, WatchEvent};
use crate::error::{BoxError, Error, Result};

const KV_OPERATION: &str = "KV-Operation";
const MARKER_REASON: &str = "Nats-Marker-Reason";
const ROLLUP: &str = "Nats-Rollup";
const EXPECTED_LAST_SUBJECT_SEQUENCE: &str = "Nats-Expected-Last-Subject-Sequence";
const MESSAGE_TTL: &str = "Nats-TTL";

/// One bound bucket on a NATS server.
pub(crate) struct NatsBucket {
    store: Store,
    context: jetstream::Context,
    client: async_nats::Client,
    name: Arc<str>,
    /// Where writes go: `$KV.<bucket>.` (a mirror: its origin's prefix).
    write_prefix: Arc<str>,
}

impl NatsBucket {
    fn new(store: Store, context: jetstream::Context, client: async_nats::Client) -> Self {
        // Our contexts use the default API prefix, so writes need no domain prefix; a
        // mirrored bucket writes to its origin's subjects.
        let write_prefix = store.put_prefix.as_ref().unwrap_or(&store.prefix).as_str();
        Self {
            name: store.name.as_str().into(),
            write_prefix: write_prefix.into(),
            store,
            context,
            client,
        }
    }

    pub(crate) fn name(&self) -> &Arc<str> {
        &self.name
    }

    pub(crate) fn max_value_size(&self) -> Option<usize> {
        usize::try_from(self.store.stream.cached_info().config.max_message_size).ok()
    }

    /// The latest revision of `key` (or revision `revision`), markers included.
    pub(crate) async fn entry(&self, key: &str, revision: Option<u64>) -> Result<Option<Entry>> {
        let Some(revision) = revision else {
            return match self.store.entry(key).await {
                Ok(entry) => Ok(entry.map(|entry| self.entry_from_nats(entry))),
                Err(error) => Err(self.read_error(error)),
            };
        };
        let message = match self.store.stream.get_raw_message(revision).await {
            Ok(message) => message,
            Err(error) if error.kind() == LastRawMessageErrorKind::NoMessageFound => {
                return Ok(None);
            }
            Err(error) => return Err(self.read_error(error)),
        };
        let Some(found) = message.subject.strip_prefix(self.store.prefix.as_str()) else {
            return Ok(None);
        };
        if found != key {
            return Ok(None);
        }
        Ok(Some(Entry {
            bucket: Arc::clone(&self.name),
            key: key.into(),
            operation: operation(Some(&message.headers)),
            value: message.payload,
            revision: message.sequence,
            delta: 0,
            created: SystemTime::from(message.time),
        }))
    }

    fn entry_from_nats(&self, entry: nats_kv::Entry) -> Entry {
        Entry {
            bucket: Arc::clone(&self.name),
            key: entry.key.into(),
            value: entry.value,
            revision: entry.revision,
            delta: entry.delta,
            created: SystemTime::from(entry.created),
            operation: match entry.operation {
                nats_kv::Operation::Put => Operation::Put,
                nats_kv::Operation::Delete => Operation::Delete,
                nats_kv::Operation::Purge => Operation::Purge,
            },
        }
    }

    /// One write: a publish to `$KV.<bucket>.<key>` with the KV headers, acknowledged by
    /// the stream. Returns the new revision.
    pub(crate) async fn write(&self, key: &str, write: Write) -> Result<u64> {
        let subject = format!("{}{key}", self.write_prefix);
        let meta = write_meta(&write);
        let mut headers = HeaderMap::new();
        if let Some(operation) = write.operation.header_value() {
            headers.insert(KV_OPERATION, operation);
        }
        if write.operation == Operation::Purge {
            headers.insert(ROLLUP, "sub");
        }
        if let Some(expected) = write.expected_revision {
            headers.insert(EXPECTED_LAST_SUBJECT_SEQUENCE, HeaderValue::from(expected));
        }
        if let Some(seconds) = write.ttl_seconds {
            headers.insert(MESSAGE_TTL, HeaderValue::from(format!("{seconds}s")));
        }
        let sent = if headers.is_empty() {
            self.context.publish(subject, write.value).await
        } else {
            self.context
                .publish_with_headers(subject, headers, write.value)
                .await
        };
        let acked = match sent {
            Ok(ack) => ack.await,
            Err(error) => Err(error),
        };
        acked
            .map(|ack| ack.sequence)
            .map_err(|error| self.write_error(key, &meta, error))
    }

    fn write_error(
        &self,
        key: &str,
        write: &WriteMeta,
        error: async_nats::jetstream::context::PublishError,
    ) -> Error {
        match error.kind() {
            PublishErrorKind::WrongLastSequence => Error::WrongRevision {
                bucket: self.name.to_string(),
                key: key.to_owned(),
                expected: write.expected_revision.unwrap_or_default(),
            },
            PublishErrorKind::StreamNotFound => Error::BucketNotFound(self.name.to_string()),
            PublishErrorKind::MaxPayloadExceeded => Error::PayloadTooLarge {
                size: write.size,
                max: self.client.server_info().max_payload,
            },
            _ => match jetstream_code(&error) {
                Some(ErrorCode::MESSAGE_TTL_DISABLED) => ttl_not_allowed(&self.name),
                Some(ErrorCode::STREAM_STORE_FAILED) if is_max_bytes(&error) => {
                    Error::BucketFull(self.name.to_string())
                }
                Some(ErrorCode::STREAM_MESSAGE_EXCEEDS_MAXIMUM) => Error::ValueTooLarge {
                    size: write.size,
                    max: self.max_value_size().unwrap_or_default(),
                },
                _ => Error::nats("kv write", error),
            },
        }
    }

    fn read_error(&self, error: impl Into<BoxError>) -> Error {
        let error = error.into();
        // A direct get that nobody answers: the bucket's stream is gone.
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error.as_ref());
        while let Some(cause) = next {
            if let Some(direct) = cause.downcast_ref::<jetstream::stream::DirectGetError>()
                && matches!(direct.kind(), DirectGetErrorKind::ErrorResponse(code, _) if code == StatusCode::NO_RESPONDERS)
            {
                return Error::BucketNotFound(self.name.to_string());
            }
            next = cause.source();
        }
        Error::Nats {
            operation: "kv read",
            source: error,
        }
    }

    /// A watch on `filters` (key filters, already validated).
    pub(crate) async fn watch(
        &self,
        filters: &[String],
        start: Start,
        meta_only: bool,
    ) -> Result<BoxStream<'static, Result<WatchEvent>>> {
        let subjects: Vec<String> = filters
            .iter()
            .map(|filter| format!("{}{filter}", self.store.prefix))
            .collect();
        let (filter_subject, filter_subjects) = match subjects.as_slice() {
            [subject] => (subject.clone(), Vec::new()),
            _ => (String::new(), subjects.clone()),
        };
        let first_revision = match start {
            Start::From(start_sequence) => start_sequence,
            Start::LastPerKey | Start::All | Start::New => 1,
        };
        let config = OrderedConfig {
            deliver_subject: self.client.new_inbox(),
            description: Some("faststream-kv watch".to_owned()),
            filter_subject,
            filter_subjects,
            replay_policy: ReplayPolicy::Instant,
            headers_only: meta_only,
            deliver_policy: match start {
                Start::LastPerKey => DeliverPolicy::LastPerSubject,
                Start::All => DeliverPolicy::All,
                Start::From(start_sequence) => DeliverPolicy::ByStartSequence { start_sequence },
                Start::New => DeliverPolicy::New,
            },
            ..OrderedConfig::default()
        };
        let consumer = self
            .store
            .stream
            .create_consumer(config)
            .await
            .map_err(|error| Error::nats("kv watch", error))?;
        let initial = consumer.cached_info().num_pending;
        let messages = consumer
            .messages()
            .await
            .map_err(|error| Error::nats("kv watch", error))?;
        Ok(NatsWatch {
            messages,
            stream: self.store.stream.clone(),
            bucket: Arc::clone(&self.name),
            prefix: self.store.prefix.clone(),
            marker: if initial == 0 {
                Marker::Due
            } else {
                Marker::Pending(initial)
            },
            subjects,
            next_revision: first_revision,
            failed: false,
        }
        .into_events())
    }

    pub(crate) async fn status(&self) -> Result<KvStatus> {
        let mut stream = self.store.stream.clone();
        let info = stream
            .info()
            .await
            .map_err(|error| Error::nats("kv status", error))?;
        Ok(status_from_info(&self.name, info))
    }
}

/// What `write_error` needs after the write's value was moved into the publish.
struct WriteMeta {
    expected_revision: Option<u64>,
    size: usize,
}

fn write_meta(write: &Write) -> WriteMeta {
    WriteMeta {
        expected_revision: write.expected_revision,
        size: write.value.len(),
    }
}

/// The JetStream error code somewhere in `error`'s chain: as a source, or inside the
/// kind of a stream-management error.
fn jetstream_code(error: &(dyn std::error::Error + 'static)) -> Option<ErrorCode> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(jetstream) = error.downcast_ref::<jetstream::Error>() {
            return Some(jetstream.error_code());
        }
        if let Some(get) = error.downcast_ref::<GetStreamError>()
            && let GetStreamErrorKind::JetStream(jetstream) = get.kind()
        {
            return Some(jetstream.error_code());
        }
        if let Some(create) = error.downcast_ref::<CreateStreamError>()
            && let CreateStreamErrorKind::JetStream(jetstream) = create.kind()
        {
            return Some(jetstream.error_code());
        }
        next = error.source();
    }
    None
}

fn is_max_bytes(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut text = error.to_string();
    if let Some(source) = error.source() {
        text.push_str(&source.to_string());
    }
    text.contains("maximum bytes")
}

/// The operation a stored message records: the `KV-Operation` header, or for a marker
/// the server left (TTL expiry, `Nats-Marker-Reason`), a purge or delete.
fn operation(headers: Option<&HeaderMap>) -> Operation {
    let Some(headers) = headers else {
        return Operation::Put;
    };
    match headers.get(KV_OPERATION).map(HeaderValue::as_str) {
        Some("DEL") => return Operation::Delete,
        Some("PURGE") => return Operation::Purge,
        _ => {}
    }
    match headers.get(MARKER_REASON).map(HeaderValue::as_str) {
        Some("Remove") => Operation::Delete,
        Some(_) => Operation::Purge,
        None => Operation::Put,
    }
}

/// How long a watch still expecting initial values waits for one before it asks the
/// stream whether any is left.
const INITIAL_QUIET: Duration = Duration::from_millis(500);

/// Whether the end-of-initial-data marker was sent.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Marker {
    /// Initial values are still coming: this many more (the consumer's pending count
    /// when it was created). A write made after that comes after the marker, even if it
    /// reached the stream before the last initial value was delivered.
    Pending(u64),
    /// The last initial value was delivered; the marker goes next.
    Due,
    /// Sent.
    Sent,
}

/// Turns an ordered consumer's messages into watch events.
struct NatsWatch {
    messages: Ordered,
    /// The bucket's stream, to tell a restarting server from a deleted bucket.
    stream: jetstream::stream::Stream,
    bucket: Arc<str>,
    prefix: String,
    marker: Marker,
    /// The stream subjects watched, to look for initial values still to come.
    subjects: Vec<String>,
    /// The lowest revision an initial value not delivered yet can have.
    next_revision: u64,
    /// The ordered consumer failed for good (e.g. its client closed); polling it again
    /// would panic inside async-nats, so the watch ends instead.
    failed: bool,
}

impl NatsWatch {
    fn into_events(self) -> BoxStream<'static, Result<WatchEvent>> {
        futures::stream::unfold(self, |mut watch| async move {
            let event = watch.next_event().await?;
            Some((event, watch))
        })
        .boxed()
    }

    /// The next event; `None` once the bucket is gone.
    async fn next_event(&mut self) -> Option<Result<WatchEvent>> {
        if self.failed {
            return None;
        }
        if self.marker == Marker::Due {
            self.marker = Marker::Sent;
            return Some(Ok(WatchEvent::EndOfInitialData));
        }
        let message = loop {
            let next = if let Marker::Pending(_) = self.marker {
                // Initial values counted when the consumer was created can vanish before
                // they are delivered (a TTL or a purge elsewhere): a quiet consumer is
                // asked whether any is left, so the marker still comes.
                match tokio::time::timeout(INITIAL_QUIET, self.messages.next()).await {
                    Ok(next) => next,
                    Err(_quiet) => {
                        if self.initial_values_gone().await {
                            self.marker = Marker::Sent;
                            return Some(Ok(WatchEvent::EndOfInitialData));
                        }
                        continue;
                    }
                }
            } else {
                self.messages.next().await
            };
            match next? {
                Ok(message) => break message,
                // The consumer went quiet. After a server restart or reconnect the
                // ordered consumer recreates itself after the last delivered revision
                // when polled again; if the bucket was deleted, the watch ends.
                Err(error) if error.kind() == OrderedErrorKind::MissingHeartbeat => {
                    if self.bucket_deleted().await {
                        return None;
                    }
                    tracing::debug!(bucket = %self.bucket, "kv watch missed heartbeats; resuming");
                }
                Err(error) => {
                    self.failed = true;
                    return Some(Err(Error::nats("kv watch", error)));
                }
            }
        };
        let info = match message.info() {
            Ok(info) => info,
            Err(error) => return Some(Err(Error::nats("kv watch", error))),
        };
        let (revision, delta, created) = (
            info.stream_sequence,
            info.pending,
            SystemTime::from(info.published),
        );
        self.next_revision = revision + 1;
        if let Marker::Pending(remaining) = self.marker {
            // `delta == 0` also ends it: after a consumer reset the count may be off.
            self.marker = if remaining <= 1 || delta == 0 {
                Marker::Due
            } else {
                Marker::Pending(remaining - 1)
            };
        }
        let key = message
            .subject
            .strip_prefix(self.prefix.as_str())
            .unwrap_or(&message.subject);
        Some(Ok(WatchEvent::Entry(Entry {
            bucket: Arc::clone(&self.bucket),
            key: key.into(),
            operation: operation(message.headers.as_ref()),
            value: message.payload.clone(),
            revision,
            delta,
            created,
        })))
    }

    /// Whether the stream holds no message for the watched subjects from
    /// `next_revision` on: the initial values still counted are gone. Unsure (the server
    /// did not answer) counts as not gone; the watch asks again after the next quiet
    /// spell.
    async fn initial_values_gone(&mut self) -> bool {
        for subject in &self.subjects {
            let next = self
                .stream
                .raw_message_builder()
                .sequence(self.next_revision)
                .next_by_subject(subject.as_str())
                .send()
                .await;
            match next {
                Err(error) if error.kind() == LastRawMessageErrorKind::NoMessageFound => {}
                _ => return false,
            }
        }
        true
    }

    /// Whether the server says the bucket's stream no longer exists (an unreachable
    /// server says nothing: the watch keeps waiting for it).
    async fn bucket_deleted(&mut self) -> bool {
        match self.stream.info().await {
            Ok(_) => false,
            Err(error) => jetstream_code(&error) == Some(ErrorCode::STREAM_NOT_FOUND),
        }
    }
}

/// Bucket management on a NATS server.
pub(crate) async fn bind(client: &async_nats::Client, bucket: &str) -> Result<NatsBucket> {
    let context = jetstream::new(client.clone());
    match context.get_key_value(bucket).await {
        Ok(store) => Ok(NatsBucket::new(store, context, client.clone())),
        Err(error) if is_not_found(&error) => Err(Error::BucketNotFound(bucket.to_owned())),
        Err(error) => Err(Error::nats("kv bind", error)),
    }
}

pub(crate) async fn create(client: &async_nats::Client, config: &KvConfig) -> Result<NatsBucket> {
    let context = jetstream::new(client.clone());
    let store = match context.create_key_value(nats_config(config)).await {
        Ok(store) => store,
        Err(error) if error.kind() == CreateKeyValueErrorKind::LimitMarkersNotSupported => {
            return Err(Error::Unsupported {
                backend: "nats",
                what: "per-key TTLs (`key_ttl_markers` needs nats-server >= 2.11)".to_owned(),
            });
        }
        Err(error) if jetstream_code(&error) == Some(ErrorCode::STREAM_NAME_EXIST) => {
            return Err(Error::BucketExists(config.bucket.clone()));
        }
        Err(error) => return Err(Error::nats("kv create", error)),
    };
    Ok(NatsBucket::new(store, context, client.clone()))
}

pub(crate) async fn delete(client: &async_nats::Client, bucket: &str) -> Result<()> {
    let context = jetstream::new(client.clone());
    match context.delete_key_value(bucket).await {
        Ok(_) => Ok(()),
        Err(error) if is_not_found(&error) => Err(Error::BucketNotFound(bucket.to_owned())),
        Err(error) => Err(Error::nats("kv delete", error)),
    }
}

pub(crate) async fn list(client: &async_nats::Client) -> Result<Vec<KvStatus>> {
    let context = jetstream::new(client.clone());
    let streams: Vec<_> = context
        .streams()
        .try_collect()
        .await
        .map_err(|error| Error::nats("kv list", error))?;
    let mut buckets: Vec<KvStatus> = streams
        .iter()
        .filter(|info| info.config.max_messages_per_subject >= 1)
        .filter_map(|info| {
            let bucket = info.config.name.strip_prefix("KV_")?;
            Some(status_from_info(bucket, info))
        })
        .collect();
    buckets.sort_by(|a, b| a.config.bucket.cmp(&b.config.bucket));
    Ok(buckets)
}

fn is_not_found(error: &(dyn std::error::Error + 'static)) -> bool {
    jetstream_code(error) == Some(ErrorCode::STREAM_NOT_FOUND)
}

fn nats_config(config: &KvConfig) -> nats_kv::Config {
    nats_kv::Config {
        bucket: config.bucket.clone(),
        description: config.description.clone(),
        history: i64::from(config.history),
        max_age: config.max_age.unwrap_or_default(),
        max_bytes: config
            .max_bytes
            .map_or(-1, |bytes| i64::try_from(bytes).unwrap_or(i64::MAX)),
        max_value_size: config
            .max_value_size
            .map_or(-1, |size| i32::try_from(size).unwrap_or(i32::MAX)),
        storage: match config.storage {
            Storage::File => StorageType::File,
            Storage::Memory => StorageType::Memory,
        },
        num_replicas: config.replicas,
        compression: config.compression,
        limit_markers: config.key_ttl_markers,
        ..nats_kv::Config::default()
    }
}

fn status_from_info(bucket: &str, info: &jetstream::stream::Info) -> KvStatus {
    let stream = &info.config;
    let positive = |value: i64| u64::try_from(value).ok().filter(|value| *value > 0);
    KvStatus {
        config: KvConfig {
            bucket: bucket.to_owned(),
            description: stream.description.clone().unwrap_or_default(),
            history: u8::try_from(stream.max_messages_per_subject).unwrap_or(u8::MAX),
            max_age: Some(stream.max_age).filter(|age| !age.is_zero()),
            max_bytes: positive(stream.max_bytes),
            max_value_size: u32::try_from(stream.max_message_size)
                .ok()
                .filter(|size| *size > 0),
            storage: match stream.storage {
                StorageType::File => Storage::File,
                StorageType::Memory => Storage::Memory,
            },
            replicas: stream.num_replicas.max(1),
            compression: matches!(stream.compression, Some(Compression::S2)),
            key_ttl_markers: stream
                .subject_delete_marker_ttl
                .filter(|_| stream.allow_message_ttl)
                .or_else(|| stream.allow_message_ttl.then_some(Duration::ZERO)),
        },
        values: info.state.messages,
        bytes: info.state.bytes,
        last_revision: info.state.last_sequence,
    }
}
