//! Key-Value on NATS: a bucket is a JetStream stream `KV_<bucket>` with subjects
//! `$KV.<bucket>.<key>`. Reads and bucket management go through async-nats; writes
//! publish with the KV headers themselves (so TTLs and expected revisions are exact);
//! watches run an ordered consumer and add the end-of-initial-data marker that
//! async-nats's own watch lacks.

mod admin;
mod convert;
mod initial;
mod stream_config;
mod stream_sources;
mod watch;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_nats::StatusCode;
use async_nats::jetstream::context::{PublishError, PublishErrorKind};
use async_nats::jetstream::kv::Store as NatsStore;
use async_nats::jetstream::stream::{DirectGetErrorKind, LastRawMessageErrorKind};
use async_nats::jetstream::{self, ErrorCode};
use futures::future::BoxFuture;

pub(crate) use admin::{bind, create, delete, statuses, update};
use convert::{entry_from_nats, operation_of, status_from_info};
use watch::NatsWatch;

use super::connection::bounded;
use super::error::{is_stream_not_found, jetstream_code, nats_error};
use super::jetstream::JetStream;
use crate::backend_kind::BackendKind;
use crate::error::{BoxError, Error, NatsOperation, Result};
use crate::kv::store::{Events, Start, Store, Write};
use crate::kv::ttl::ttl_not_allowed;
use crate::kv::{self, Entry};
use crate::wire;

/// What the server may store with a record beyond its subject and value: the headers we
/// send and its own per-message overhead, generously.
const RECORD_OVERHEAD: usize = 128;

/// How long a call nobody answered waits for the stream's info to tell a deleted bucket
/// from one electing its leader.
const GONE_CHECK: Duration = Duration::from_secs(1);

/// One bound bucket on a NATS server.
pub(crate) struct NatsBucket {
    store: NatsStore,
    context: jetstream::Context,
    client: async_nats::Client,
    name: Arc<str>,
    /// Where writes go: `$KV.<bucket>.` (a mirror: its origin's prefix), behind the API
    /// prefix of another domain or account.
    write_prefix: Arc<str>,
    /// How long one call may take.
    bound: Duration,
}

impl NatsBucket {
    fn new(store: NatsStore, jetstream: &JetStream) -> Self {
        let subjects = store.put_prefix.as_ref().unwrap_or(&store.prefix);
        let write_prefix = match jetstream.write_prefix() {
            Some(api) if store.use_jetstream_prefix => format!("{api}.{subjects}"),
            _ => subjects.clone(),
        };
        Self {
            name: store.name.as_str().into(),
            write_prefix: write_prefix.into(),
            store,
            context: jetstream.context().clone(),
            client: jetstream.client(),
            bound: jetstream.bound(),
        }
    }

