//! A NATS watch: an ordered consumer's messages as [`WatchEvent`]s, with the
//! end-of-initial-data marker (see [`InitialValues`]). The consumer resumes by itself
//! after restarts and failovers, and ends when the server announces the deletion of the
//! bucket's stream.

use std::sync::Arc;

use async_nats::jetstream::consumer::DeliverPolicy;
use async_nats::jetstream::kv::Store as NatsStore;
use async_nats::jetstream::stream::{LastRawMessageErrorKind, Stream as JetStream};
use futures::StreamExt;

use super::convert::operation_of;
use super::initial::InitialValues;
use crate::backend::nats::ordered_consumer::{Next, OrderedConsumer, OrderedOptions};
use crate::error::{NatsOperation, Result};
use crate::kv::store::{Events, Start};
use crate::kv::{Entry, WatchEvent};

/// Turns an ordered consumer's messages into watch events.
pub(super) struct NatsWatch {
    consumer: OrderedConsumer,
    /// The bucket's stream, to look for initial values still to come.
    stream: JetStream,
    bucket: Arc<str>,
    prefix: String,
    initial: InitialValues,
    /// The stream subjects watched.
    subjects: Vec<String>,
    /// The lowest revision an initial value not delivered yet can have.
    next_revision: u64,
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
        let options = OrderedOptions {
            filter_subjects: subjects.clone(),
            deliver_policy: match start {
                Start::LastPerKey => DeliverPolicy::LastPerSubject,
                Start::All => DeliverPolicy::All,
                Start::From(start_sequence) => DeliverPolicy::ByStartSequence { start_sequence },
                Start::New => DeliverPolicy::New,
            },
            headers_only: meta_only,
            description: "faststream-kv watch",
        };
        let (consumer, pending) =
            OrderedConsumer::open(client, &store.stream, options, NatsOperation::KvWatch).await?;
        let watch = NatsWatch {
            consumer,
            stream: store.stream.clone(),
            bucket: Arc::clone(bucket),
            prefix: store.prefix.clone(),
            initial: InitialValues::new(pending),
            subjects,
            next_revision: match start {
                Start::From(start_sequence) => start_sequence,
                Start::LastPerKey | Start::All | Start::New => 1,
            },
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

    /// The next event; `None` once the bucket is gone or the client closed. The rare
    /// wait (asking the stream) is boxed: this future is built for every event, and
    /// moving it costs its size.
    async fn next_event(&mut self) -> Option<Result<WatchEvent>> {
        if self.initial.take_due() {
            return Some(Ok(WatchEvent::EndOfInitialData));
        }
        let (message, delivered) = loop {
            match self.consumer.next(self.initial.is_pending()).await? {
                Next::Message(message, delivered) => break (message, delivered),
                // Initial values counted when the consumer was created can vanish
                // before they are delivered (a TTL or a purge elsewhere): a quiet
                // consumer is asked whether any is left, so the marker still comes.
                Next::Quiet => {
                    if Box::pin(self.initial_values_gone()).await {
                        self.initial.vanished();
                        return Some(Ok(WatchEvent::EndOfInitialData));
                    }
                }
                Next::StreamDeleted => return None,
            }
        };
        let (revision, delta) = (delivered.stream_sequence, delivered.pending);
        self.next_revision = revision + 1;
        self.initial.delivered(delta);
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
            created: delivered.published,
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
}
