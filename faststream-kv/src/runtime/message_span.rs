//! The span each handled message runs in, at the level the app chose: a span that
//! its level's filter turns off costs one cached check per message.

use tracing::{Level, Span};

/// The `message` span of handler `name` for a message on `subject` at `level` (none
/// at all for `None`).
#[inline]
pub(super) fn message_span(level: Option<Level>, name: &str, subject: &str) -> Span {
    // A span's level is part of its static callsite: one macro per level.
    match level {
        None => Span::none(),
        Some(Level::TRACE) => tracing::trace_span!("message", handler = %name, subject),
        Some(Level::DEBUG) => tracing::debug_span!("message", handler = %name, subject),
        Some(Level::INFO) => tracing::info_span!("message", handler = %name, subject),
        Some(Level::WARN) => tracing::warn_span!("message", handler = %name, subject),
        Some(_) => tracing::error_span!("message", handler = %name, subject),
    }
}
