//! JetStream streams: declared, bound, inspected, purged, published to with an
//! acknowledgement — the same on a NATS server and on the embedded memory broker,
//! which emulates them.
//!
//! ```
//! use faststream_kv::jetstream::{PublishOptions, StreamConfig};
//! use faststream_kv::prelude::*;
//!
//! # #[tokio::main] async fn main() -> Result<(), Error> {
//! let broker = Broker::memory();
//! let orders = broker
//!     .stream("ORDERS")
//!     .declare(StreamConfig {
//!         subjects: vec!["orders.>".to_owned()],
//!         ..StreamConfig::default()
//!     })
//!     .await?;
//! let ack = broker
//!     .stream_publish_with("orders.eu.1", "{}", PublishOptions::new().message_id("1"))
//!     .await?;
//! assert_eq!((ack.stream.as_str(), ack.sequence), ("ORDERS", 1));
//! assert_eq!(orders.info().await?.state.messages, 1);
//! # Ok(()) }
//! ```

mod ack_policy;
mod acker;
mod batch_parts;
mod config;
mod consumer;
mod info;
mod js_message;
mod names;
mod publish;
mod push_consumer;
pub(crate) mod store;
mod stored_message;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

pub use crate::error::LastSequenceOf;
pub use ack_policy::{AckPolicy, NAK_DELAY_FIRST, NAK_DELAY_MAX, nak_delay};
pub use acker::Acker;
pub(crate) use acker::HandedOut;
pub(crate) use batch_parts::BatchParts;
pub use config::{Discard, Retention, Storage, StreamConfig};
pub(crate) use consumer::DEFAULT_MAX_ACK_PENDING;
pub use consumer::{
    Consumer, ConsumerAckPolicy, ConsumerConfig, ConsumerInfo, DEFAULT_ACK_WAIT, DeliverPolicy,
    SequencePair,
};
pub use info::{StreamInfo, StreamState};
pub use js_message::{JsMessage, MessageInfo};
pub use names::{MAX_STREAM_NAME_LEN, validate_stream_name};
pub(crate) use publish::header;
pub use publish::{PublishAck, PublishOptions, Rollup};
pub use push_consumer::{PushConsumer, PushMessages};
pub use stored_message::StoredMessage;

use crate::error::Result;
use store::{Purge, StreamStore};

/// A handle to one stream; clones share it. Get one from
/// [`Broker::stream`](crate::Broker::stream).
#[derive(Clone)]
pub struct Stream {
    store: Arc<dyn StreamStore>,
}

impl Stream {
    pub(crate) fn new(store: Arc<dyn StreamStore>) -> Self {
        Self { store }
    }

    /// The stream's name.
    pub fn name(&self) -> &str {
        self.store.name()
    }

    /// Its configuration and state, fresh from the server.
    ///
    /// # Errors
    ///
    /// [`Error::StreamNotFound`](crate::Error::StreamNotFound) once it is deleted;
    /// [`Error::Nats`](crate::Error::Nats) when the server fails.
    pub async fn info(&self) -> Result<StreamInfo> {
        self.store.info().await
    }

    /// Removes every message; returns how many. Sequences go on from where they were.
    ///
    /// # Errors
    ///
    /// [`Error::StreamDenies`](crate::Error::StreamDenies) with `deny_purge`; as
    /// [`info`](Self::info).
    pub async fn purge(&self) -> Result<u64> {
        self.store.purge(Purge::default()).await
    }

    /// Removes the messages on subjects matching `filter` but the newest `keep`
    /// (`0`: all of them); returns how many.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSubject`](crate::Error::InvalidSubject) for a bad filter; as
    /// [`purge`](Self::purge).
    pub async fn purge_subject(&self, filter: &str, keep: u64) -> Result<u64> {
        crate::subject::validate_subscribe_subject(filter)?;
        let purge = Purge {
            filter: Some(filter.to_owned()),
            keep: (keep > 0).then_some(keep),
            before: None,
        };
        self.store.purge(purge).await
    }

    /// Removes every message stored before `sequence`; returns how many. Past the last
    /// sequence, the stream's sequences go on from `sequence`, as the server compacts
    /// it.
    ///
    /// # Errors
    ///
    /// As [`purge`](Self::purge).
    pub async fn purge_before(&self, sequence: u64) -> Result<u64> {
        let purge = Purge {
            before: Some(sequence),
            ..Purge::default()
        };
        self.store.purge(purge).await
    }

    /// Removes the messages on subjects matching `filter` stored before `sequence`;
    /// returns how many.
    ///
    /// # Errors
    ///
    /// As [`purge_subject`](Self::purge_subject).
    pub async fn purge_subject_before(&self, filter: &str, sequence: u64) -> Result<u64> {
        crate::subject::validate_subscribe_subject(filter)?;
        let purge = Purge {
            filter: Some(filter.to_owned()),
            keep: None,
            before: Some(sequence),
        };
        self.store.purge(purge).await
    }

