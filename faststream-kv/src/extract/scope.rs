//! What a handler runs within: the app context and its subscriber's pattern and name.

use std::sync::Arc;

use crate::context::{Context, ContextSnapshot};
use crate::error::Result;
use crate::subject::Pattern;

/// The subscriber-wide half of what extractors see (the message is the other half):
/// the app [`Context`], the subscriber's [`Pattern`] and the handler's name.
/// Built once per subscriber at startup and shared by all its messages.
#[derive(Debug, Clone)]
pub struct Scope {
    context: Context,
    /// The context's values when the scope was built, read without its lock.
    snapshot: ContextSnapshot,
    pattern: Pattern,
    handler: Box<str>,
    /// Whether the handler's results are published (so encoded for every message).
    publishes: bool,
}

impl Scope {
    /// A scope for a subscriber; the app builds these, tests of custom extractors may too.
    pub fn new(context: Context, pattern: Pattern, handler: impl Into<Box<str>>) -> Self {
        Self {
            snapshot: context.snapshot(),
            context,
            pattern,
            handler: handler.into(),
            publishes: false,
        }
    }

    /// The scope of a subscriber whose handler's results are published.
    pub(crate) fn publishing(self, publishes: bool) -> Self {
        Self { publishes, ..self }
    }

    /// Whether the subscriber publishes its handler's results: then each is encoded,
    /// not only a request's.
    #[inline]
    pub fn publishes(&self) -> bool {
        self.publishes
    }

    /// The app's global context.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The context's value of type `T`: what `self.context().get::<T>()` returns, read
    /// without the context's lock while no value was replaced or removed since the scope
    /// was built (the app builds it after the `on_startup` hooks).
    ///
    /// # Errors
    ///
    /// [`Error::MissingContext`](crate::Error::MissingContext) naming the type.
    #[inline]
    pub fn context_value<T: Send + Sync + 'static>(&self) -> Result<Arc<T>> {
        self.snapshot.get(&self.context)
    }

    /// The subscriber's pattern.
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// The handler's name (the function name with `#[subscriber]`).
    pub fn handler(&self) -> &str {
        &self.handler
    }
}
