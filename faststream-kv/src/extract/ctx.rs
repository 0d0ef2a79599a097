//! `Ctx<T>`: a value from the app context.

use std::future::{Future, ready};
use std::ops::Deref;
use std::sync::Arc;

use super::{FromMessage, Requirements, Scope};
use crate::error::Error;
use crate::message::Message;

/// A value of type `T` from the app [`Context`](crate::Context), usually put there by an
/// `on_startup` hook (a Key-Value bucket, a client, settings).
///
/// The app checks at startup that every `Ctx<T>` has its `T`, so this extractor does not
/// fail at message time. A value that middleware attached to the message
/// ([`Message::extensions_mut`]) takes precedence over the global one.
///
/// Holds an [`Arc<T>`]: extracting is a map lookup and a reference-count increment.
#[derive(Debug)]
pub struct Ctx<T>(pub Arc<T>);

impl<T: Send + Sync + 'static> FromMessage for Ctx<T> {
    type Rejection = Error;

    fn from_message(
        message: &Message,
        scope: &Scope,
    ) -> impl Future<Output = Result<Self, Error>> + Send {
        // Looked up before it is awaited: a ready future is no state machine of its own.
        ready(match message.extensions().get::<T>() {
            Some(local) => Ok(Ctx(local)),
            None => scope.context_value::<T>().map(Ctx),
        })
    }

    fn requirements(requirements: &mut Requirements) {
        requirements.context::<T>();
    }
}

impl<T> Deref for Ctx<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Clone for Ctx<T> {
    fn clone(&self) -> Self {
        Ctx(Arc::clone(&self.0))
    }
}
