//! A memory consumer as a client holds it: fetches and pulls, and the acknowledgements
//! of what it delivered.

use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::{BoxFuture, ready};

use super::pulls::MemoryPulls;
use super::stream::{Fetched, MemoryStream};
use crate::backend_kind::BackendKind;
use crate::error::Result;
use crate::jetstream::store::{AckKind, AckSender, AckToken, ConsumerStore, Pulls};
use crate::jetstream::{ConsumerInfo, JsMessage, MessageInfo, SequencePair};
use crate::message::Message;

#[derive(Clone)]
pub(super) struct MemoryConsumer {
    stream: Arc<MemoryStream>,
    /// The stream's name, shared by the messages' infos.
    stream_name: Arc<str>,
    name: Arc<str>,
    /// Settles its deliveries.
    acks: Arc<dyn AckSender>,
}

impl MemoryConsumer {
    pub(super) fn store(stream: Arc<MemoryStream>, name: String) -> Arc<dyn ConsumerStore> {
        let name: Arc<str> = name.into();
        Arc::new(Self {
            stream_name: stream.name().into(),
            acks: Arc::new(StreamAcker {
                stream: Arc::downgrade(&stream),
                consumer: Arc::clone(&name),
            }),
            stream,
            name,
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
        let token = AckToken::Sequences(SequencePair {
            consumer: delivery.consumer_sequence,
            stream: delivery.stream_sequence,
        });
        let message = Message::from_stream(
            message.subject.into(),
            Some(message.headers).into(),
            message.payload,
        );
        JsMessage::new(message, Some(info), Arc::clone(&self.acks), token)
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

/// Settles a consumer's deliveries with its stream, if the stream is still there.
struct StreamAcker {
    stream: Weak<MemoryStream>,
    consumer: Arc<str>,
}

impl StreamAcker {
    fn settle(&self, token: &AckToken, kind: AckKind) -> Result<()> {
        match (token, self.stream.upgrade()) {
            (AckToken::Sequences(delivery), Some(stream)) => {
                stream.settle(&self.consumer, *delivery, kind)
            }
            (AckToken::Sequences(_), None) => Ok(()),
            (AckToken::Reply(_), _) => Err(token.foreign_to(BackendKind::Memory)),
        }
    }
}

impl AckSender for StreamAcker {
    fn ack<'a>(&'a self, token: &'a AckToken, kind: AckKind) -> BoxFuture<'a, Result<()>> {
        Box::pin(ready(self.settle(token, kind)))
    }

    fn try_ack(&self, token: &AckToken, kind: AckKind, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(self.settle(token, kind))
    }

    fn ack_sync<'a>(&'a self, token: &'a AckToken) -> BoxFuture<'a, Result<()>> {
        self.ack(token, AckKind::Ack)
    }
}
