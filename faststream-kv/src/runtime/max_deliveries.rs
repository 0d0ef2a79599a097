//! The server's max-deliveries advisories for a stream subscriber's consumer, reported
//! as [`ConnectionEvent::MaxDeliveries`] while the subscriber runs. The advisory is the
//! server's word that it gave up on a message, whether its last handler failed or its
//! `ack_wait` ran out (an instance that died holding it): the subscriber alone cannot
//! see the second.

use std::sync::{Arc, Mutex, PoisonError};

use futures::StreamExt;
use serde::Deserialize;
use tokio::task::JoinHandle;

use crate::broker::Broker;
use crate::connection_event::ConnectionEvent;
use crate::error::Result;

/// Where the server publishes a consumer's max-deliveries advisories; the stream and
/// the consumer follow.
const ADVISORIES: &str = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES";

/// The name of a subscriber's consumer, which changes when an ephemeral one is
/// declared again.
#[derive(Clone)]
pub(crate) struct ConsumerName(Arc<Mutex<Arc<str>>>);

impl ConsumerName {
    pub(crate) fn new(name: &str) -> Self {
        Self(Arc::new(Mutex::new(name.into())))
    }

    pub(crate) fn set(&self, name: &str) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = name.into();
    }

    fn is(&self, name: &str) -> bool {
        *self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            == *name
    }
}

/// What the subscriber reads of nats-server's `JSConsumerDeliveryExceededAdvisory`.
#[derive(Deserialize)]
struct Advisory {
    consumer: String,
    stream_seq: u64,
    deliveries: u64,
}

/// Reports the advisories until it is dropped.
pub(crate) struct MaxDeliveriesWatch(JoinHandle<()>);

impl MaxDeliveriesWatch {
    /// Subscribes to the advisories of the consumers of `stream`, and reports those of
    /// `consumer` as subscriber `subscriber`'s.
    pub(crate) async fn start(
        broker: &Broker,
        subscriber: Arc<str>,
        stream: Arc<str>,
        consumer: ConsumerName,
    ) -> Result<Self> {
        let mut advisories = broker
            .subscribe(&format!("{ADVISORIES}.{stream}.*"))
            .await?;
        let broker = broker.clone();
        let task = tokio::spawn(async move {
            while let Some(message) = advisories.next().await {
                let advisory = match serde_json::from_slice::<Advisory>(message.payload()) {
                    Ok(advisory) => advisory,
                    Err(error) => {
                        tracing::debug!(subject = %message.subject(), %error, "unreadable advisory");
                        continue;
                    }
                };
                if !consumer.is(&advisory.consumer) {
                    continue;
                }
                broker.report(ConnectionEvent::MaxDeliveries {
                    subscriber: subscriber.to_string(),
                    stream: stream.to_string(),
                    consumer: advisory.consumer,
                    stream_sequence: advisory.stream_seq,
                    deliveries: advisory.deliveries,
                });
            }
        });
        Ok(Self(task))
    }
}

impl Drop for MaxDeliveriesWatch {
    fn drop(&mut self) {
        self.0.abort();
    }
}
