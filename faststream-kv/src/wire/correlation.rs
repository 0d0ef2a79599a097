//! FastStream's `correlation_id`: a new id is a random (version 4) UUID string, as
//! FastStream writes it. Ids only need to be unique, so they come from uuid's fast
//! thread-local generator, not a system call per message. What a handler publishes
//! carries the id of the message it handles: it is made current around each poll of
//! the handler, as the trace context is.

use std::cell::Cell;
use std::sync::Arc;

use async_nats::{HeaderMap, HeaderName};

use super::CORRELATION_ID;

/// The header name without an allocation per message.
const CORRELATION_ID_HEADER: HeaderName = HeaderName::from_static(CORRELATION_ID);

/// A new correlation id, not yet written out. Copying one is free; the header is built
/// where it is needed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CorrelationId(uuid::Uuid);

impl CorrelationId {
    pub(crate) fn new() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    /// It, hyphenated, as a string.
    pub(crate) fn hyphenated(self) -> String {
        self.0.hyphenated().to_string()
    }

    /// Sets it, hyphenated, as the `correlation_id` header.
    pub(crate) fn insert_into(self, headers: &mut HeaderMap) {
        let mut buffer = uuid::Uuid::encode_buffer();
        let id: &str = self.0.hyphenated().encode_lower(&mut buffer);
        headers.insert(CORRELATION_ID_HEADER, id);
    }
}

/// A handled message's correlation id: one the sender wrote, or one made for it that
/// is not written out yet (copied, not allocated).
#[derive(Debug, Clone)]
pub(crate) enum HandledId {
    Given(Arc<str>),
    Made(CorrelationId),
}

thread_local! {
    /// The correlation id of the message whose handler is polled on this thread.
    static HANDLED: Cell<Option<HandledId>> = const { Cell::new(None) };
}

/// The handled message's correlation id made current while a handler is polled; the
/// one before it is restored when dropped.
pub(crate) struct Handled<'a> {
    /// Holds the previous id while this one is current.
    slot: &'a mut Option<HandledId>,
}

impl<'a> Handled<'a> {
    /// Makes the id in `slot` current; nothing without one.
    #[inline]
    pub(crate) fn enter(slot: &'a mut Option<HandledId>) -> Option<Self> {
        let id = slot.take()?;
        *slot = HANDLED.replace(Some(id));
        Some(Self { slot })
    }
}

impl Drop for Handled<'_> {
    fn drop(&mut self) {
        let previous = self.slot.take();
        *self.slot = HANDLED.replace(previous);
    }
}

/// Inserts the handled message's correlation id, else a new one.
fn insert_handled_or_new(headers: &mut HeaderMap) {
    let handled = HANDLED.take();
    match &handled {
        Some(HandledId::Given(id)) => headers.insert(CORRELATION_ID_HEADER, id.as_ref()),
        Some(HandledId::Made(id)) => id.insert_into(headers),
        None => CorrelationId::new().insert_into(headers),
    }
    HANDLED.set(handled);
}

/// Whether a handler is polled on this thread for a message with a correlation id.
pub(crate) fn handling_correlated() -> bool {
    let handled = HANDLED.take();
    let correlated = handled.is_some();
    HANDLED.set(handled);
    correlated
}

/// `headers` with a `correlation_id`: `inherited` (a reply keeps the request's), else
/// the one already set, else the handled message's, else a new one.
pub(crate) fn with_correlation_id(
    headers: Option<HeaderMap>,
    inherited: Option<&str>,
) -> HeaderMap {
    let mut headers = headers.unwrap_or_default();
    match inherited {
        Some(id) => headers.insert(CORRELATION_ID_HEADER, id),
        None if headers.get(CORRELATION_ID).is_none() => insert_handled_or_new(&mut headers),
        None => {}
    }
    headers
}

/// `headers` with a `correlation_id`: the one already set, else `fallback`, else the
/// handled message's, else a new one.
pub(crate) fn correlated(headers: Option<HeaderMap>, fallback: Option<&str>) -> HeaderMap {
    let mut headers = headers.unwrap_or_default();
    if headers.get(CORRELATION_ID).is_none() {
        match fallback {
            Some(id) => headers.insert(CORRELATION_ID_HEADER, id),
            None => insert_handled_or_new(&mut headers),
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v4_uuids_and_distinct() {
        let ids: std::collections::HashSet<String> = (0..10_000)
            .map(|_| {
                let headers = with_correlation_id(None, None);
                headers
                    .get(CORRELATION_ID)
                    .expect("set")
                    .as_str()
                    .to_owned()
            })
            .collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(10) {
            let parsed = uuid::Uuid::parse_str(id).expect("a UUID");
            assert_eq!(parsed.get_version_num(), 4);
        }
    }

    #[test]
    fn a_handled_message_id_is_current_only_while_entered() {
        let mut slot = Some(HandledId::Given(Arc::from("handled-id")));
        {
            let _entered = Handled::enter(&mut slot);
            let headers = with_correlation_id(None, None);
            assert_eq!(
                headers.get(CORRELATION_ID).map(|v| v.as_str()),
                Some("handled-id")
            );
        }
        assert!(matches!(slot, Some(HandledId::Given(id)) if &*id == "handled-id"));
        assert!(!handling_correlated());
        let headers = correlated(None, None);
        assert_ne!(
            headers.get(CORRELATION_ID).map(|v| v.as_str()),
            Some("handled-id")
        );
    }

    #[test]
    fn a_reply_keeps_the_request_id_and_a_set_id_is_kept() {
        let inherited = with_correlation_id(None, Some("request-id"));
        assert_eq!(
            inherited.get(CORRELATION_ID).map(|v| v.as_str()),
            Some("request-id")
        );
        let kept = with_correlation_id(Some(inherited), None);
        assert_eq!(
            kept.get(CORRELATION_ID).map(|v| v.as_str()),
            Some("request-id")
        );
    }
}
