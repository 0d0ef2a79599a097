//! Publishers: where a message goes — a subject (a core NATS publish) or a stream (a
//! JetStream publish that waits for the stream's acknowledgement). A subscriber given
//! publishers ([`Subscriber::publisher`](crate::subscriber::Subscriber::publisher),
//! `#[publisher("...")]`) publishes its handler's result to each of them; hooks and
//! handlers publish through one with [`Publisher::publish`], or to a subject computed
//! from the message with [`Publisher::publish_to`].
//!
//! A publisher's subject may name captures of its subscriber's pattern, `{name}`: each
//! result goes to the subject with the values the handled message's subject had there.
//! `#[subscriber]` checks at compile time, the app at startup, that each capture named
//! is the pattern's.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use faststream_kv_subject::{SubjectTemplate, check_publish_subject};

use crate::broker::Broker;
use crate::error::{Error, Result};
use crate::jetstream::{PublishAck, PublishOptions};
use crate::response::{IntoReply, Reply};
use crate::subject::Pattern;
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
/// // Each result goes to `orders.billed`, to `invoices.<region>` of the order's subject,
/// // and is stored in stream `BILLING`.
/// let billed = Publisher::subject("orders.billed");
/// let by_region = Publisher::subject("invoices.{region}");
/// let archived = Publisher::stream("billing.done").expected_stream("BILLING");
/// let subscriber = Subscriber::new("orders.{region}.created", bill)
///     .publisher(billed.clone())
///     .publisher(by_region)
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
    route: Route,
    stream: Option<StreamTarget>,
}

/// What its subject is made of.
#[derive(Clone, PartialEq, Eq)]
enum Route {
    /// A subject as written.
    Literal,
    /// A subject with `{capture}`s of the subscriber's pattern.
    Captures(Arc<SubjectTemplate>),
    /// Braces that make no capture, or no subject at all: refused at startup, and by
    /// each publish, never sent.
    Invalid(&'static str),
}

impl Route {
    fn of(subject: &str) -> Self {
        match SubjectTemplate::parse(subject) {
            Ok(template) if template.is_literal() => Self::Literal,
            Ok(template) => Self::Captures(Arc::new(template)),
            Err(_) => Self::Invalid(check_publish_subject(subject).err().unwrap_or(
                "braces that are not a whole-token `{capture}` (a `{name}` of the subscriber's pattern)",
            )),
        }
    }
}

/// A stream publisher's expectation.
#[derive(Clone, PartialEq, Eq)]
struct StreamTarget {
    /// The stream that must store the subject (the server refuses otherwise).
    expected: Option<Arc<str>>,
}

impl Publisher {
    /// Publishes to `subject` (core NATS: nobody listening is not an error). Its
    /// `{name}` tokens are filled with the captures of the subscriber's pattern.
    pub fn subject(subject: impl Into<String>) -> Self {
        Self::new(subject.into(), None)
    }

    /// Publishes to `subject` as a stream message: each publish waits for the
    /// acknowledgement of the stream storing it, and fails when none does. Its
    /// `{name}` tokens are filled with the captures of the subscriber's pattern.
    pub fn stream(subject: impl Into<String>) -> Self {
        Self::new(subject.into(), Some(StreamTarget { expected: None }))
    }

    fn new(subject: String, stream: Option<StreamTarget>) -> Self {
        Self {
            route: Route::of(&subject),
            subject: subject.into(),
            stream,
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
    pub(crate) fn prefixed(self, prefix: &str) -> Self {
        if prefix.is_empty() {
            return self;
        }
        Self::new(format!("{prefix}{}", self.subject), self.stream)
    }

    /// The subject it publishes to, as written (with its `{capture}`s).
    pub fn destination(&self) -> &str {
        &self.subject
    }

    /// The captures of the subscriber's pattern its subject names, in order.
    pub fn captures(&self) -> impl Iterator<Item = &str> {
        let template = match &self.route {
            Route::Captures(template) => Some(template.captures()),
            Route::Literal | Route::Invalid(_) => None,
        };
        template.into_iter().flatten()
    }

    /// Why its subject cannot be published to, if it cannot.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        match self.route {
            Route::Invalid(reason) => Some(reason),
            Route::Literal | Route::Captures(_) => None,
        }
    }

