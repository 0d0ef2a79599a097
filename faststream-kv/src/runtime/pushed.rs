//! A stream subscriber's messages from a push consumer, each with its
//! [`Acker`](crate::jetstream::Acker) in its extensions. The server bounds what comes
//! by the consumer's `max_ack_pending`; what waits for a worker waits in the
//! subscription. A drain stops the deliveries and naks what arrived and was not
//! handled, awaiting each nak, so that the next instance gets those messages at once.
//!
//! A push consumer deleted under the subscriber says nothing to its subscription (nor
//! does a heartbeat help a durable's: delivered to a queue group, each heartbeat
//! reaches one instance). So the consumer is looked at whenever the subscription ends
//! or nothing came for [`IDLE_CHECK`], and declared again if it is gone (see
//! [`ConsumerCheck`]); the subscription is made anew after either.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{FutureExt, Stream, StreamExt};
use tokio::time::{Instant, Sleep};

use super::consumer_check::{Checked, ConsumerCheck};
use crate::error::Result;
use crate::jetstream::{JsMessage, PushConsumer, PushMessages};
use crate::message::Message;

/// How long a drain waits for what the server sent before it saw the unsubscribe.
const DELIVERED_GRACE: Duration = Duration::from_millis(100);

/// How long a subscription may get nothing before the consumer is looked at.
const IDLE_CHECK: Duration = Duration::from_secs(5);

pub(crate) struct Pushed {
    consumer: PushConsumer,
    messages: PushMessages,
    /// Whether a message dropped unsettled is nak'd (not for manual acks).
    nak_when_dropped: bool,
    name: Arc<str>,
    check: ConsumerCheck<PushConsumer>,
    /// Ticks every [`IDLE_CHECK`]; a tick with nothing received since the last starts
    /// a check.
    idle: Pin<Box<Sleep>>,
    received: bool,
    /// Set once the subscription ended: made anew after the check.
    ended_subscription: bool,
    subscribing: Option<BoxFuture<'static, Result<PushMessages>>>,
    ended: bool,
}

impl Pushed {
    pub(crate) fn new(
        consumer: PushConsumer,
        messages: PushMessages,
        nak_when_dropped: bool,
        name: Arc<str>,
        check: ConsumerCheck<PushConsumer>,
    ) -> Self {
        Self {
            consumer,
            messages,
            nak_when_dropped,
            name,
            check,
            idle: Box::pin(tokio::time::sleep(IDLE_CHECK)),
            received: false,
            ended_subscription: false,
            subscribing: None,
            ended: false,
        }
    }

    /// Stops the deliveries; naks what arrived and was not handled.
    pub(crate) async fn drain(&mut self) {
        self.ended = true;
        self.messages.stop().await;
        let mut left = Vec::new();
        let _ = tokio::time::timeout(DELIVERED_GRACE, async {
            while let Some(message) = self.messages.next().await {
                left.push(message);
            }
        })
        .await;
        JsMessage::nak_unhandled(&self.name, left).await;
    }

    /// Subscribes to the consumer's deliveries anew.
    fn subscribe(&mut self) {
        let consumer = self.consumer.clone();
        self.subscribing = Some(async move { consumer.messages().await }.boxed());
    }

    /// Drives the check and the new subscription, if under way.
    fn recover(&mut self, cx: &mut Context<'_>) {
        match self.check.poll(cx) {
            Poll::Ready(Checked::Redeclared(consumer)) => {
                self.consumer = consumer;
                self.subscribe();
            }
            Poll::Ready(Checked::Unchanged) if self.ended_subscription => self.subscribe(),
            Poll::Ready(Checked::Unchanged) | Poll::Pending => {}
        }
        if let Some(subscribing) = &mut self.subscribing
            && let Poll::Ready(subscribed) = subscribing.as_mut().poll(cx)
        {
            self.subscribing = None;
            match subscribed {
                Ok(messages) => {
                    self.messages = messages;
                    self.ended_subscription = false;
                }
                // Looked at again at the next idle tick.
                Err(error) => {
                    tracing::warn!(handler = %self.name, %error, "could not subscribe to the push consumer again");
                }
            }
        }
    }
}

impl Stream for Pushed {
    type Item = Message;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let this = &mut *self;
        loop {
            if this.ended {
                return Poll::Ready(None);
            }
            this.recover(cx);
            if !this.ended_subscription {
                match this.messages.poll_next_unpin(cx) {
                    Poll::Ready(Some(delivered)) => {
                        this.received = true;
                        let message = delivered.hand_out(None, this.nak_when_dropped);
                        return Poll::Ready(Some(message));
                    }
                    Poll::Ready(None) => {
                        this.ended_subscription = true;
                        this.check.start(&this.consumer);
                        continue;
                    }
                    Poll::Pending => {}
                }
            }
            if this.idle.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.idle.as_mut().reset(Instant::now() + IDLE_CHECK);
            if !std::mem::take(&mut this.received) || this.ended_subscription {
                this.check.start(&this.consumer);
            }
        }
    }
}
