//! Requests over a stream, as FastStream makes them: the message is stored in the
//! stream with a `reply_to` header naming an inbox, and the stream subscriber that
//! handles it sends its result there.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;

use super::Broker;
use crate::error::{Error, Result};
use crate::jetstream::PublishOptions;
use crate::message::Message;
use crate::subject::validate_publish_subject;
use crate::wire::{CorrelationId, REPLY_TO, service_error};

impl Broker {
    /// Stores `payload` in the stream holding `subject` as a request and waits for the
    /// handler's reply: what FastStream's `broker.request(..., stream=...)` does, so
    /// FastStream stream subscribers answer it, and a faststream-kv stream subscriber
    /// answers FastStream's.
    ///
    /// # Errors
    ///
    /// As [`stream_request_with`](Self::stream_request_with).
    pub async fn stream_request(
        &self,
        subject: &str,
        payload: impl Into<Bytes>,
    ) -> Result<Message> {
        self.stream_request_with(subject, payload, PublishOptions::new(), None)
            .await
    }

    /// A [`stream_request`](Self::stream_request) with a message id, expectations or
    /// headers, and a timeout of its own (else the broker's request timeout), which
    /// covers the store and the reply.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] when no reply came in time (the request stays in the stream,
    /// and its handler may still run); [`Error::Service`] for an error reply; otherwise
    /// as [`stream_publish_with`](Self::stream_publish_with).
    pub async fn stream_request_with(
        &self,
        subject: &str,
        payload: impl Into<Bytes>,
        options: PublishOptions,
        timeout: Option<Duration>,
    ) -> Result<Message> {
        validate_publish_subject(subject)?;
        let timeout = timeout.unwrap_or_else(|| self.shared.target.default_request_timeout());
        let inbox = format!("_INBOX.{}", CorrelationId::new().hyphenated());
        // Subscribed before the request is stored: the reply cannot come first.
        let mut replies = self.subscribe(&inbox).await?;
        let options = options.header(REPLY_TO, inbox.as_str());
        let requested = async {
            self.stream_publish_with(subject, payload, options).await?;
            replies.next().await.ok_or(Error::Closed)
        };
        let reply = tokio::time::timeout(timeout, requested)
            .await
            .map_err(|_| Error::Timeout {
                subject: subject.to_owned(),
                timeout,
            })??;
        match service_error(reply.headers(), reply.payload()) {
            Some(error) => Err(error),
            None => Ok(reply),
        }
    }
}
