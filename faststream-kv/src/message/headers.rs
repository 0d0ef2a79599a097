//! A message's headers, built on first read when all they hold is a new correlation id.
//!
//! Every publish carries a `correlation_id`. On the memory broker, a header map for it
//! would cost three allocations per message, made on the publisher's thread and freed
//! on the subscriber's (frees across threads contend on the allocator), for a header
//! most handlers never read. So a publish without headers sends the 16-byte id, and the
//! map is built when something reads the headers.

use std::fmt;
use std::sync::OnceLock;

use async_nats::HeaderMap;

use crate::wire::{CORRELATION_ID, CorrelationId, HandledId, headers_wire_len};

/// The header block of a correlation id alone: `NATS/1.0`, `correlation_id: <uuid>`, a
/// blank line.
const CORRELATION_ID_ONLY_WIRE_LEN: usize =
    "NATS/1.0\r\n".len() + CORRELATION_ID.len() + ": ".len() + 36 + 2 + "\r\n".len();

pub(crate) enum MessageHeaders {
    Map(HeaderMap),
    /// No headers (no `id`), or only a new correlation id, not yet written out.
    Lazy(Lazy),
}

pub(crate) struct Lazy {
    id: Option<CorrelationId>,
    // Boxed, so that the enum is no larger than a header map.
    built: OnceLock<Box<HeaderMap>>,
}

impl MessageHeaders {
    /// No headers.
    pub(crate) const fn none() -> Self {
        Self::lazy(None)
    }

    /// Headers with only a new correlation id.
    pub(crate) fn new_correlation_id() -> Self {
        Self::lazy(Some(CorrelationId::new()))
    }

    const fn lazy(id: Option<CorrelationId>) -> Self {
        Self::Lazy(Lazy {
            id,
            built: OnceLock::new(),
        })
    }

    /// The size of the header block on the wire (0 without headers).
    pub(crate) fn wire_len(&self) -> usize {
        match self {
            Self::Map(headers) => headers_wire_len(headers),
            Self::Lazy(Lazy { id: None, .. }) => 0,
            Self::Lazy(Lazy { id: Some(_), .. }) => CORRELATION_ID_ONLY_WIRE_LEN,
        }
    }

    /// The headers if they were set as a map (not only a new correlation id).
    pub(crate) fn map(&self) -> Option<&HeaderMap> {
        match self {
            Self::Map(headers) => Some(headers),
            Self::Lazy(_) => None,
        }
    }

    /// The correlation id, without writing out a lazy one.
    pub(crate) fn handled_id(&self) -> Option<HandledId> {
        match self {
            Self::Map(headers) => Some(HandledId::Given(
                headers.get(CORRELATION_ID)?.as_str().into(),
            )),
            Self::Lazy(lazy) => lazy.id.map(HandledId::Made),
        }
    }

    pub(crate) fn get(&self) -> Option<&HeaderMap> {
        match self {
            Self::Map(headers) => Some(headers),
            Self::Lazy(lazy) => {
                let id = lazy.id?;
                Some(lazy.built.get_or_init(|| {
                    let mut headers = HeaderMap::new();
                    id.insert_into(&mut headers);
                    Box::new(headers)
                }))
            }
        }
    }
}

impl From<Option<HeaderMap>> for MessageHeaders {
    fn from(headers: Option<HeaderMap>) -> Self {
        headers.map_or(Self::none(), Self::Map)
    }
}

impl Clone for MessageHeaders {
    /// A lazy correlation id stays lazy: the clone has the same id, written out on its
    /// own first read.
    fn clone(&self) -> Self {
        match self {
            Self::Map(headers) => Self::Map(headers.clone()),
            Self::Lazy(lazy) => Self::lazy(lazy.id),
        }
    }
}

impl fmt::Debug for MessageHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

// `Message` keeps within 128 bytes only if this is no larger than a header map.
const _: () =
    assert!(std::mem::size_of::<MessageHeaders>() <= std::mem::size_of::<Option<HeaderMap>>());

#[cfg(test)]
mod tests {
    use super::*;

    fn correlation_id(headers: &MessageHeaders) -> Option<String> {
        Some(headers.get()?.get(CORRELATION_ID)?.to_string())
    }

    #[test]
    fn a_new_correlation_id_is_written_out_on_read_and_kept_by_clones() {
        let headers = MessageHeaders::new_correlation_id();
        let lazy_len = headers.wire_len();
        assert_eq!(
            lazy_len,
            headers.get().map_or(0, headers_wire_len),
            "the lazy size is the built one"
        );
        let before_read = headers.clone();
        let id = correlation_id(&headers).expect("a correlation id");
        assert_eq!(
            uuid::Uuid::parse_str(&id).map(|id| id.get_version_num()),
            Ok(4)
        );
        assert_eq!(correlation_id(&headers).as_ref(), Some(&id), "read twice");
        assert_eq!(correlation_id(&headers.clone()).as_ref(), Some(&id));
        assert_eq!(correlation_id(&before_read), Some(id));
        assert_ne!(
            correlation_id(&MessageHeaders::new_correlation_id()),
            correlation_id(&headers)
        );
    }

    #[test]
    fn no_headers_and_given_headers_read_as_they_are() {
        assert!(MessageHeaders::none().get().is_none());
        assert!(MessageHeaders::none().clone().get().is_none());
        let mut map = HeaderMap::new();
        map.insert("tenant", "acme");
        let headers = MessageHeaders::from(Some(map));
        assert_eq!(
            headers
                .clone()
                .get()
                .and_then(|h| h.get("tenant"))
                .map(|v| v.as_str()),
            Some("acme")
        );
        assert!(headers.get().and_then(|h| h.get(CORRELATION_ID)).is_none());
    }
}
