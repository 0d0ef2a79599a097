//! `Path<T>`: the `{name}` captures of the subscriber pattern.

mod de;
mod probe;

use std::any::type_name;
use std::future::{Future, ready};
use std::ops::{Deref, DerefMut};

use serde::de::DeserializeOwned;

use super::{FromMessage, Requirements, Scope};
use crate::error::Error;
use crate::message::Message;

/// Captures of the subscriber pattern, decoded with serde.
///
/// For a subscriber on `orders.{region}.{id}`:
/// - `Path<(String, u64)>` takes both, in order;
/// - `Path<Order>` with `#[derive(Deserialize)] struct Order { region: String, id: u64 }`
///   takes them by name;
/// - `Path<String>` needs a pattern with exactly one capture.
///
/// The app checks at startup that the pattern has the captures `T` needs.
/// A capture that does not parse (`id` = `abc`) rejects the message with a 400 reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Path<T>(pub T);

/// Why the subject's captures did not decode as `T`: a 400 error reply.
///
/// Boxed: an extraction's `Result` then is no larger than its `Path<T>`, and it is
/// written and moved for every message.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct PathRejection(Box<Rejected>);

#[derive(Debug, thiserror::Error)]
#[error("path parameters of {subject:?}: {target}: {reason}")]
struct Rejected {
    target: &'static str,
    subject: String,
    reason: String,
}

impl PathRejection {
    /// The status code of the error reply it makes: 400.
    pub fn status_code(&self) -> u16 {
        400
    }

    /// The text of the error reply it makes.
    pub fn body_text(&self) -> String {
        self.to_string()
    }

    /// The subject whose captures did not fit.
    pub fn subject(&self) -> &str {
        &self.0.subject
    }

    /// The type the captures were to decode into.
    pub fn target(&self) -> &'static str {
        self.0.target
    }

    /// What did not fit (`invalid digit found in string`, ...).
    pub fn reason(&self) -> &str {
        &self.0.reason
    }
}

impl From<PathRejection> for Error {
    fn from(rejection: PathRejection) -> Self {
        let Rejected {
            target,
            subject,
            reason,
        } = *rejection.0;
        Error::Path {
            subject,
            reason: format!("{target}: {reason}"),
        }
    }
}

/// Captures extracted without a heap allocation.
const INLINE_CAPTURES: usize = 4;

impl<T: DeserializeOwned + Send> FromMessage for Path<T> {
    type Rejection = PathRejection;

    fn from_message(
        message: &Message,
        scope: &Scope,
    ) -> impl Future<Output = Result<Self, PathRejection>> + Send {
        // Extracted before it is awaited: a ready future is no state machine of its own.
        ready(extract(message, scope))
    }

    fn requirements(requirements: &mut Requirements) {
        requirements.path(probe::shape_of::<T>());
    }
}

/// The captures of `message`'s subject as a `T`.
#[inline]
fn extract<T: DeserializeOwned>(
    message: &Message,
    scope: &Scope,
) -> Result<Path<T>, PathRejection> {
    let pattern = scope.pattern();
    let subject = message.subject();
    // Captures live on the stack (128 bytes, filled without a `memcpy` call); only
    // patterns with more than four use the heap.
    let mut inline = [("", ""); INLINE_CAPTURES];
    let heap;
    let captures: &[(&str, &str)] = if pattern.capture_count() <= INLINE_CAPTURES {
        let mut len = 0;
        pattern.for_each_capture(subject, |name, value| {
            inline[len] = (name, value);
            len += 1;
        });
        &inline[..len]
    } else {
        heap = pattern.captures(subject);
        &heap
    };
    T::deserialize(de::PathDeserializer::new(captures))
        .map(Path)
        .map_err(|error| {
            PathRejection(Box::new(Rejected {
                target: type_name::<T>(),
                subject: message.subject().to_owned(),
                reason: error.to_string(),
            }))
        })
}

impl<T> Deref for Path<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Path<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Context;
    use crate::subject::Pattern;

    #[tokio::test]
    async fn a_rejection_names_subject_target_and_reason() -> Result<(), Error> {
        let scope = Scope::new(Context::new(), Pattern::parse("orders.{id}")?, "handler");
        let message = Message::new("orders.abc", "");
        let Err(rejection) = Path::<u64>::from_message(&message, &scope).await else {
            panic!("`abc` must not parse as a number");
        };
        assert_eq!(
            (
                rejection.status_code(),
                rejection.subject(),
                rejection.target()
            ),
            (400, "orders.abc", "u64")
        );
        assert!(rejection.reason().contains("abc"), "{}", rejection.reason());
        let body = rejection.body_text();
        let error = Error::from(rejection);
        assert_eq!((error.status_code(), error.to_string()), (400, body));
        Ok(())
    }
}
