//! A connection to the embedded broker: what a client of it holds, as a NATS connection
//! is to a server. Each has its own subscriptions and watches and its own closed state:
//! closing one ends what it opened and leaves the other connections running.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_nats::{HeaderMap, Subject};
use bytes::Bytes;

use super::{MemoryBroker, MemorySubscription, recent_subjects};
use crate::backend::events::Events;
use crate::backend::pending_queue::{Owner, QueueReceiver};
use crate::connection_event::ConnectionEvent;
use crate::error::{Error, Result};
use crate::jetstream::store::StreamStore;
use crate::jetstream::{PublishAck, StreamConfig};
use crate::kv::store::Store;
use crate::kv::{self, Status};
use crate::message::{Message, MessageHeaders};
use crate::pending::PendingLimits;
use crate::wire::{handling_correlated, with_correlation_id};

/// One connection; clones share it.
#[derive(Clone)]
pub(crate) struct MemoryConnection {
    broker: MemoryBroker,
    id: u64,
    closed: Arc<AtomicBool>,
    events: Events,
}

impl MemoryConnection {
    /// A new connection to `broker`, reporting to `events`.
    pub(crate) fn open(broker: &MemoryBroker, events: Events) -> Self {
        events.report(ConnectionEvent::Connected);
        Self {
            id: broker.next_id(),
            broker: broker.clone(),
            closed: Arc::new(AtomicBool::new(false)),
            events,
        }
    }

    /// Whether it is open (not closed).
    pub(crate) fn is_open(&self) -> bool {
        !self.closed.load(Ordering::Acquire)
    }

    fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        Ok(())
    }

    /// Publishes a message built from its parts.
    pub(crate) fn publish_parts(
        &self,
        subject: Subject,
        reply: Option<Subject>,
        headers: Option<HeaderMap>,
        payload: Bytes,
    ) -> Result<()> {
        self.check_open()?;
        let message = Message::from_parts(subject, reply, headers.into(), payload);
        self.broker.publish(message).map(drop)
    }

    /// Publishes with a `correlation_id` header: the one `headers` has, or a new one.
    /// Without other headers, the header map is built only if it is read (see
    /// [`MessageHeaders`]), and a subject published to again and again is shared.
    pub(crate) fn publish_correlated(
        &self,
        subject: &str,
        headers: Option<HeaderMap>,
        payload: Bytes,
    ) -> Result<()> {
        self.check_open()?;
        let headers = match headers {
            None if !handling_correlated() => MessageHeaders::new_correlation_id(),
            headers => MessageHeaders::Map(with_correlation_id(headers, None)),
        };
        let subject = recent_subjects::subject(subject);
        self.broker
            .publish(Message::from_parts(subject, None, headers, payload))
            .map(drop)
    }

    /// Publishes with a fresh inbox as reply subject and waits for the first reply.
    pub(crate) async fn request(
        &self,
        subject: &str,
        headers: Option<HeaderMap>,
        payload: Bytes,
        timeout: Duration,
    ) -> Result<Message> {
        self.check_open()?;
        self.broker
            .request(subject, headers, payload, timeout, self.id, &self.events)
            .await
    }

    /// Subscribes to a (validated) subject, optionally in a queue group; messages over
    /// `limits` are dropped and reported under `label`.
    pub(crate) fn subscribe(
        &self,
        subject: &str,
        queue: Option<&str>,
        limits: PendingLimits,
        label: Arc<str>,
    ) -> Result<(MemorySubscription, QueueReceiver)> {
        self.check_open()?;
        let owner = Owner {
            label,
            events: self.events.clone(),
        };
        Ok(self
            .broker
            .subscribe(subject, queue, self.id, limits, owner))
    }

    /// Closes the connection: its subscriptions and watches end (after what they
    /// received), later calls fail with [`Error::Closed`].
    pub(crate) fn close(&self) {
        if !self.closed.swap(true, Ordering::AcqRel) {
            self.broker.disconnect(self.id);
            self.events.report(ConnectionEvent::Closed);
        }
    }

    pub(crate) fn bind_bucket(&self, bucket: &str) -> Result<Arc<dyn Store>> {
        self.check_open()?;
        self.broker.key_values().bind(bucket, self.id)
    }

    pub(crate) fn create_bucket(&self, config: &kv::Config) -> Result<Arc<dyn Store>> {
        self.check_open()?;
        self.broker.key_values().create(config, self.id)
    }

    pub(crate) fn update_bucket(&self, config: &kv::Config) -> Result<Arc<dyn Store>> {
        self.check_open()?;
        self.broker.key_values().update(config, self.id)
    }

    pub(crate) fn delete_bucket(&self, bucket: &str) -> Result<()> {
        self.check_open()?;
        self.broker.key_values().delete(bucket)
    }

    pub(crate) fn bucket_statuses(&self) -> Result<Vec<Status>> {
        self.check_open()?;
        self.broker.key_values().list()
    }

    pub(crate) fn create_stream(&self, config: &StreamConfig) -> Result<Arc<dyn StreamStore>> {
        self.check_open()?;
        self.broker.streams().create(config)
    }

    pub(crate) fn update_stream(&self, config: &StreamConfig) -> Result<Arc<dyn StreamStore>> {
        self.check_open()?;
        self.broker.streams().update(config)
    }

    pub(crate) fn bind_stream(&self, name: &str) -> Result<Arc<dyn StreamStore>> {
        self.check_open()?;
        self.broker.streams().bind(name)
    }

    pub(crate) fn delete_stream(&self, name: &str) -> Result<()> {
        self.check_open()?;
        self.broker.streams().delete(name)
    }

    pub(crate) fn stream_names(&self) -> Result<Vec<String>> {
        self.check_open()?;
        Ok(self.broker.streams().names())
    }

    /// Publishes to a stream and returns its acknowledgement.
    pub(crate) fn stream_publish(
        &self,
        subject: &str,
        headers: HeaderMap,
        payload: Bytes,
    ) -> Result<PublishAck> {
        self.check_open()?;
        let subject = recent_subjects::subject(subject);
        let message = Message::from_parts(subject, None, MessageHeaders::Map(headers), payload);
        self.broker.stream_publish(message)
    }
}
