//! `Option<E>` and `Result<E, E::Rejection>`: extractors that may fail.

use std::convert::Infallible;

use super::{FromMessage, Requirements, Scope};
use crate::message::Message;

/// `None` where `E` would reject the message. Declares no requirements: an optional
/// `Ctx<T>` does not make the app refuse to start without a `T`.
impl<E: FromMessage> FromMessage for Option<E> {
    type Rejection = Infallible;

    async fn from_message(message: &Message, scope: &Scope) -> Result<Self, Infallible> {
        Ok(E::from_message(message, scope).await.ok())
    }

    fn requirements(requirements: &mut Requirements) {
        let before = requirements.len();
        E::requirements(requirements);
        requirements.truncate(before);
    }
}

/// The rejection itself, for handlers that want to answer bad input their own way.
impl<E> FromMessage for Result<E, E::Rejection>
where
    E: FromMessage,
    E::Rejection: Send,
{
    type Rejection = Infallible;

    async fn from_message(message: &Message, scope: &Scope) -> Result<Self, Infallible> {
        Ok(E::from_message(message, scope).await)
    }

    fn requirements(requirements: &mut Requirements) {
        let before = requirements.len();
        E::requirements(requirements);
        requirements.truncate(before);
    }
}
