//! Push consumers on a NATS server: the server publishes their messages to a deliver
//! subject, which each instance subscribes (a durable's in a queue group of its name),
//! and the messages are settled on their `$JS.ACK` reply subjects as a pull
//! consumer's are. Once the connection was lost, what the subscription received and
//! not handed on yet is nak'd instead: a server that restarted in between may not know
//! it delivered it (some of it may have come from the new connection; nak'd, it comes
//! back at once).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_nats::jetstream::ErrorCode;
use async_nats::jetstream::consumer::{self, Consumer};
use async_nats::{StatusCode, Subscriber};
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{Stream, StreamExt};

use super::NatsStream;
use super::consumer::{Shared, to_nats};
use crate::backend::nats::error::{jetstream_code, nats_error};
use crate::backend::nats::sessions::Sessions;
use crate::error::{Error, NatsOperation, Result};
use crate::jetstream::store::{Deliveries, PushConsumerStore};
use crate::jetstream::{ConsumerConfig, ConsumerInfo, JsMessage};

/// The idle heartbeat of an ephemeral push consumer, as nats.go's ordered consumer
/// sends it.
const IDLE_HEARTBEAT: Duration = Duration::from_secs(5);

/// The server's configuration for push consumer `config` on `stream`. An ephemeral one
/// has idle heartbeats and flow control (the server waits for the client to take in
/// what it sent before it sends more). A durable is delivered to a queue group of its
/// name, on a subject named after it (so that instances starting at once agree on
/// it), or on the deliver subject it already has when another client created it; it
/// has neither, as nats.go and nats.c refuse a queue subscription to a consumer with
/// them (each heartbeat would reach one member of the group).
pub(super) async fn config(
    stream: &NatsStream,
    config: &ConsumerConfig,
) -> Result<consumer::Config> {
    let mut nats = to_nats(config);
    let inbox = stream.client.new_inbox();
    let Some(durable) = &config.durable else {
        nats.deliver_subject = Some(inbox);
        nats.idle_heartbeat = IDLE_HEARTBEAT;
        nats.flow_control = true;
        return Ok(nats);
    };
    nats.deliver_group = Some(durable.clone());
    nats.deliver_subject = match stream.stream.consumer_info(durable).await {
        Ok(existing) => match existing.config.deliver_subject {
            Some(subject) => Some(subject),
            None => {
                return Err(Error::ConsumerExists {
                    stream: stream.name.to_string(),
                    consumer: durable.clone(),
                    reason: "a pull consumer of that name exists".to_owned(),
                });
            }
        },
        Err(error) if jetstream_code(&error) == Some(ErrorCode::CONSUMER_NOT_FOUND) => {
            let prefix = inbox
                .rsplit_once('.')
                .map_or("_INBOX", |(prefix, _)| prefix);
            Some(format!("{prefix}.push.{}.{durable}", stream.name))
        }
        Err(error) => return Err(stream.error(NatsOperation::ConsumerCreate, error)),
    };
    Ok(nats)
}

pub(super) struct NatsPushConsumer {
    shared: Arc<Shared>,
    consumer: Consumer<consumer::Config>,
    client: async_nats::Client,
    sessions: Sessions,
}

impl NatsPushConsumer {
    /// Consumer `consumer` of `stream`.
    pub(super) fn new(consumer: Consumer<consumer::Config>, stream: &NatsStream) -> Self {
        let client = stream.client.clone();
        Self {
            shared: Shared::new(consumer.cached_info(), client.clone(), stream.bound),
            consumer,
            client,
            sessions: stream.sessions.clone(),
        }
    }

    async fn subscribe(&self) -> Result<Box<dyn Deliveries>> {
        let config = &self.consumer.cached_info().config;
        let Some(subject) = config.deliver_subject.clone() else {
            return Err(self.shared.not_found());
        };
        let subscribed = match &config.deliver_group {
            Some(group) => self.client.queue_subscribe(subject, group.clone()).await,
            None => self.client.subscribe(subject).await,
        };
        let subscriber = subscribed.map_err(|error| nats_error(NatsOperation::Subscribe, error))?;
        Ok(Box::new(NatsDeliveries {
            subscriber,
            shared: Arc::clone(&self.shared),
            client: self.client.clone(),
            session: self.sessions.current(),
            sessions: self.sessions.clone(),
        }))
    }
}

impl PushConsumerStore for NatsPushConsumer {
    fn name(&self) -> &str {
        self.shared.name()
    }

    fn info(&self) -> BoxFuture<'_, Result<ConsumerInfo>> {
        Box::pin(self.shared.read_info(&self.consumer))
    }

    fn deliveries(&self) -> BoxFuture<'_, Result<Box<dyn Deliveries>>> {
        Box::pin(self.subscribe())
    }
}

/// One subscription to a deliver subject.
struct NatsDeliveries {
    subscriber: Subscriber,
    shared: Arc<Shared>,
    client: async_nats::Client,
    /// The connection's session the last message was received in.
    session: u64,
    sessions: Sessions,
}

impl NatsDeliveries {
    /// Naks, in the background, what the subscription holds from before the connection
    /// was lost (and what reached it since). Whether it ended is left to the next poll.
    fn hand_back_stale(&mut self, cx: &mut Context<'_>) {
        let session = self.sessions.current();
        if session == self.session {
            return;
        }
        self.session = session;
        let mut stale = Vec::new();
        while let Poll::Ready(Some(message)) = self.subscriber.poll_next_unpin(cx) {
            if matches!(message.status, None | Some(StatusCode::OK))
                && let Some(delivered) = self.shared.delivered(message)
            {
                stale.push(delivered);
            }
        }
        if stale.is_empty() {
            return;
        }
        let name: Arc<str> = self.shared.name().into();
        tracing::warn!(consumer = %name, messages = stale.len(), "connection lost: handing back what was delivered before");
        tokio::spawn(async move { JsMessage::nak_unhandled(&name, stale).await });
    }
}

impl Stream for NatsDeliveries {
    type Item = JsMessage;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<JsMessage>> {
        self.hand_back_stale(cx);
        loop {
            let Some(message) = std::task::ready!(self.subscriber.poll_next_unpin(cx)) else {
                return Poll::Ready(None);
            };
            match message.status {
                None | Some(StatusCode::OK) => {
                    if let Some(delivered) = self.shared.delivered(message) {
                        return Poll::Ready(Some(delivered));
                    }
                }
                // A flow-control request (or a heartbeat saying the consumer stalled)
                // wants an empty reply before the server sends more.
                Some(_) => {
                    if let Some(reply) = message.reply {
                        let client = self.client.clone();
                        tokio::spawn(async move {
                            if let Err(error) = client.publish(reply, Bytes::new()).await {
                                tracing::debug!(%error, "could not answer a flow-control request");
                            }
                        });
                    }
                }
            }
        }
    }
}

impl Deliveries for NatsDeliveries {
    fn stop(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Err(error) = self.subscriber.unsubscribe().await {
                tracing::debug!(%error, "could not unsubscribe a push consumer's deliveries");
            }
        })
    }
}
