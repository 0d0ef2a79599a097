//! What a handler runs within: the app context and its subscriber's pattern and name.

use crate::context::Context;
use crate::subscriber::Pattern;

/// The subscriber-wide half of what extractors see (the message is the other half):
/// the app [`Context`], the subscriber's [`Pattern`] and the handler's name.
/// Built once per subscriber at startup and shared by all its messages.
#[derive(Debug, Clone)]
pub struct Scope {
    context: Context,
    pattern: Pattern,
    handler: Box<str>,
}

impl Scope {
    /// A scope for a subscriber; the app builds these, tests of custom extractors may too.
    pub fn new(context: Context, pattern: Pattern, handler: impl Into<Box<str>>) -> Self {
        Self {
            context,
            pattern,
            handler: handler.into(),
        }
    }

    /// The app's global context.
    pub fn context(&self) -> &Context {
        &self.context
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
