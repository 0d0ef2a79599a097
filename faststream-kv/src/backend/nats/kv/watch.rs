//! A NATS watch: an ordered consumer's messages as [`WatchEvent`]s, with the
//! end-of-initial-data marker (see [`InitialValues`]) and the resume after a server
//! restart that the ordered consumer provides. It ends when the server announces the
//! deletion of the bucket's stream (the consumer itself would only go quiet).

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_nats::jetstream::consumer::push::{Ordered, OrderedConfig, OrderedErrorKind};
use async_nats::jetstream::consumer::{DeliverPolicy, ReplayPolicy};
use async_nats::jetstream::kv::Store as NatsStore;
use async_nats::jetstream::stream::{LastRawMessageErrorKind, Stream as JetStream};
use futures::StreamExt;
use tokio::time::{Instant, Sleep};

use super::convert::operation_of;
use super::initial::InitialValues;
use crate::backend::nats::error::{is_stream_not_found, nats_error};
use crate::error::{NatsOperation, Result};
use crate::kv::store::{Events, Start};
use crate::kv::{Entry, WatchEvent};

/// How long a watch still expecting initial values waits for one before it asks the
/// stream whether any is left.
const INITIAL_QUIET: Duration = Duration::from_millis(500);

/// Turns an ordered consumer's messages into watch events.
pub(super) struct NatsWatch {
    messages: Ordered,
    /// The bucket's stream, to tell a restarting server from a deleted bucket.
    stream: JetStream,
    bucket: Arc<str>,
    prefix: String,
    initial: InitialValues,
    /// The stream subjects watched, to look for initial values still to come.
    subjects: Vec<String>,
    /// The lowest revision an initial value not delivered yet can have.
    next_revision: u64,
    /// The ordered consumer failed for good (e.g. its client closed); polling it again
    /// would panic inside async-nats, so the watch ends instead.
    failed: bool,
    /// JetStream's advisory of the stream's deletion.
    deleted: async_nats::Subscriber,
    /// Fires every [`INITIAL_QUIET`] while initial values are still counted; one
    /// timer for the watch, not one per message.
    quiet: Pin<Box<Sleep>>,
    /// Whether a message came since `quiet` was last armed.
    progressed: bool,
}

/// The subject on which JetStream announces that `stream` was deleted.
fn deleted_advisory(stream: &str) -> String {
    format!("$JS.EVENT.ADVISORY.STREAM.DELETED.{stream}")
}

impl NatsWatch {
    /// Creates the consumer on the stream subjects `subjects` and returns its events.
    pub(super) async fn open(
        store: &NatsStore,
        client: &async_nats::Client,
        bucket: &Arc<str>,
        subjects: Vec<String>,
        start: Start,
        meta_only: bool,
    ) -> Result<Events> {
        let (filter_subject, filter_subjects) = match subjects.as_slice() {
            [subject] => (subject.clone(), Vec::new()),
            _ => (String::new(), subjects.clone()),
        };
        let first_revision = match start {
            Start::From(start_sequence) => start_sequence,
            Start::LastPerKey | Start::All | Start::New => 1,
        };
        let config = OrderedConfig {
            deliver_subject: client.new_inbox(),
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
        // Subscribed before the consumer exists, so that no deletion goes unseen.
        let deleted = client
            .subscribe(deleted_advisory(&store.stream_name))
            .await
            .map_err(|error| nats_error(NatsOperation::KvWatch, error))?;
        let consumer = store
            .stream
            .create_consumer(config)
            .await
            .map_err(|error| nats_error(NatsOperation::KvWatch, error))?;
        let pending = consumer.cached_info().num_pending;
        let messages = consumer
            .messages()
            .await
            .map_err(|error| nats_error(NatsOperation::KvWatch, error))?;
        let watch = NatsWatch {
            messages,
            stream: store.stream.clone(),
            bucket: Arc::clone(bucket),
            prefix: store.prefix.clone(),
            initial: InitialValues::new(pending),
            subjects,
            next_revision: first_revision,
            failed: false,
            deleted,
            quiet: Box::pin(tokio::time::sleep(INITIAL_QUIET)),
            progressed: false,
        };
        // Boxed, so that each event moves a pointer instead of the whole watch.
        Ok(
            futures::stream::unfold(Box::new(watch), |mut watch| async move {
                let event = watch.next_event().await?;
                Some((event, watch))
            })
            .boxed(),
        )
    }

    /// The next event; `None` once the bucket is gone. The rare waits (asking the
    /// stream) are boxed: this future is built for every event, and moving it costs its
    /// size.
    async fn next_event(&mut self) -> Option<Result<WatchEvent>> {
        if self.failed {
            return None;
        }
        if self.initial.take_due() {
            return Some(Ok(WatchEvent::EndOfInitialData));
        }
        let message = loop {
            // The consumer first: while messages come, nothing else is polled.
            let next = tokio::select! {
                biased;
                next = self.messages.next() => next,
                Some(_) = self.deleted.next() => return None,
                () = self.quiet.as_mut(), if self.initial.is_pending() => {
                    // Initial values counted when the consumer was created can vanish
                    // before they are delivered (a TTL or a purge elsewhere): a consumer
                    // quiet for a whole period is asked whether any is left, so the
                    // marker still comes.
                    let progressed = std::mem::take(&mut self.progressed);
                    self.quiet.as_mut().reset(Instant::now() + INITIAL_QUIET);
                    if !progressed && Box::pin(self.initial_values_gone()).await {
                        self.initial.vanished();
                        return Some(Ok(WatchEvent::EndOfInitialData));
                    }
                    continue;
                }
            };
            self.progressed = true;
            match next? {
                Ok(message) => break message,
                // The consumer went quiet. After a server restart or reconnect the
                // ordered consumer recreates itself after the last delivered revision
                // when polled again; if the bucket was deleted, the watch ends.
                Err(error) if error.kind() == OrderedErrorKind::MissingHeartbeat => {
                    if Box::pin(self.bucket_deleted()).await {
                        return None;
                    }
                    tracing::debug!(bucket = %self.bucket, "kv watch missed heartbeats; resuming");
                }
                Err(error) => {
                    self.failed = true;
                    return Some(Err(nats_error(NatsOperation::KvWatch, error)));
                }
            }
        };
        let info = match message.info() {
            Ok(info) => info,
            Err(error) => return Some(Err(nats_error(NatsOperation::KvWatch, error))),
        };
        let (revision, delta, created) = (
            info.stream_sequence,
            info.pending,
            SystemTime::from(info.published),
        );
        self.next_revision = revision + 1;
        self.initial.delivered(delta);
        // Taken apart, so that the value moves out instead of being shared and released.
        let message = message.message;
        let key = message
            .subject
            .strip_prefix(self.prefix.as_str())
            .unwrap_or(&message.subject);
        Some(Ok(WatchEvent::Entry(Entry {
            bucket: Arc::clone(&self.bucket),
            key: key.into(),
            operation: operation_of(message.headers.as_ref()),
            value: message.payload,
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
            Err(error) => is_stream_not_found(&error),
        }
    }
}
