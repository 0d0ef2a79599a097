//! How a test names the handler whose calls it asks for.

use crate::subscriber::IntoSubscriber;

/// A handler's name: a `#[subscriber]` function (its `name = "..."` if given), or the
/// name as text.
pub trait HandlerName {
    /// The name the app knows the handler by.
    fn handler_name(&self) -> String;
}

impl HandlerName for &str {
    fn handler_name(&self) -> String {
        (*self).to_owned()
    }
}

impl HandlerName for String {
    fn handler_name(&self) -> String {
        self.clone()
    }
}

/// The type `#[subscriber]` makes of a function.
impl<T: IntoSubscriber + Clone> HandlerName for T {
    fn handler_name(&self) -> String {
        self.clone().into_subscriber().handler_name().to_owned()
    }
}