    /// The latest revision of `key` (or revision `revision`), markers included.
    async fn read(&self, key: &str, revision: Option<u64>) -> Result<Option<Entry>> {
        let Some(revision) = revision else {
            return match self.store.entry(key).await {
                Ok(entry) => Ok(entry.map(|entry| entry_from_nats(&self.name, entry))),
                Err(error) => Err(self.read_error(error).await),
            };
        };
        let message = match self.store.stream.get_raw_message(revision).await {
            Ok(message) => message,
            Err(error) if error.kind() == LastRawMessageErrorKind::NoMessageFound => {
                return Ok(None);
            }
            Err(error) => return Err(self.read_error(error).await),
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
            operation: operation_of(Some(&message.headers)),
            value: message.payload,
            revision: message.sequence,
            delta: 0,
            created: SystemTime::from(message.time),
        }))
    }

    /// One write: a publish to `$KV.<bucket>.<key>` with the KV headers, acknowledged by
    /// the stream. Returns the new revision.
    async fn publish(&self, key: &str, write: Write) -> Result<u64> {
        let subject = format!("{}{key}", self.write_prefix);
        let (expected_revision, size) = (write.expected_revision, write.value.len());
        let record = subject.len() + size + RECORD_OVERHEAD;
        let headers = wire::write_headers(write.operation, expected_revision, write.ttl_seconds);
        let message = wire::headers_wire_len(&headers) + size;
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
        match acked {
            Ok(ack) => Ok(ack.sequence),
            Err(error) => Err(self
                .write_error(key, expected_revision, (size, message, record), error)
                .await),
        }
    }

    async fn write_error(
        &self,
        key: &str,
        expected_revision: Option<u64>,
        (size, message, record): (usize, usize, usize),
        error: PublishError,
    ) -> Error {
        match error.kind() {
            PublishErrorKind::WrongLastSequence => Error::WrongRevision {
                bucket: self.name.to_string(),
                key: key.to_owned(),
                expected: expected_revision.unwrap_or_default(),
            },
            // Nobody answered: the stream is gone, or electing a leader.
            PublishErrorKind::StreamNotFound => {
                self.gone_or_unavailable(NatsOperation::KvWrite).await
            }
            PublishErrorKind::TimedOut => Error::Unavailable {
                operation: NatsOperation::KvWrite,
                after: self.bound,
                may_have_landed: true,
            },
            PublishErrorKind::MaxPayloadExceeded => Error::PayloadTooLarge {
                size: message,
                max: self.client.server_info().max_payload,
            },
            _ => match jetstream_code(&error) {
                Some(ErrorCode::MESSAGE_TTL_DISABLED) => ttl_not_allowed(&self.name),
                Some(ErrorCode::STREAM_MESSAGE_EXCEEDS_MAXIMUM) => Error::ValueTooLarge {
                    size,
                    max: self.max_value_size().unwrap_or_default(),
                },
                // The store refused the write: with `max_bytes` and discard-new, the
                // bucket is full when the write no longer fits.
                Some(ErrorCode::STREAM_STORE_FAILED) if self.is_full(record).await => {
                    Error::BucketFull {
                        bucket: self.name.to_string(),
                    }
                }
                _ => nats_error(NatsOperation::KvWrite, error),
            },
        }
    }

    /// Whether a record of `record` bytes exceeds the bucket's `max_bytes`, by the
    /// stream's state.
    async fn is_full(&self, record: usize) -> bool {
        let mut stream = self.store.stream.clone();
        let Ok(info) = stream.info().await else {
            return false;
        };
        let Ok(max) = u64::try_from(info.config.max_bytes) else {
            return false;
        };
        info.state.bytes.saturating_add(record as u64) > max
    }

    async fn read_error(&self, error: impl Into<BoxError>) -> Error {
        let error = error.into();
        // A direct get that nobody answers: the bucket's stream is gone, or electing a
        // leader.
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error.as_ref());
        while let Some(cause) = next {
            if let Some(direct) = cause.downcast_ref::<jetstream::stream::DirectGetError>()
                && matches!(direct.kind(), DirectGetErrorKind::ErrorResponse(code, _) if code == StatusCode::NO_RESPONDERS)
            {
                return self.gone_or_unavailable(NatsOperation::KvRead).await;
            }
            next = cause.source();
        }
        nats_error(NatsOperation::KvRead, error)
    }

    /// After a request nobody answered: [`Error::BucketNotFound`] if the server says the
    /// stream does not exist, otherwise [`Error::Unavailable`] (its replicas are electing
    /// a leader, or the server cannot be reached). The question is bounded by
    /// [`GONE_CHECK`]: while the cluster elects its leaders it goes unanswered, and the
    /// caller's retry should not wait for the request bound.
    async fn gone_or_unavailable(&self, operation: NatsOperation) -> Error {
        let mut stream = self.store.stream.clone();
        let asked = Instant::now();
        let info = tokio::time::timeout(self.bound.min(GONE_CHECK), stream.info()).await;
        match info {
            Ok(Err(error)) if is_stream_not_found(&error) => Error::BucketNotFound {
                bucket: self.name.to_string(),
            },
            _ => Error::Unavailable {
                operation,
                after: asked.elapsed(),
                may_have_landed: false,
            },
        }
    }

    /// A watch on `filters` (key filters, already validated).
    async fn open_watch(
        &self,
        filters: &[String],
        start: Start,
        meta_only: bool,
    ) -> Result<Events> {
        let subjects: Vec<String> = filters
            .iter()
            .map(|filter| format!("{}{filter}", self.store.prefix))
            .collect();
        NatsWatch::open(
            &self.store,
            &self.client,
            &self.name,
            subjects,
            start,
            meta_only,
        )
        .await
    }

    async fn read_status(&self) -> Result<kv::Status> {
        let mut stream = self.store.stream.clone();
        let info = stream
            .info()
            .await
            .map_err(|error| nats_error(NatsOperation::KvStatus, error))?;
        Ok(status_from_info(&self.name, info))
    }
}

impl Store for NatsBucket {
    fn name(&self) -> &Arc<str> {
        &self.name
    }

    fn kind(&self) -> BackendKind {
        BackendKind::Nats
    }

    fn max_value_size(&self) -> Option<usize> {
        let size = stream_config::max_value_size(&self.store.stream.cached_info().config)?;
        usize::try_from(size).ok()
    }

    fn entry<'a>(
        &'a self,
        key: &'a str,
        revision: Option<u64>,
    ) -> BoxFuture<'a, Result<Option<Entry>>> {
        let read = self.read(key, revision);
        Box::pin(bounded(NatsOperation::KvRead, self.bound, false, read))
    }

    fn write<'a>(&'a self, key: &'a str, write: Write) -> BoxFuture<'a, Result<u64>> {
        let publish = self.publish(key, write);
        Box::pin(bounded(NatsOperation::KvWrite, self.bound, true, publish))
    }

    fn purge_revisions<'a>(&'a self, key: &'a str, keep: u64) -> BoxFuture<'a, Result<()>> {
        let purge = async move {
            let subject = format!("{}{key}", self.store.prefix);
            let purge = self.store.stream.purge().filter(subject);
            let purged = if keep == 0 {
                purge.await
            } else {
                purge.keep(keep).await
            };
            purged
                .map(drop)
                .map_err(|error| nats_error(NatsOperation::KvPurge, error))
        };
        Box::pin(bounded(NatsOperation::KvPurge, self.bound, false, purge))
    }

    fn watch<'a>(
        &'a self,
        filters: &'a [String],
        start: Start,
        meta_only: bool,
    ) -> BoxFuture<'a, Result<Events>> {
        let open = self.open_watch(filters, start, meta_only);
        Box::pin(bounded(NatsOperation::KvWatch, self.bound, false, open))
    }

    fn status(&self) -> BoxFuture<'_, Result<kv::Status>> {
        let status = self.read_status();
        Box::pin(bounded(NatsOperation::KvStatus, self.bound, false, status))
    }
}
