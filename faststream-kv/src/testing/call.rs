//! What a [`TestApp`](super::TestApp) records of a handler's call: the message it got
//! and what it returned.

use serde::de::DeserializeOwned;

use crate::error::{BoxError, Error, Result};
use crate::message::Message;
use crate::response::Reply;

/// One call of a handler: the message (subject, headers, payload) and its result.
#[derive(Debug, Clone)]
pub struct Call {
    message: Message,
    result: std::result::Result<Reply, Failure>,
}

/// How a call failed: the status its error reply carried, and the error's text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failure {
    /// The error's [status code](crate::Error::status_code).
    pub status: u16,
    /// The error, as text.
    pub message: String,
}

impl Call {
    pub(crate) fn new(message: Message, result: std::result::Result<&Reply, &BoxError>) -> Self {
        let result = result.cloned().map_err(|error| {
            let (status, message) = Error::describe(error);
            Failure { status, message }
        });
        Self { message, result }
    }

    /// The message the handler got.
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// The message's subject.
    pub fn subject(&self) -> &str {
        self.message.subject()
    }

    /// The message's payload decoded as JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] when it is not a `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(self.message.payload()).map_err(|source| Error::Decode {
            target: std::any::type_name::<T>(),
            source: Box::new(source),
        })
    }

    /// What the handler returned, if it succeeded (encoded only for a request or a
    /// subscriber with publishers; empty otherwise).
    pub fn returned(&self) -> Option<&Reply> {
        self.result.as_ref().ok()
    }

    /// How it failed, if it did.
    pub fn failure(&self) -> Option<&Failure> {
        self.result.as_ref().err()
    }

    /// Whether the handler succeeded.
    pub fn succeeded(&self) -> bool {
        self.result.is_ok()
    }
}
