//! What goes on the wire, in one place: FastStream's headers and media types, the
//! correlation id, the NATS micro error reply, and the headers of Key-Value writes and
//! markers. Both backends and every feature take names and formats from here.

mod correlation;
mod kv;
mod service_error;

pub(crate) use correlation::{
    CorrelationId, Handled, HandledId, correlated, handling_correlated, with_correlation_id,
};
pub(crate) use kv::{
    KV_OPERATION, KV_OPERATION_DELETE, KV_OPERATION_PURGE, MARKER_REASON, MARKER_REASON_REMOVE,
    expiry_marker_headers, headers_wire_len, write_headers,
};
pub(crate) use service_error::{error_reply, service_error};

/// Header carrying the payload's media type, as FastStream writes it.
pub const CONTENT_TYPE: &str = "content-type";
/// Header carrying the correlation id, as FastStream writes it (a UUID); a reply keeps
/// the request's.
pub const CORRELATION_ID: &str = "correlation_id";
/// Header carrying where a stream message's result goes, as FastStream writes it for a
/// request over JetStream (a stream delivery's own reply subject is its ack subject).
pub const REPLY_TO: &str = "reply_to";
/// Header of an error reply: the error's description (NATS micro services, ADR-32).
pub const SERVICE_ERROR: &str = "Nats-Service-Error";
/// Header of an error reply: the error's status code (400, 404, 408, 500, ...; ADR-32).
pub const SERVICE_ERROR_CODE: &str = "Nats-Service-Error-Code";

/// Header carrying the W3C trace context (`00-<trace id>-<parent span id>-<flags>`);
/// see [`trace`](crate::trace).
pub const TRACEPARENT: &str = "traceparent";

/// Media type of JSON payloads (what FastStream sends for a model or dict).
pub const APPLICATION_JSON: &str = "application/json";
/// Media type of text payloads (what FastStream sends for a `str`).
pub const TEXT_PLAIN: &str = "text/plain";
