//! A memory consumer as a client holds it: fetches and pulls, and the acknowledgements
//! of what it delivered.

use std::sync::{Arc, Weak};
use std::time::Duration;

use futures::future::{BoxFuture, ready};

use super::pulls::MemoryPulls;
use super::stream::{Fetched, MemoryStream};
use crate::error::Result;
use crate::jetstream::store::{AckKind, AckSender, ConsumerStore, Pulls};
use crate::jetstream::{ConsumerInfo, JsMessage, MessageInfo, SequencePair};
use crate::message::Message;

#[derive(Clone)]
pub(super) struct MemoryConsumer {
    stream: Arc<MemoryStream>,
    /// The stream's name, shared by the messages' infos.
    stream_name: Arc<str>,
    name: Arc<str>,
}

impl MemoryConsumer {
    pub(super) fn store(stream: Arc<MemoryStream>, name: String) -> Arc<dyn ConsumerStore> {
        Arc::new(Self {
            stream_name: stream.name().into(),
            stream,
            name: name.into(),
        })
    }

    /// Up to `batch` deliveries: those there now, or the first to come within
    /// `max_wait`.
    pub(super) async fn fetch_raw(&self, batch: usize, max_wait: Duration) -> Result<Vec<Fetched>> {
        self.stream.fetch(&self.name, batch, max_wait).await
    }

    pub(super) fn delivered(&self, fetched: Fetched) -> JsMessage {
        let Fetched {
            message,
            delivery,
            pending,
        } = fetched;
        let info = MessageInfo {
            stream: Arc::clone(&self.stream_name),
            consumer: Arc::clone(&self.name),
            stream_sequence: delivery.stream_sequence,
            consumer_sequence: delivery.consumer_sequence,
            delivered: delivery.deliveries,
            pending,
            published: message.time,
        };
        let acker = StreamAcker {
            stream: Arc::downgrade(&self.stream),
            consumer: Arc::clone(&self.name),
            delivery: SequencePair {
                consumer: delivery.consumer_sequence,
                stream: delivery.stream_sequence,
            },
        };
        let message = Message::from_stream(
            message.subject.into(),
            Some(message.headers).into(),
            message.payload,
        );
        JsMessage::new(message, Some(info), Arc::new(acker))
    }
}

impl ConsumerStore for MemoryConsumer {
    fn name(&self) -> &str {
        &self.name
    }

    fn fetch(&self, batch: usize, max_wait: Duration) -> BoxFuture<'_, Result<Vec<JsMessage>>> {
        Box::pin(async move {
            let fetched = self.fetch_raw(batch, max_wait).await?;
            Ok(fetched
                .into_iter()
                .map(|fetched| self.delivered(fetched))
                .collect())
        })
    }

    fn info(&self) -> BoxFuture<'_, Result<ConsumerInfo>> {
        Box::pin(ready(self.stream.consumer_info(&self.name)))
    }

    fn pulls(&self) -> Box<dyn Pulls> {
        Box::new(MemoryPulls::new(self.clone()))
    }
}

/// Settles one delivery with its stream, if the stream is still there.
struct StreamAcker {
    stream: Weak<MemoryStream>,
    consumer: Arc<str>,
    delivery: SequencePair,
}

impl AckSender for StreamAcker {
    fn ack(&self, kind: AckKind) -> BoxFuture<'_, Result<()>> {
        let settled = match self.stream.upgrade() {
            Some(stream) => stream.settle(&self.consumer, self.delivery, kind),
            None => Ok(()),
        };
        Box::pin(ready(settled))
    }

    fn ack_sync(&self) -> BoxFuture<'_, Result<()>> {
        self.ack(AckKind::Ack)
    }
}
