//! An incoming message, as a handler and its extractors see it.

mod headers;

use std::fmt;

use async_nats::{HeaderMap, Subject};
use bytes::Bytes;

use crate::context::Extensions;
use crate::wire::{CONTENT_TYPE, CORRELATION_ID, REPLY_TO};
pub(crate) use headers::MessageHeaders;

/// A message received on a subscription: subject, payload, headers and reply subject,
/// plus values that middleware attached for this message only.
///
/// The payload is [`Bytes`]: extractors that decode it borrow, nothing is copied.
pub struct Message {
    subject: Subject,
    // Boxed: only requests have one, and a `Message` of at most 128 bytes is moved
    // with a few register copies instead of a `memcpy` call.
    reply: Option<Box<Subject>>,
    payload: Bytes,
    headers: MessageHeaders,
    extensions: Extensions,
}

impl Message {
    /// Headers and payload as they count against a server's `max_payload`.
    pub(crate) fn wire_size(&self) -> usize {
        self.payload.len() + self.headers.wire_len()
    }

    /// A message on `subject` with `payload`; mainly for tests and custom transports.
    pub fn new(subject: impl Into<Subject>, payload: impl Into<Bytes>) -> Self {
        Self {
            subject: subject.into(),
            reply: None,
            payload: payload.into(),
            headers: MessageHeaders::none(),
            extensions: Extensions::default(),
        }
    }

    /// Sets the reply subject.
    pub fn with_reply(mut self, reply: impl Into<Subject>) -> Self {
        self.reply = Some(Box::new(reply.into()));
        self
    }

    /// Sets the headers.
    pub fn with_headers(mut self, headers: HeaderMap) -> Self {
        self.headers = MessageHeaders::Map(headers);
        self
    }

    /// The subject the message was published on.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The reply subject of a request, if any.
    pub fn reply(&self) -> Option<&str> {
        self.reply.as_deref().map(Subject::as_str)
    }

    /// The raw payload.
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The headers, if the message has any.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.headers.get()
    }

    /// The (first) value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        Some(self.headers()?.get(name)?.as_str())
    }

    /// The (first) value of header `name`, unless all the headers hold is a new
    /// correlation id not yet written out (then there is no `name` to find, and the
    /// map is not built to find it).
    pub(crate) fn header_if_set(&self, name: &str) -> Option<&str> {
        Some(self.headers.map()?.get(name)?.as_str())
    }

    /// The FastStream `correlation_id` header.
    pub fn correlation_id(&self) -> Option<&str> {
        self.header(CORRELATION_ID)
    }

    /// The correlation id what its handler publishes carries.
    #[inline]
    pub(crate) fn handled_id(&self) -> Option<crate::wire::HandledId> {
        self.headers.handled_id()
    }

    /// The `content-type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.header(CONTENT_TYPE)
    }

    /// Values attached to this message by middleware.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// Attach values to this message (from a tower layer, before the handler runs).
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }

    /// A message from its parts, as a transport received or builds them.
    #[inline(always)]
    pub(crate) fn from_parts(
        subject: Subject,
        reply: Option<Subject>,
        headers: MessageHeaders,
        payload: Bytes,
    ) -> Self {
        Self {
            subject,
            reply: reply.map(Box::new),
            payload,
            headers,
            extensions: Extensions::default(),
        }
    }

    /// A message a stream consumer delivered: its reply subject is FastStream's
    /// `reply_to` header (a stream request's), never the delivery's ack subject.
    pub(crate) fn from_stream(subject: Subject, headers: MessageHeaders, payload: Bytes) -> Self {
        let reply = headers
            .map()
            .and_then(|headers| headers.get(REPLY_TO))
            .map(|reply_to| reply_to.as_str())
            .filter(|reply_to| !reply_to.is_empty())
            .map(Subject::from);
        Self::from_parts(subject, reply, headers, payload)
    }

    pub(crate) fn reply_subject(&self) -> Option<&Subject> {
        self.reply.as_deref()
    }

    pub(crate) fn subject_raw(&self) -> &Subject {
        &self.subject
    }
}

impl Message {
    /// A copy without the extensions (which may hold what settles a stream message).
    pub(crate) fn without_extensions(&self) -> Self {
        Self {
            extensions: Extensions::default(),
            ..self.clone()
        }
    }
}

impl Clone for Message {
    /// Clones subject, payload, reply and headers, and shares the [`Extensions`]' values.
    fn clone(&self) -> Self {
        Self {
            subject: self.subject.clone(),
            reply: self.reply.clone(),
            payload: self.payload.clone(),
            headers: self.headers.clone(),
            extensions: self.extensions.clone(),
        }
    }
}

impl From<async_nats::Message> for Message {
    #[inline]
    fn from(message: async_nats::Message) -> Self {
        Self::from_parts(
            message.subject,
            message.reply,
            message.headers.into(),
            message.payload,
        )
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("subject", &self.subject())
            .field("reply", &self.reply())
            .field("payload_len", &self.payload.len())
            .field("headers", &self.headers)
            .finish()
    }
}

// Moved several times per message on the hot path: keep it within what the compiler
// copies inline.
const _: () = assert!(std::mem::size_of::<Message>() <= 128);
