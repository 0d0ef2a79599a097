//! The `traceparent` header of what is sent while a trace is current.

use async_nats::{HeaderMap, HeaderName};

use super::TraceContext;
use crate::wire::TRACEPARENT;

/// The header name without an allocation per message.
const TRACEPARENT_HEADER: HeaderName = HeaderName::from_static(TRACEPARENT);

/// `headers` with the current trace's `traceparent`, unless they set one; unchanged
/// outside a trace.
pub(crate) fn propagate(headers: Option<HeaderMap>) -> Option<HeaderMap> {
    let Some(context) = TraceContext::current() else {
        return headers;
    };
    let mut headers = headers.unwrap_or_default();
    if headers.get(TRACEPARENT).is_none() {
        headers.insert(TRACEPARENT_HEADER, context.to_string());
    }
    Some(headers)
}
