//! Core NATS: publish, request, subscribe, flush and close on an async-nats client,
//! with async-nats's errors mapped to ours.

use std::time::Duration;

use async_nats::client::PublishErrorKind;
use async_nats::{HeaderMap, RequestErrorKind, Subject};
use bytes::Bytes;
use futures::StreamExt;

use super::error::nats_error;
use crate::error::{Error, NatsOperation, Result};
use crate::message::Message;
use crate::wire::{headers_wire_len, with_correlation_id};

pub(crate) async fn publish(
    client: &async_nats::Client,
    subject: Subject,
    reply: Option<Subject>,
    headers: Option<HeaderMap>,
    payload: Bytes,
) -> Result<()> {
    // As the client counts it against `max_payload`.
    let size = payload.len() + headers.as_ref().map_or(0, headers_wire_len);
    let sent = match (reply, headers) {
        (None, None) => client.publish(subject, payload).await,
        (None, Some(headers)) => client.publish_with_headers(subject, headers, payload).await,
        (Some(reply), None) => client.publish_with_reply(subject, reply, payload).await,
        (Some(reply), Some(headers)) => {
            client
                .publish_with_reply_and_headers(subject, reply, headers, payload)
                .await
        }
    };
    sent.map_err(|error| match error.kind() {
        PublishErrorKind::MaxPayloadExceeded => Error::PayloadTooLarge {
            size,
            max: client.server_info().max_payload,
        },
        _ => nats_error(NatsOperation::Publish, error),
    })
}

/// Publishes with a `correlation_id` header: the one `headers` has, or a new one.
pub(crate) async fn publish_correlated(
    client: &async_nats::Client,
    subject: &str,
    headers: Option<HeaderMap>,
    payload: Bytes,
) -> Result<()> {
    let headers = with_correlation_id(headers, None);
    publish(client, Subject::from(subject), None, Some(headers), payload).await
}

pub(crate) async fn request(
    client: &async_nats::Client,
    subject: &str,
    headers: HeaderMap,
    payload: Bytes,
    timeout: Duration,
) -> Result<Message> {
    let size = payload.len() + headers_wire_len(&headers);
    let request = async_nats::Request::new()
        .payload(payload)
        .headers(headers)
        .timeout(Some(timeout));
    client
        .send_request(Subject::from(subject), request)
        .await
        .map(Message::from)
        .map_err(|error| match error.kind() {
            RequestErrorKind::NoResponders => Error::NoResponders {
                subject: subject.to_owned(),
            },
            RequestErrorKind::TimedOut => Error::Timeout {
                subject: subject.to_owned(),
                timeout,
            },
            RequestErrorKind::MaxPayloadExceeded => Error::PayloadTooLarge {
                size,
                max: client.server_info().max_payload,
            },
            _ => nats_error(NatsOperation::Request, error),
        })
}

pub(crate) async fn subscribe(
    client: &async_nats::Client,
    subject: &str,
    queue: Option<&str>,
) -> Result<async_nats::Subscriber> {
    let subject = subject.to_owned();
    let subscribed = match queue {
        Some(queue) => client.queue_subscribe(subject, queue.to_owned()).await,
        None => client.subscribe(subject).await,
    };
    subscribed.map_err(|error| nats_error(NatsOperation::Subscribe, error))
}

/// Unsubscribes; the messages already received are still yielded.
pub(crate) async fn drain(subscriber: &mut async_nats::Subscriber) -> Result<()> {
    subscriber
        .drain()
        .await
        .map_err(|error| nats_error(NatsOperation::Drain, error))
}

/// Waits until the server has processed everything sent so far.
///
/// async-nats's `flush` only writes the buffer to the socket; the server may not have
/// read it yet. A message to a fresh inbox of this connection comes back only after the
/// server processed every command sent before it (subscriptions included), so a
/// subscriber exists on the server when this returns.
pub(crate) async fn flush(client: &async_nats::Client) -> Result<()> {
    let inbox = client.new_inbox();
    let mut echo = client
        .subscribe(inbox.clone())
        .await
        .map_err(|error| nats_error(NatsOperation::Flush, error))?;
    client
        .publish(inbox, Bytes::new())
        .await
        .map_err(|error| nats_error(NatsOperation::Flush, error))?;
    client
        .flush()
        .await
        .map_err(|error| nats_error(NatsOperation::Flush, error))?;
    match echo.next().await {
        Some(_) => Ok(()),
        None => Err(Error::Closed),
    }
}

/// Drains the connection: subscriptions end after what they received.
pub(crate) async fn drain_client(client: &async_nats::Client) -> Result<()> {
    client
        .drain()
        .await
        .map_err(|error| nats_error(NatsOperation::Drain, error))
}
