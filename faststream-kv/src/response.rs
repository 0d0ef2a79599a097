//! What a handler returns: anything that turns into a [`Reply`].

use async_nats::header::IntoHeaderValue;
use async_nats::{HeaderMap, Subject};
use bytes::Bytes;

use crate::error::{BoxError, Error};
use crate::wire::{CONTENT_TYPE, CORRELATION_ID, TEXT_PLAIN, error_reply};

/// An outgoing message: payload and headers, sent to the reply subject of a request, to
/// a handler's [publishers](crate::publisher::Publisher), or by
/// [`Broker::publish_message`](crate::Broker::publish_message).
///
/// Handlers usually return `Json<T>`, `String`, `Bytes` or `()`; return a `Reply` to set
/// headers, a correlation id or a reply subject yourself.
///
/// ```
/// use faststream_kv::Reply;
///
/// let reply = Reply::new("accepted").header("x-queue-position", "3");
/// let position = reply.headers().and_then(|h| h.get("x-queue-position"));
/// assert_eq!(position.map(|v| v.as_str()), Some("3"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Reply {
    payload: Bytes,
    /// Boxed: most replies have neither (a handler returning `()`), and a handler's
    /// reply is moved several times on its way out of the consume loop.
    extras: Option<Box<Extras>>,
    /// From a handler returning `None`: nothing to publish.
    absent: bool,
}

/// What few replies carry besides their payload.
#[derive(Debug, Clone, Default)]
struct Extras {
    headers: Option<HeaderMap>,
    reply_to: Option<Subject>,
}

impl Reply {
    /// A reply with `payload` and no headers.
    pub fn new(payload: impl Into<Bytes>) -> Self {
        Self {
            payload: payload.into(),
            ..Self::default()
        }
    }

    /// An empty reply (what a handler returning `()` sends to a request).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Its `correlation_id` header (FastStream's): a message published without one gets
    /// the id of the message its handler is handling, or a new one; a reply to a
    /// request always carries the request's.
    pub fn correlation_id(self, id: &str) -> Self {
        self.header(CORRELATION_ID, id)
    }

    /// Where the receiver of a published message sends its reply (FastStream's
    /// `reply_to`): the published message's reply subject. A stream publish has none
    /// (the server answers it with its acknowledgement) and refuses it.
    pub fn reply_to(mut self, subject: impl Into<String>) -> Self {
        self.extras().reply_to = Some(Subject::from(subject.into()));
        self
    }

    /// The reply subject set with [`reply_to`](Self::reply_to).
    pub fn reply_subject(&self) -> Option<&str> {
        self.extras.as_ref()?.reply_to.as_deref()
    }

    /// Whether it stands for a handler's `None`: a request gets an empty reply, and
    /// nothing is published.
    pub fn is_absent(&self) -> bool {
        self.absent
    }

    /// Adds header `name: value`, replacing an earlier value of `name`.
    pub fn header(mut self, name: &str, value: impl IntoHeaderValue) -> Self {
        self.extras()
            .headers
            .get_or_insert_with(HeaderMap::new)
            .insert(name, value);
        self
    }

    fn extras(&mut self) -> &mut Extras {
        self.extras.get_or_insert_default()
    }

    /// The payload.
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The headers, if any were set.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.extras.as_ref()?.headers.as_ref()
    }

    /// The error reply for `error`: its text as body, `Nats-Service-Error` and
    /// `Nats-Service-Error-Code` headers (as NATS micro services send them).
    pub fn error(error: &Error) -> Self {
        let (payload, headers) = error_reply(error);
        Self {
            payload,
            extras: Some(Box::new(Extras {
                headers: Some(headers),
                reply_to: None,
            })),
            absent: false,
        }
    }

    pub(crate) fn into_parts(self) -> (Bytes, Option<HeaderMap>) {
        let (payload, headers, _) = self.into_outgoing();
        (payload, headers)
    }

    /// Payload, headers and reply subject.
    pub(crate) fn into_outgoing(self) -> (Bytes, Option<HeaderMap>, Option<Subject>) {
        let Extras { headers, reply_to } = self.extras.map(|extras| *extras).unwrap_or_default();
        (self.payload, headers, reply_to)
    }
}

