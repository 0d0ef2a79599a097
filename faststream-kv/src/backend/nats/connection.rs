//! A connection to NATS: the async-nats client, and the bounds every call through it
//! keeps, so that no call outlasts its deadline whatever the connection's state (time
//! spent queued in the client counts).

use std::sync::Arc;
use std::time::Duration;

use async_nats::{HeaderMap, Subject};
use bytes::Bytes;
use futures::stream::BoxStream;

pub(crate) use super::bounded::bounded;
use super::jetstream::{self, JetStream};
use super::sessions::Sessions;
use super::subscription::NatsSubscription;
use super::{core, kv};
use crate::backend::events::Events;
use crate::backend::pending_queue::{self, Owner, QueueReceiver};
use crate::error::{Error, NatsOperation, Result};
use crate::jetstream::store::StreamStore;
use crate::jetstream::{PublishAck, StreamConfig};
use crate::kv::store::Store;
use crate::kv::{Config, Status};
use crate::message::Message;
use crate::pending::PendingLimits;

/// How long calls may take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    /// Requests, flushes, subscribing and Key-Value calls.
    pub(crate) request: Duration,
    /// Handing a publish to the client (it waits while the client's queue is full).
    pub(crate) publish: Duration,
    /// The final flush and drain of [`NatsConnection::close`].
    pub(crate) close: Duration,
}

/// One connection; clones share it.
#[derive(Clone)]
pub(crate) struct NatsConnection {
    client: async_nats::Client,
    bounds: Bounds,
    /// Where its subscriptions report their drops.
    events: Events,
    /// Its buckets' (and streams') API; a JetStream context is large, the connection
    /// is cloned often.
    jetstream: Arc<JetStream>,
}

impl NatsConnection {
    /// A connection reaching JetStream at `jetstream_prefix`.
    pub(crate) fn new(
        client: async_nats::Client,
        bounds: Bounds,
        events: Events,
        jetstream_prefix: &str,
        sessions: Sessions,
    ) -> Self {
        Self {
            jetstream: Arc::new(JetStream::new(
                client.clone(),
                jetstream_prefix,
                bounds.request,
                sessions,
            )),
            client,
            bounds,
            events,
        }
    }

    pub(crate) fn client(&self) -> &async_nats::Client {
        &self.client
    }

    pub(crate) async fn publish(
        &self,
        subject: Subject,
        reply: Option<Subject>,
        headers: Option<HeaderMap>,
        payload: Bytes,
    ) -> Result<()> {
        let publish = core::publish(&self.client, subject, reply, headers, payload);
        bounded(NatsOperation::Publish, self.bounds.publish, false, publish).await
    }

    pub(crate) async fn publish_correlated(
        &self,
        subject: &str,
        headers: Option<HeaderMap>,
        payload: Bytes,
    ) -> Result<()> {
        let publish = core::publish_correlated(&self.client, subject, headers, payload);
        bounded(NatsOperation::Publish, self.bounds.publish, false, publish).await
    }

    /// A request that ends within `timeout`, counted from this call.
    pub(crate) async fn request(
        &self,
        subject: &str,
        headers: HeaderMap,
        payload: Bytes,
        timeout: Duration,
    ) -> Result<Message> {
        let request = core::request(&self.client, subject, headers, payload, timeout);
        match tokio::time::timeout(timeout, request).await {
            Ok(reply) => reply,
            Err(_elapsed) => Err(Error::Timeout {
                subject: subject.to_owned(),
                timeout,
            }),
        }
    }

    /// Subscribes; messages over `limits` are dropped and reported under `label`.
    pub(crate) async fn subscribe(
        &self,
        subject: &str,
        queue: Option<&str>,
        limits: PendingLimits,
        label: Arc<str>,
    ) -> Result<(NatsSubscription, QueueReceiver)> {
        let subscribe = core::subscribe(&self.client, subject, queue);
        let subscriber = bounded(
            NatsOperation::Subscribe,
            self.bounds.request,
            false,
            subscribe,
        )
        .await?;
        let owner = Owner {
            label,
            events: self.events.clone(),
        };
        let (sender, receiver) = pending_queue::queue(limits, owner);
        Ok((NatsSubscription::start(subscriber, sender), receiver))
    }

    pub(crate) async fn flush(&self) -> Result<()> {
        let flush = core::flush(&self.client);
        bounded(NatsOperation::Flush, self.bounds.request, false, flush).await
    }

