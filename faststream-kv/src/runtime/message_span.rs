//! The span each handled message runs in, at the level the app chose: a span that
//! its level's filter turns off costs one cached check per message.

use tracing::field::Empty;
use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
use tracing::{Level, Span};

use crate::trace::TraceContext;

/// The `message` span of handler `name` for a message on `subject` at `level` (none
/// at all for `None`), in trace `remote` (the message's `traceparent`), if it has one.
#[inline(always)]
pub(super) fn message_span(
    level: Option<Level>,
    name: &str,
    subject: &str,
    remote: Option<TraceContext>,
) -> Span {
    // The macros' own first check, made here so that a message whose span no
    // subscriber wants does not call out of the consume loop for it.
    match level {
        Some(level) if level <= STATIC_MAX_LEVEL && level <= LevelFilter::current() => {
            enabled_span(level, name, subject, remote)
        }
        _ => Span::none(),
    }
}

fn enabled_span(level: Level, name: &str, subject: &str, remote: Option<TraceContext>) -> Span {
    // A span's level is part of its static callsite: one macro per level.
    let span = match level {
        Level::TRACE => {
            tracing::trace_span!("message", handler = %name, subject, trace_id = Empty)
        }
        Level::DEBUG => {
            tracing::debug_span!("message", handler = %name, subject, trace_id = Empty)
        }
        Level::INFO => {
            tracing::info_span!("message", handler = %name, subject, trace_id = Empty)
        }
        Level::WARN => {
            tracing::warn_span!("message", handler = %name, subject, trace_id = Empty)
        }
        _ => tracing::error_span!("message", handler = %name, subject, trace_id = Empty),
    };
    if let Some(remote) = remote {
        span.record("trace_id", tracing::field::display(remote.trace_id_hex()));
        #[cfg(feature = "opentelemetry")]
        crate::trace::set_remote_parent(&span, remote);
    }
    span
}