    /// How many messages each subject matching `filter` (`>`: every subject) has
    /// stored; subjects without messages are left out.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSubject`](crate::Error::InvalidSubject) for a bad filter; as
    /// [`info`](Self::info).
    pub async fn subject_counts(&self, filter: &str) -> Result<BTreeMap<String, u64>> {
        crate::subject::validate_subscribe_subject(filter)?;
        self.store.subject_counts(filter).await
    }

    /// The sequences deleted between the stream's first and last one, in order (their
    /// number is [`StreamState::deleted`]).
    ///
    /// # Errors
    ///
    /// As [`info`](Self::info).
    pub async fn deleted_sequences(&self) -> Result<Vec<u64>> {
        self.store.deleted_sequences().await
    }

    /// The message stored under `sequence`, if it is still there.
    ///
    /// # Errors
    ///
    /// As [`info`](Self::info).
    pub async fn message(&self, sequence: u64) -> Result<Option<StoredMessage>> {
        self.store.message(sequence).await
    }

    /// The newest message on a subject matching `filter` (a subject, or a wildcard
    /// pattern: `orders.*.created`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSubject`](crate::Error::InvalidSubject) for a bad filter; as
    /// [`info`](Self::info).
    pub async fn last_message(&self, filter: &str) -> Result<Option<StoredMessage>> {
        crate::subject::validate_subscribe_subject(filter)?;
        self.store.last_message(filter).await
    }

    /// Removes the message stored under `sequence`; `false` if there was none.
    ///
    /// # Errors
    ///
    /// [`Error::StreamDenies`](crate::Error::StreamDenies) with `deny_delete`; as
    /// [`info`](Self::info).
    pub async fn delete_message(&self, sequence: u64) -> Result<bool> {
        self.store.delete_message(sequence).await
    }

    /// Creates a pull consumer; a durable one that exists with the same configuration
    /// is returned as it is, with another one updated when the server allows the
    /// change.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`](crate::Error::InvalidConfig) /
    /// [`Error::InvalidSubject`](crate::Error::InvalidSubject) before anything is sent;
    /// [`Error::ConsumerExists`](crate::Error::ConsumerExists) for a change the server
    /// cannot make (naming it); as [`info`](Self::info).
    pub async fn create_consumer(&self, config: ConsumerConfig) -> Result<Consumer> {
        config.validate()?;
        Ok(Consumer::new(self.store.create_consumer(&config).await?))
    }

    /// Creates a push consumer, as [`create_consumer`](Self::create_consumer) creates a
    /// pull one: the server sends it messages as they come, up to `max_ack_pending`
    /// (default 1000) unacknowledged. A durable one is delivered to a queue group of
    /// its name, so instances share its messages; an existing durable push consumer
    /// keeps its deliver subject (created by another client too).
    ///
    /// # Errors
    ///
    /// As [`create_consumer`](Self::create_consumer);
    /// [`Error::ConsumerExists`](crate::Error::ConsumerExists) for a durable pull
    /// consumer of that name.
    pub async fn create_push_consumer(&self, config: ConsumerConfig) -> Result<PushConsumer> {
        config.validate()?;
        Ok(PushConsumer::new(
            self.store.create_push_consumer(&config).await?,
        ))
    }

    /// An existing consumer.
    ///
    /// # Errors
    ///
    /// [`Error::ConsumerNotFound`](crate::Error::ConsumerNotFound); as
    /// [`info`](Self::info).
    pub async fn consumer(&self, name: &str) -> Result<Consumer> {
        Ok(Consumer::new(self.store.bind_consumer(name).await?))
    }

    /// What a consumer, pull or push, reports about itself.
    ///
    /// # Errors
    ///
    /// As [`consumer`](Self::consumer).
    pub async fn consumer_info(&self, name: &str) -> Result<ConsumerInfo> {
        self.store.consumer_info(name).await
    }

    /// Deletes a consumer; what it had delivered and not acknowledged is nobody's now.
    ///
    /// # Errors
    ///
    /// As [`consumer`](Self::consumer).
    pub async fn delete_consumer(&self, name: &str) -> Result<()> {
        self.store.delete_consumer(name).await
    }
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stream")
            .field("name", &self.store.name())
            .finish_non_exhaustive()
    }
}

impl Default for StreamConfig {
    /// A stream without a name (filled in by
    /// [`StreamBinding::declare`](crate::broker::StreamBinding::declare)) or subjects.
    fn default() -> Self {
        StreamConfig::new("")
    }
}
