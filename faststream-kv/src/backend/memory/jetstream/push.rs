//! Push consumers of a memory stream: while a subscription lives, a task takes what the
//! consumer delivers (up to `max_ack_pending` unacknowledged, as a server pushes) and
//! hands it to the subscription, whether or not its handler keeps up. Subscriptions
//! of one durable share its messages, as a server's queue group does: each task takes
//! one message at a time and yields, so that the others get their turns.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use super::MemoryStream;
use super::consumer_handle::MemoryConsumer;
use crate::error::{Error, Result};
use crate::jetstream::store::{ConsumerStore, Deliveries, PushConsumerStore};
use crate::jetstream::{ConsumerInfo, JsMessage};

/// How long a round waits for messages at most; shorter for an ephemeral consumer
/// with a shorter inactive threshold, which the rounds keep alive.
const MAX_ROUND_WAIT: Duration = Duration::from_secs(1);
/// The pause after a failed round.
const RETRY: Duration = Duration::from_millis(100);

pub(super) struct MemoryPushConsumer {
    consumer: Arc<dyn ConsumerStore>,
    round_wait: Duration,
}

impl MemoryPushConsumer {
    pub(super) fn new(
        stream: Arc<MemoryStream>,
        name: String,
        inactive_threshold: Option<Duration>,
    ) -> Self {
        Self {
            consumer: MemoryConsumer::store(stream, name),
            round_wait: inactive_threshold.map_or(MAX_ROUND_WAIT, |after| {
                (after / 2).clamp(Duration::from_millis(1), MAX_ROUND_WAIT)
            }),
        }
    }
}

impl PushConsumerStore for MemoryPushConsumer {
    fn name(&self) -> &str {
        self.consumer.name()
    }

    fn info(&self) -> BoxFuture<'_, Result<ConsumerInfo>> {
        self.consumer.info()
    }

    fn deliveries(&self) -> BoxFuture<'_, Result<Box<dyn Deliveries>>> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let (stop, stopped) = oneshot::channel();
        let consumer = Arc::clone(&self.consumer);
        tokio::spawn(deliver(consumer, self.round_wait, sender, stopped));
        let deliveries = MemoryDeliveries {
            receiver,
            stop: Some(stop),
        };
        Box::pin(futures::future::ready(Ok(
            Box::new(deliveries) as Box<dyn Deliveries>
        )))
    }
}

/// Delivers until the subscription stops or goes, or the consumer is deleted.
async fn deliver(
    consumer: Arc<dyn ConsumerStore>,
    round_wait: Duration,
    sender: mpsc::UnboundedSender<JsMessage>,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        let round = tokio::select! {
            _ = &mut stopped => return,
            () = sender.closed() => return,
            round = consumer.fetch(1, round_wait) => round,
        };
        match round {
            Ok(messages) => {
                for message in messages {
                    if let Err(unsent) = sender.send(message) {
                        let _ = unsent.0.nak(None).await;
                    }
                }
                tokio::task::yield_now().await;
            }
            Err(Error::ConsumerNotFound { .. } | Error::StreamNotFound { .. }) => return,
            Err(error) => {
                tracing::warn!(consumer = consumer.name(), %error, "push delivery failed");
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}

struct MemoryDeliveries {
    receiver: mpsc::UnboundedReceiver<JsMessage>,
    stop: Option<oneshot::Sender<()>>,
}

impl Stream for MemoryDeliveries {
    type Item = JsMessage;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<JsMessage>> {
        self.receiver.poll_recv(cx)
    }
}

impl Deliveries for MemoryDeliveries {
    fn stop(&mut self) -> BoxFuture<'_, ()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        Box::pin(futures::future::ready(()))
    }
}
