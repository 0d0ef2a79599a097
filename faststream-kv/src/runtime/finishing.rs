//! What follows a handler's return, around its service: its result is published to
//! each of the subscriber's publishers, in order, carrying the handled message's
//! correlation id (to a subject filled with the message's captures where the publisher
//! names them), then goes on as the request's reply (published once, replied once);
//! a failed publish fails the message with [`Error::Publish`], so that a stream message
//! is handled again instead of acknowledged without its result. Then the broker's
//! observer (the test harness) is told of the call, so that a test that saw the call
//! also sees what it published.

use std::sync::Arc;
use std::task::{Context, Poll};

use super::dispatch::Dispatch;
use super::outcome::{PendingReply, Settle};
use crate::broker::{Broker, Observer};
use crate::error::{BoxError, Error};
use crate::message::Message;
use crate::publisher::Publisher;
use crate::response::Reply;
use crate::subject::Pattern;
use crate::wire::CorrelationId;
use async_nats::Subject;

/// Where a subscriber's results go, and who is told of its calls.
#[derive(Clone)]
pub(crate) struct Finishing {
    broker: Broker,
    publishers: Arc<[Publisher]>,
    /// The subscriber's pattern, when a publisher's subject names its captures.
    pattern: Option<Pattern>,
    observer: Option<Arc<dyn Observer>>,
    name: Arc<str>,
}

impl Finishing {
    /// What subscriber `name` on `pattern` and `broker` does after its handler, if
    /// anything.
    pub(super) fn new(
        broker: &Broker,
        publishers: Arc<[Publisher]>,
        pattern: &Pattern,
        name: &Arc<str>,
    ) -> Option<Self> {
        let observer = broker.observer().cloned();
        let pattern = publishers
            .iter()
            .any(Publisher::routes_by_message)
            .then(|| pattern.clone());
        (!publishers.is_empty() || observer.is_some()).then(|| Self {
            broker: broker.clone(),
            publishers,
            pattern,
            observer,
            name: Arc::clone(name),
        })
    }

    /// `service` with its results published.
    pub(super) fn around<D: Dispatch>(self, service: D) -> Finishes<D> {
        Finishes {
            service,
            finishing: self,
        }
    }

    /// `handled`'s result, published to every publisher; the observer told of it with
    /// `received`.
    async fn finish<F>(&self, received: Option<Received>, handled: F) -> Result<Reply, BoxError>
    where
        F: Future<Output = Result<Reply, BoxError>>,
    {
        let Some(received) = received else {
            return handled.await;
        };
        let result = match handled.await {
            Ok(reply) => self.publish(reply, &received).await,
            Err(error) => Err(error),
        };
        if let (Some(observer), Some(message)) = (&self.observer, received.message) {
            observer.called(&self.name, message, result.as_ref());
        }
        result
    }

    /// `reply`, published to every publisher.
    async fn publish(&self, reply: Reply, received: &Received) -> Result<Reply, BoxError> {
        let pattern = self.pattern.as_ref();
        for publisher in self.publishers.iter() {
            let on = pattern.zip(received.subject.as_deref());
            let published =
                publisher.publish_result(&self.broker, reply.clone(), on, &received.correlation_id);
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
pub(crate) struct Finishes<D> {
    service: D,
    finishing: Finishing,
}

/// What is kept of a message for after its handler: the correlation id its results
/// carry, and for the observer a copy of it.
struct Received {
    correlation_id: String,
    /// Its subject, when a publisher's subject is filled from it.
    subject: Option<Subject>,
    message: Option<Message>,
}

impl Finishing {
    fn received(&self, message: &Message) -> Received {
        Received {
            correlation_id: correlation_id(message),
            subject: self.pattern.as_ref().map(|_| message.subject_raw().clone()),
            message: self.observer.as_ref().map(|_| message.without_extensions()),
        }
    }
}

/// A message handled in place, with what is kept of it.
pub(crate) struct FinishesInPlace<P> {
    in_place: P,
    received: Option<Received>,
}

impl<P: Settle> Settle for FinishesInPlace<P> {
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

impl<D: Dispatch> Dispatch for Finishes<D> {
    type InPlace = FinishesInPlace<D::InPlace>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.service.poll_ready(cx)
    }

    fn call(
        &mut self,
        message: Message,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'static {
        let received = self.finishing.received(&message);
        let handled = self.service.call(message);
        let finishing = self.finishing.clone();
        async move { finishing.finish(Some(received), handled).await }
    }

    fn begin(&mut self, message: Message) -> Self::InPlace {
        FinishesInPlace {
            received: Some(self.finishing.received(&message)),
            in_place: self.service.begin(message),
        }
    }

    fn call_in_place<'a>(
        &'a mut self,
        in_place: &'a mut Self::InPlace,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'a {
        let handled = self.service.call_in_place(&mut in_place.in_place);
        self.finishing.finish(in_place.received.take(), handled)
    }
}