// Moved several times per handled message: keep it a few words.
const _: () = assert!(std::mem::size_of::<Reply>() <= 48);

/// Turns a handler's return value into the reply sent to a request.
///
/// Implemented for `()`, [`Reply`], [`Bytes`], `Vec<u8>`, `String`, `&'static str`,
/// [`Json<T>`](crate::extract::Json), `Option<T>` (`None`: an empty reply, nothing
/// published) and `Result<T, E>` of those, where `E` is any error (an `Err` becomes an
/// error reply).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as a reply",
    label = "handlers must return a type that implements `IntoReply`",
    note = "return `()`, `String`, `Bytes`, `Json<T>`, `Reply`, or `Option<T>` / `Result<T, E>` of one of these"
)]
pub trait IntoReply {
    /// Whether this type carries a reply (`()` does not): what the AsyncAPI document
    /// says about a handler returning it.
    const REPLIES: bool = true;

    /// The reply to send.
    fn into_reply(self) -> Result<Reply, Error>;

    /// The outcome when nobody waits for a reply: only whether the handler failed.
    /// Implementations skip encoding here.
    fn into_outcome(self) -> Result<(), Error>
    where
        Self: Sized,
    {
        self.into_reply().map(drop)
    }
}

impl IntoReply for () {
    const REPLIES: bool = false;

    fn into_reply(self) -> Result<Reply, Error> {
        Ok(Reply::empty())
    }

    fn into_outcome(self) -> Result<(), Error> {
        Ok(())
    }
}

impl IntoReply for Reply {
    fn into_reply(self) -> Result<Reply, Error> {
        Ok(self)
    }
}

impl IntoReply for Bytes {
    fn into_reply(self) -> Result<Reply, Error> {
        Ok(Reply::new(self))
    }
}

impl IntoReply for Vec<u8> {
    fn into_reply(self) -> Result<Reply, Error> {
        Ok(Reply::new(self))
    }
}

impl IntoReply for String {
    fn into_reply(self) -> Result<Reply, Error> {
        Ok(Reply::new(self).header(CONTENT_TYPE, TEXT_PLAIN))
    }

    fn into_outcome(self) -> Result<(), Error> {
        Ok(())
    }
}

impl IntoReply for &'static str {
    fn into_reply(self) -> Result<Reply, Error> {
        Ok(Reply::new(self).header(CONTENT_TYPE, TEXT_PLAIN))
    }

    fn into_outcome(self) -> Result<(), Error> {
        Ok(())
    }
}

impl<T: IntoReply> IntoReply for Option<T> {
    const REPLIES: bool = T::REPLIES;

    fn into_reply(self) -> Result<Reply, Error> {
        match self {
            Some(value) => value.into_reply(),
            None => Ok(Reply {
                absent: true,
                ..Reply::default()
            }),
        }
    }

    fn into_outcome(self) -> Result<(), Error> {
        self.map_or(Ok(()), IntoReply::into_outcome)
    }
}

impl<T, E> IntoReply for Result<T, E>
where
    T: IntoReply,
    E: Into<BoxError>,
{
    const REPLIES: bool = T::REPLIES;

    fn into_reply(self) -> Result<Reply, Error> {
        self.map_err(|error| Error::from_boxed(error.into()))?
            .into_reply()
    }

    fn into_outcome(self) -> Result<(), Error> {
        self.map_err(|error| Error::from_boxed(error.into()))?
            .into_outcome()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_err_becomes_error() {
        let failed: Result<String, std::io::Error> = Err(std::io::Error::other("disk"));
        assert!(matches!(failed.into_reply(), Err(Error::Handler { .. })));
        let typed: Result<(), Error> = Err(Error::NoResponders {
            subject: "x".into(),
        });
        assert!(matches!(
            typed.into_outcome(),
            Err(Error::NoResponders { .. })
        ));
    }
}
