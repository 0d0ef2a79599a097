//! A subscriber's publishers around its service: once the handler has returned, its
//! result is published to each publisher, in order, carrying the handled message's
//! correlation id; the result then goes on as the request's reply (published once,
//! replied once). A failed publish fails the message with [`Error::Publish`], so that a
//! stream message is handled again instead of acknowledged without its result.

use std::sync::Arc;
use std::task::{Context, Poll};

use super::dispatch::Dispatch;
use super::outcome::{PendingReply, Settle};
use crate::broker::Broker;
use crate::error::{BoxError, Error};
use crate::message::Message;
use crate::publisher::Publisher;
use crate::response::Reply;
use crate::wire::CorrelationId;

/// Where a subscriber's results go.
#[derive(Clone)]
pub(crate) struct Publishing {
    broker: Broker,
    publishers: Arc<[Publisher]>,
}

impl Publishing {
    pub(super) fn new(broker: Broker, publishers: Arc<[Publisher]>) -> Self {
        Self { broker, publishers }
    }

    /// `service` with its results published.
    pub(super) fn around<D: Dispatch>(self, service: D) -> Publishes<D> {
        Publishes {
            service,
            publishing: self,
        }
    }

    /// `handled`'s result, published to every publisher.
    async fn publish<F>(&self, correlation_id: String, handled: F) -> Result<Reply, BoxError>
    where
        F: Future<Output = Result<Reply, BoxError>>,
    {
        let reply = handled.await?;
        for publisher in self.publishers.iter() {
            let published =
                publisher.publish_reply(&self.broker, reply.clone(), Some(&correlation_id));
            if let Err(source) = published.await {
                return Err(Error::Publish {
                    subject: publisher.destination().to_owned(),
                    source: Box::new(source),
                }
                .into());
            }
        }
        Ok(reply)
    }
}

/// A subscriber's service whose results are published.
pub(crate) struct Publishes<D> {
    service: D,
    publishing: Publishing,
}

/// A message handled in place, with the correlation id its results carry.
pub(crate) struct PublishesInPlace<P> {
    in_place: P,
    correlation_id: String,
}

impl<P: Settle> Settle for PublishesInPlace<P> {
    #[inline]
    fn settle(self, name: &str, result: Result<Reply, BoxError>) -> Option<PendingReply> {
        self.in_place.settle(name, result)
    }
}

/// The id the results of `message` carry: its own, or one made for it (so that all its
/// publishes share one, as FastStream gives every message one).
fn correlation_id(message: &Message) -> String {
    message
        .correlation_id()
        .map_or_else(|| CorrelationId::new().hyphenated(), str::to_owned)
}

impl<D: Dispatch> Dispatch for Publishes<D> {
    type InPlace = PublishesInPlace<D::InPlace>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.service.poll_ready(cx)
    }

    fn call(
        &mut self,
        message: Message,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'static {
        let correlation_id = correlation_id(&message);
        let handled = self.service.call(message);
        let publishing = self.publishing.clone();
        async move { publishing.publish(correlation_id, handled).await }
    }

    fn begin(&mut self, message: Message) -> Self::InPlace {
        PublishesInPlace {
            correlation_id: correlation_id(&message),
            in_place: self.service.begin(message),
        }
    }

    fn call_in_place<'a>(
        &'a mut self,
        in_place: &'a mut Self::InPlace,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'a {
        let handled = self.service.call_in_place(&mut in_place.in_place);
        self.publishing
            .publish(std::mem::take(&mut in_place.correlation_id), handled)
    }
}