    /// Flushes and drains, each within the close bound; a server that is gone ends it
    /// with [`Error::Unavailable`] instead of a wait for its return.
    pub(crate) async fn close(&self) -> Result<()> {
        let flushed = bounded(
            NatsOperation::Flush,
            self.bounds.close,
            false,
            core::flush(&self.client),
        )
        .await;
        let drained = bounded(
            NatsOperation::Drain,
            self.bounds.close,
            false,
            core::drain_client(&self.client),
        )
        .await;
        flushed.and(drained)
    }

    pub(crate) async fn bind_bucket(&self, bucket: &str) -> Result<Arc<dyn Store>> {
        let bind = kv::bind(&self.jetstream, bucket);
        let bucket = bounded(NatsOperation::KvBind, self.bounds.request, false, bind).await?;
        Ok(Arc::new(bucket))
    }

    pub(crate) async fn create_bucket(&self, config: &Config) -> Result<Arc<dyn Store>> {
        let create = kv::create(&self.jetstream, config);
        let bucket = bounded(NatsOperation::KvCreate, self.bounds.request, true, create).await?;
        Ok(Arc::new(bucket))
    }

    pub(crate) async fn update_bucket(&self, config: &Config) -> Result<Arc<dyn Store>> {
        let update = kv::update(&self.jetstream, config);
        let bucket = bounded(NatsOperation::KvUpdate, self.bounds.request, true, update).await?;
        Ok(Arc::new(bucket))
    }

    pub(crate) async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        let delete = kv::delete(&self.jetstream, bucket);
        bounded(NatsOperation::KvDelete, self.bounds.request, true, delete).await
    }

    pub(crate) fn bucket_statuses(&self) -> BoxStream<'static, Result<Status>> {
        kv::statuses(&self.jetstream)
    }

    pub(crate) async fn create_stream(
        &self,
        config: &StreamConfig,
    ) -> Result<Arc<dyn StreamStore>> {
        let create = jetstream::create(&self.jetstream, config);
        let stream = bounded(
            NatsOperation::StreamCreate,
            self.bounds.request,
            true,
            create,
        )
        .await?;
        Ok(Arc::new(stream))
    }

    pub(crate) async fn update_stream(
        &self,
        config: &StreamConfig,
    ) -> Result<Arc<dyn StreamStore>> {
        let update = jetstream::update(&self.jetstream, config);
        let stream = bounded(
            NatsOperation::StreamUpdate,
            self.bounds.request,
            true,
            update,
        )
        .await?;
        Ok(Arc::new(stream))
    }

    pub(crate) async fn bind_stream(&self, name: &str) -> Result<Arc<dyn StreamStore>> {
        let bind = jetstream::bind(&self.jetstream, name);
        let stream = bounded(NatsOperation::StreamBind, self.bounds.request, false, bind).await?;
        Ok(Arc::new(stream))
    }

    pub(crate) async fn delete_stream(&self, name: &str) -> Result<()> {
        let delete = jetstream::delete(&self.jetstream, name);
        bounded(
            NatsOperation::StreamDelete,
            self.bounds.request,
            true,
            delete,
        )
        .await
    }

    pub(crate) async fn stream_names(&self) -> Result<Vec<String>> {
        let names = jetstream::names(&self.jetstream);
        bounded(NatsOperation::StreamList, self.bounds.request, false, names).await
    }

    pub(crate) async fn stream_publish(
        &self,
        subject: &str,
        headers: HeaderMap,
        payload: Bytes,
    ) -> Result<PublishAck> {
        let publish = jetstream::publish(&self.jetstream, subject, headers, payload);
        bounded(
            NatsOperation::StreamPublish,
            self.bounds.request,
            true,
            publish,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_done_at_once_is_returned_and_stuck_work_is_cut_off() {
        let done = bounded(NatsOperation::Publish, Duration::ZERO, false, async {
            Ok(7)
        });
        assert_eq!(done.await.ok(), Some(7));
        let stuck = std::future::pending::<Result<()>>();
        let after = Duration::from_millis(10);
        match bounded(NatsOperation::KvWrite, after, true, stuck).await {
            Err(Error::Unavailable {
                operation: NatsOperation::KvWrite,
                may_have_landed: true,
                ..
            }) => {}
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }
}
