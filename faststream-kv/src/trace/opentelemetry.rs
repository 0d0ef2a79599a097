//! With the `opentelemetry` feature: the `message` span as a child of the sender's
//! span, and the current OpenTelemetry span as the trace context of what is sent.

use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::TraceContext;

/// Makes `remote` (a received message's context) the parent of `span`, which has not
/// been entered yet; nothing without an OpenTelemetry layer or for a disabled span.
pub(crate) fn set_remote_parent(span: &Span, remote: TraceContext) {
    let flags = if remote.is_sampled() {
        TraceFlags::SAMPLED
    } else {
        TraceFlags::default()
    };
    let parent = SpanContext::new(
        TraceId::from(remote.trace_id()),
        SpanId::from(remote.span_id()),
        flags,
        true,
        TraceState::default(),
    );
    // An error only says that no OpenTelemetry layer records this span.
    let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(parent));
}

/// The current OpenTelemetry span's context, if a layer records it.
pub(super) fn current() -> Option<TraceContext> {
    let context = Span::current().context();
    let span = context.span();
    let span = span.span_context();
    if !span.is_valid() {
        return None;
    }
    TraceContext::new(
        u128::from_be_bytes(span.trace_id().to_bytes()),
        u64::from_be_bytes(span.span_id().to_bytes()),
        span.is_sampled(),
    )
}
