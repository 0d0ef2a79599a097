//! `OrderingKey`: what decides which of a subscriber's messages are handled in order
//! when it runs several workers.

use crate::message::Message;
use crate::subject::Pattern;

/// With [`workers_by_key`](crate::subscriber::Subscriber::workers_by_key), messages of
/// the same key are handled one at a time, in the order they came; messages of
/// different keys in parallel, up to `max_workers` at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderingKey {
    /// The value of the pattern's `{name}` capture (`orders.{customer}.*` keyed by
    /// `customer`). A startup error if the pattern has no such capture.
    Capture(String),
    /// The value of this header; messages without it share one key.
    Header(String),
    /// The whole subject (for a `kv_watch` subscriber: the key).
    Subject,
}

impl OrderingKey {
    /// Keyed by the pattern's `{name}` capture.
    pub fn capture(name: impl Into<String>) -> Self {
        Self::Capture(name.into())
    }

    /// Keyed by the value of header `name`.
    pub fn header(name: impl Into<String>) -> Self {
        Self::Header(name.into())
    }

    /// `message`'s key under `pattern` (which matched it).
    pub(crate) fn of<'m>(&self, pattern: &Pattern, message: &'m Message) -> &'m str {
        match self {
            Self::Capture(name) => pattern.capture(message.subject(), name).unwrap_or(""),
            Self::Header(name) => message.header(name).unwrap_or(""),
            Self::Subject => message.subject(),
        }
    }
}
