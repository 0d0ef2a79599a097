//! The trace context of the handler running on this thread, set around each poll of
//! its future, as `tracing` enters a span.

use std::cell::Cell;

use super::TraceContext;

thread_local! {
    static CURRENT: Cell<Option<TraceContext>> = const { Cell::new(None) };
}

/// The context of the handler being polled on this thread.
pub(super) fn current() -> Option<TraceContext> {
    CURRENT.get()
}

/// `context` made current until dropped, when the one before it is restored.
pub(crate) struct Entered {
    previous: Option<TraceContext>,
}

impl Entered {
    /// Makes `context` current; nothing for none (nothing is current outside a traced
    /// handler's poll).
    #[inline]
    pub(crate) fn enter(context: Option<TraceContext>) -> Option<Self> {
        let context = context?;
        Some(Self {
            previous: CURRENT.replace(Some(context)),
        })
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        CURRENT.set(self.previous);
    }
}
