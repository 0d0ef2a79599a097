//! The two backends behind a [`Broker`](super::Broker): a NATS client or the embedded
//! memory broker. One `match` per operation; nothing else differs above this file.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_nats::{HeaderMap, RequestErrorKind, Subject};
use bytes::Bytes;
use futures::{Stream, StreamExt};

use super::correlation::with_correlation_id;
use crate::error::{Error, Result};
use crate::memory::{MemoryBroker, MemorySubscription, recent_subjects};
use crate::message::{Message, MessageHeaders};

#[derive(Clone)]
pub(crate) enum Transport {
    Nats(async_nats::Client),
    Memory(MemoryBroker),
}

impl Transport {
    pub(crate) async fn publish(
        &self,
        subject: Subject,
        reply: Option<Subject>,
        headers: Option<HeaderMap>,
        payload: Bytes,
    ) -> Result<()> {
        match self {
            Transport::Nats(client) => {
                let size = payload.len();
                let sent = match (reply, headers) {
                    (None, None) => client.publish(subject, payload).await,
                    (None, Some(headers)) => {
                        client.publish_with_headers(subject, headers, payload).await
                    }
                    (Some(reply), None) => client.publish_with_reply(subject, reply, payload).await,
                    (Some(reply), Some(headers)) => {
                        client
                            .publish_with_reply_and_headers(subject, reply, headers, payload)
                            .await
                    }
                };
                sent.map_err(|error| publish_error(client, error, size))
            }
            Transport::Memory(memory) => {
                let message = Message::from_parts(subject, reply, headers.into(), payload);
                memory.publish(message).map(drop)
            }
        }
    }

    /// Publishes with a `correlation_id` header: the one `headers` has, or a new one.
    pub(crate) async fn publish_correlated(
        &self,
        subject: &str,
        headers: Option<HeaderMap>,
        payload: Bytes,
    ) -> Result<()> {
        match self {
            // Without other headers, the header map is built only if it is read: see
            // `MessageHeaders`.
            Transport::Memory(memory) => {
                let headers = match headers {
                    None => MessageHeaders::new_correlation_id(),
                    Some(headers) => MessageHeaders::Map(with_correlation_id(Some(headers), None)),
                };
                let subject = recent_subjects::subject(subject);
                memory
                    .publish(Message::from_parts(subject, None, headers, payload))
                    .map(drop)
            }
            Transport::Nats(_) => {
                let headers = with_correlation_id(headers, None);
                self.publish(Subject::from(subject), None, Some(headers), payload)
                    .await
            }
        }
    }

    pub(crate) async fn request(
        &self,
        subject: Subject,
        headers: Option<HeaderMap>,
        payload: Bytes,
        timeout: Duration,
    ) -> Result<Message> {
        match self {
            Transport::Nats(client) => {
                let size = payload.len();
                let mut request = async_nats::Request::new()
                    .payload(payload)
                    .timeout(Some(timeout));
                if let Some(headers) = headers {
                    request = request.headers(headers);
                }
                client
                    .send_request(subject.clone(), request)
                    .await
                    .map(Message::from)
                    .map_err(|error| match error.kind() {
                        RequestErrorKind::NoResponders => Error::NoResponders(subject.to_string()),
                        RequestErrorKind::TimedOut => Error::Timeout {
                            subject: subject.to_string(),
                            timeout,
                        },
                        RequestErrorKind::MaxPayloadExceeded => Error::PayloadTooLarge {
                            size,
                            max: client.server_info().max_payload,
                        },
                        _ => Error::nats("request", error),
                    })
            }
            Transport::Memory(memory) => memory.request(&subject, headers, payload, timeout).await,
        }
    }

    pub(crate) async fn subscribe(
        &self,
        subject: &str,
        queue: Option<&str>,
    ) -> Result<Subscription> {
        match self {
            Transport::Nats(client) => {
                let subject = subject.to_owned();
                let subscribed = match queue {
                    Some(queue) => client.queue_subscribe(subject, queue.to_owned()).await,
                    None => client.subscribe(subject).await,
                };
                subscribed
                    .map(|subscriber| Subscription(Source::Nats(subscriber)))
                    .map_err(|error| Error::nats("subscribe", error))
            }
            Transport::Memory(memory) => memory
                .subscribe(subject, queue)
                .map(|subscription| Subscription(Source::Memory(subscription))),
        }
    }

    /// Waits until the server has processed everything sent so far.
    ///
    /// async-nats's `flush` only writes the buffer to the socket; the server may not
    /// have read it yet. A message to a fresh inbox of this connection comes back only
    /// after the server processed every command sent before it (subscriptions
    /// included), so a subscriber exists on the server when this returns.
    pub(crate) async fn flush(&self) -> Result<()> {
        match self {
            Transport::Nats(client) => {
                let inbox = client.new_inbox();
                let mut echo = client
                    .subscribe(inbox.clone())
                    .await
                    .map_err(|error| Error::nats("flush", error))?;
                client
                    .publish(inbox, Bytes::new())
                    .await
                    .map_err(|error| Error::nats("flush", error))?;
                client
                    .flush()
                    .await
                    .map_err(|error| Error::nats("flush", error))?;
                match echo.next().await {
                    Some(_) => Ok(()),
                    None => Err(Error::Closed),
                }
            }
            Transport::Memory(_) => Ok(()),
        }
    }

    pub(crate) async fn close(&self) -> Result<()> {
        match self {
            Transport::Nats(client) => {
                self.flush().await?;
                client
                    .drain()
                    .await
                    .map_err(|error| Error::nats("drain", error))
            }
            Transport::Memory(memory) => {
                memory.close();
                Ok(())
            }
        }
    }
}

fn publish_error(
    client: &async_nats::Client,
    error: async_nats::PublishError,
    size: usize,
) -> Error {
    match error.kind() {
        async_nats::client::PublishErrorKind::MaxPayloadExceeded => Error::PayloadTooLarge {
            size,
            max: client.server_info().max_payload,
        },
        _ => Error::nats("publish", error),
    }
}

/// Messages of one subscription, from either backend.
pub struct Subscription(Source);

enum Source {
    Nats(async_nats::Subscriber),
    Memory(MemorySubscription),
}

impl Subscription {
    /// Unsubscribes but still yields the messages already received, then ends.
    pub async fn drain(&mut self) -> Result<()> {
        match &mut self.0 {
            Source::Nats(subscriber) => subscriber
                .drain()
                .await
                .map_err(|error| Error::nats("drain", error)),
            Source::Memory(subscription) => {
                subscription.drain();
                Ok(())
            }
        }
    }
}

impl Stream for Subscription {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        match &mut self.get_mut().0 {
            // Converted where the result lies: `.map(...)` would first move the 176-byte
            // message with a `memcpy` call.
            Source::Nats(subscriber) => match Pin::new(subscriber).poll_next(cx) {
                Poll::Ready(next) => Poll::Ready(next.map(Message::from)),
                Poll::Pending => Poll::Pending,
            },
            Source::Memory(subscription) => Pin::new(subscription).poll_next(cx),
        }
    }
}
