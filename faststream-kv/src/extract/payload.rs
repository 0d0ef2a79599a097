//! `Bytes` and `String`: the payload as it is, or as UTF-8 text.

use std::convert::Infallible;

use bytes::Bytes;

use super::{FromMessage, Scope};
use crate::error::Error;
use crate::message::Message;

/// The raw payload; shares the message's buffer.
impl FromMessage for Bytes {
    type Rejection = Infallible;

    async fn from_message(message: &Message, _scope: &Scope) -> Result<Self, Infallible> {
        Ok(message.payload().clone())
    }
}

/// Why a payload was not text: a 400 error reply.
#[derive(Debug, thiserror::Error)]
#[error("could not decode String: {0}")]
pub struct Utf8Rejection(#[from] std::str::Utf8Error);

impl Utf8Rejection {
    /// The status code of the error reply it makes: 400.
    pub fn status_code(&self) -> u16 {
        400
    }

    /// The text of the error reply it makes.
    pub fn body_text(&self) -> String {
        self.to_string()
    }

    /// Where the payload stopped being UTF-8.
    pub fn utf8_error(&self) -> &std::str::Utf8Error {
        &self.0
    }
}

impl From<Utf8Rejection> for Error {
    fn from(rejection: Utf8Rejection) -> Self {
        Error::Decode {
            target: "String",
            source: Box::new(rejection.0),
        }
    }
}

/// The payload as UTF-8 text (what FastStream sends as `text/plain`).
impl FromMessage for String {
    type Rejection = Utf8Rejection;

    async fn from_message(message: &Message, _scope: &Scope) -> Result<Self, Utf8Rejection> {
        Ok(std::str::from_utf8(message.payload())?.to_owned())
    }
}
