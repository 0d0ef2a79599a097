//! Publishers: where a message goes — a subject (a core NATS publish) or a stream (a
//! JetStream publish that waits for the stream's acknowledgement). A subscriber given
//! publishers ([`Subscriber::publisher`](crate::subscriber::Subscriber::publisher),
//! `#[publisher("...")]`) publishes its handler's result to each of them; hooks and
//! handlers publish through one with [`Publisher::publish`].

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::broker::Broker;
use crate::error::{Error, Result};
use crate::jetstream::{PublishAck, PublishOptions};
use crate::response::{IntoReply, Reply};
use crate::trace::propagate;
use crate::wire::correlated;

/// A destination for messages, cheap to clone.
///
/// ```
/// use faststream_kv::prelude::*;
/// use faststream_kv::publisher::Publisher;
/// use faststream_kv::subscriber::Subscriber;
///
/// async fn bill(Json(order): Json<serde_json::Value>) -> Json<serde_json::Value> {
///     Json(serde_json::json!({ "billed": order }))
/// }
///
/// // Each result goes to `orders.billed`, and is stored in stream `BILLING`.
/// let billed = Publisher::subject("orders.billed");
/// let archived = Publisher::stream("billing.done").expected_stream("BILLING");
/// let subscriber = Subscriber::new("orders.created", bill)
///     .publisher(billed.clone())
///     .publisher(archived);
/// let app = App::new(Broker::memory())
///     .subscriber(subscriber)
///     .after_startup(move |cx| {
///         let billed = billed.clone();
///         async move { billed.publish(cx.broker(), "warming up").await.map(drop) }
///     });
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Publisher {
    subject: Arc<str>,
    stream: Option<StreamTarget>,
}

/// A stream publisher's expectation.
#[derive(Clone, PartialEq, Eq)]
struct StreamTarget {
    /// The stream that must store the subject (the server refuses otherwise).
    expected: Option<Arc<str>>,
}

impl Publisher {
    /// Publishes to `subject` (core NATS: nobody listening is not an error).
    pub fn subject(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into().into(),
            stream: None,
        }
    }

    /// Publishes to `subject` as a stream message: each publish waits for the
    /// acknowledgement of the stream storing it, and fails when none does.
    pub fn stream(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into().into(),
            stream: Some(StreamTarget { expected: None }),
        }
    }

    /// A stream publish that stream `name` must store (the server checks it); makes
    /// a subject publisher a stream one.
    pub fn expected_stream(mut self, name: impl Into<String>) -> Self {
        self.stream = Some(StreamTarget {
            expected: Some(name.into().into()),
        });
        self
    }

    /// The same publisher to `prefix` followed by its subject.
    pub(crate) fn prefixed(mut self, prefix: &str) -> Self {
        if !prefix.is_empty() {
            self.subject = format!("{prefix}{}", self.subject).into();
        }
        self
    }

    /// The subject it publishes to.
    pub fn destination(&self) -> &str {
        &self.subject
    }

    /// Whether it publishes to a stream (and waits for the acknowledgement).
    pub fn is_stream(&self) -> bool {
        self.stream.is_some()
    }

    /// The stream that must store its messages, if one was named.
    pub fn stream_name(&self) -> Option<&str> {
        self.stream.as_ref()?.expected.as_deref()
    }

    /// Publishes `message` — anything a handler may return: `String`, `Bytes`,
    /// `Json<T>`, a [`Reply`] with headers, a correlation id or a reply subject. A
    /// `None` publishes nothing. Returns the stream's acknowledgement for a stream
    /// publisher.
    ///
    /// # Errors
    ///
    /// As [`Broker::publish`] for a subject publisher, as
    /// [`Broker::stream_publish`] for a stream one; [`Error::InvalidSubject`] for a
    /// reply subject on a stream publish (the server answers a stream publish with its
    /// acknowledgement); the error of an `Err` message.
    pub async fn publish(
        &self,
        broker: &Broker,
        message: impl IntoReply,
    ) -> Result<Option<PublishAck>> {
        self.publish_reply(broker, message.into_reply()?, None)
            .await
    }

    /// Publishes `value` as JSON (`content-type: application/json`).
    ///
    /// # Errors
    ///
    /// [`Error::Encode`] when `value` does not serialize; otherwise as
    /// [`publish`](Self::publish).
    pub async fn publish_json<T: Serialize + ?Sized>(
        &self,
        broker: &Broker,
        value: &T,
    ) -> Result<Option<PublishAck>> {
        self.publish(broker, crate::broker::json_reply(value)?)
            .await
    }

    /// Publishes `reply`; without a correlation id of its own it gets `correlation_id`
    /// (the handled message's), else a new one.
    pub(crate) async fn publish_reply(
        &self,
        broker: &Broker,
        reply: Reply,
        correlation_id: Option<&str>,
    ) -> Result<Option<PublishAck>> {
        if reply.is_absent() {
            return Ok(None);
        }
        let (payload, headers, reply_to) = reply.into_outgoing();
        let headers = correlated(propagate(headers), correlation_id);
        let Some(stream) = &self.stream else {
            broker
                .publish_outgoing(&self.subject, reply_to, headers, payload)
                .await?;
            return Ok(None);
        };
        if let Some(reply_to) = reply_to {
            return Err(Error::InvalidSubject {
                subject: reply_to.to_string(),
                reason: "a stream publish has no reply subject: the stream's acknowledgement answers it",
            });
        }
        let mut options = PublishOptions::new().headers(headers);
        if let Some(expected) = &stream.expected {
            options = options.expected_stream(expected.as_ref());
        }
        broker
            .stream_publish_with(&self.subject, payload, options)
            .await
            .map(Some)
    }
}

impl fmt::Debug for Publisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Publisher");
        debug.field("subject", &self.subject);
        if let Some(stream) = &self.stream {
            debug.field("stream", &stream.expected.as_deref().unwrap_or("any"));
        }
        debug.finish()
    }
}