    /// Its subject with `{capture}`s as `*`: every subject it may publish to matches it.
    pub(crate) fn wildcard_subject(&self) -> std::borrow::Cow<'_, str> {
        match &self.route {
            Route::Captures(template) => template
                .fill(|_| Some("*"))
                .map_or_else(|_| self.subject.as_ref().into(), std::borrow::Cow::Owned),
            Route::Literal | Route::Invalid(_) => self.subject.as_ref().into(),
        }
    }

    /// Whether its subject depends on the handled message.
    pub(crate) fn routes_by_message(&self) -> bool {
        matches!(self.route, Route::Captures(_))
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
    /// publisher. From a handler, it carries the handled message's correlation id
    /// unless `message` has its own.
    ///
    /// # Errors
    ///
    /// As [`Broker::publish`] for a subject publisher, as
    /// [`Broker::stream_publish`] for a stream one; [`Error::InvalidSubject`] for a
    /// reply subject on a stream publish (the server answers a stream publish with its
    /// acknowledgement), and for a subject with `{capture}`s (only a subscriber's
    /// results fill them: publish with [`publish_to`](Self::publish_to)); the error of
    /// an `Err` message.
    pub async fn publish(
        &self,
        broker: &Broker,
        message: impl IntoReply,
    ) -> Result<Option<PublishAck>> {
        let subject = match &self.route {
            Route::Literal => &self.subject,
            Route::Captures(_) => {
                return Err(Error::InvalidSubject {
                    subject: self.subject.to_string(),
                    reason: "its `{capture}`s are filled only for a subscriber's results: publish with `publish_to` and the subject",
                });
            }
            Route::Invalid(reason) => {
                return Err(Error::InvalidSubject {
                    subject: self.subject.to_string(),
                    reason,
                });
            }
        };
        self.send(broker, subject, message.into_reply()?, None)
            .await
    }

    /// Publishes `message` as [`publish`](Self::publish) does — to a stream or not,
    /// with the same expectation — but to `subject`: the subject a handler computed
    /// from its message. From a handler, it carries the handled message's correlation
    /// id (unless `message` has its own) and trace context, as the subscriber's own
    /// results do.
    ///
    /// ```
    /// use faststream_kv::prelude::*;
    /// use faststream_kv::publisher::Publisher;
    ///
    /// #[derive(serde::Deserialize, serde::Serialize)]
    /// struct Order { country: String }
    ///
    /// #[subscriber("orders.created")]
    /// async fn route(Json(order): Json<Order>, Ctx(broker): Ctx<Broker>) -> Result<(), Error> {
    ///     let invoices = Publisher::stream("invoices");
    ///     let subject = format!("invoices.{}", order.country);
    ///     invoices.publish_to(&broker, &subject, Json(order)).await?;
    ///     Ok(())
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`publish`](Self::publish); [`Error::InvalidSubject`] for an invalid
    /// `subject`.
    pub async fn publish_to(
        &self,
        broker: &Broker,
        subject: &str,
        message: impl IntoReply,
    ) -> Result<Option<PublishAck>> {
        self.send(broker, subject, message.into_reply()?, None)
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

    /// Publishes `reply`, a result of a handler for a message on `received` (a
    /// subject `pattern` matched, whose captures fill its subject); without a
    /// correlation id of its own it gets `correlation_id`, the handled message's.
    pub(crate) async fn publish_result(
        &self,
        broker: &Broker,
        reply: Reply,
        received: Option<(&Pattern, &str)>,
        correlation_id: &str,
    ) -> Result<Option<PublishAck>> {
        let filled;
        let subject = match &self.route {
            Route::Literal => &*self.subject,
            Route::Captures(template) => {
                filled = template
                    .fill(|name| {
                        let (pattern, subject) = received?;
                        pattern.capture(subject, name)
                    })
                    .map_err(|_| Error::InvalidSubject {
                        subject: self.subject.to_string(),
                        reason: "names a `{capture}` the subscriber's pattern does not have",
                    })?;
                &filled
            }
            Route::Invalid(reason) => {
                return Err(Error::InvalidSubject {
                    subject: self.subject.to_string(),
                    reason,
                });
            }
        };
        self.send(broker, subject, reply, Some(correlation_id))
            .await
    }

    /// Publishes `reply` to `subject`; without a correlation id of its own it gets
    /// `correlation_id`, else the handled message's, else a new one.
    async fn send(
        &self,
        broker: &Broker,
        subject: &str,
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
                .publish_outgoing(subject, reply_to, headers, payload)
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
            .stream_publish_with(subject, payload, options)
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
