//! Push consumers: the server sends their messages as they come (up to
//! `max_ack_pending` unacknowledged) to a deliver subject the client subscribes.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;

use super::store::{Deliveries, PushConsumerStore};
use super::{ConsumerInfo, JsMessage};
use crate::error::Result;

/// A handle to one push consumer; clones share it. A durable one is delivered to a
/// queue group named after it, so that the subscriptions of several instances of an
/// app share its messages; an ephemeral one to its only subscription.
#[derive(Clone)]
pub struct PushConsumer {
    store: Arc<dyn PushConsumerStore>,
}

impl PushConsumer {
    pub(crate) fn new(store: Arc<dyn PushConsumerStore>) -> Self {
        Self { store }
    }

    /// The consumer's name.
    pub fn name(&self) -> &str {
        self.store.name()
    }

    /// Subscribes to its deliveries: each message waits for its acknowledgement
    /// ([`Acker::ack`](super::Acker::ack) and the others).
    ///
    /// # Errors
    ///
    /// [`Error::Nats`](crate::Error::Nats) when the subscription fails.
    pub async fn messages(&self) -> Result<PushMessages> {
        Ok(PushMessages {
            deliveries: self.store.deliveries().await?,
        })
    }

    /// Its state, fresh from the server.
    ///
    /// # Errors
    ///
    /// [`Error::ConsumerNotFound`](crate::Error::ConsumerNotFound) once it is deleted;
    /// [`Error::Nats`](crate::Error::Nats) when the server fails.
    pub async fn info(&self) -> Result<ConsumerInfo> {
        self.store.info().await
    }
}

impl fmt::Debug for PushConsumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushConsumer")
            .field("name", &self.store.name())
            .finish_non_exhaustive()
    }
}

/// A subscription to a push consumer's messages: a [`Stream`] of [`JsMessage`]s.
pub struct PushMessages {
    deliveries: Box<dyn Deliveries>,
}

impl PushMessages {
    /// Stops the deliveries to this subscription (the consumer delivers to others, or
    /// holds its messages until someone subscribes again); what had already arrived is
    /// still yielded, then the stream ends.
    pub async fn stop(&mut self) {
        self.deliveries.stop().await;
    }
}

impl Stream for PushMessages {
    type Item = JsMessage;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<JsMessage>> {
        Pin::new(&mut self.deliveries).poll_next(cx)
    }
}

impl fmt::Debug for PushMessages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushMessages").finish_non_exhaustive()
    }
}
