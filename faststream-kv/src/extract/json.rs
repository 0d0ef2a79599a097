//! `Json<T>`: the payload decoded with serde, and a JSON reply.

use std::any::type_name;
use std::ops::{Deref, DerefMut};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{FromMessage, Scope};
use crate::error::Error;
use crate::message::Message;
use crate::response::{IntoReply, Reply};
use crate::wire::{APPLICATION_JSON, CONTENT_TYPE};

/// The payload as JSON: decodes into `T` as an argument, encodes `T` as a reply
/// (with `content-type: application/json`, as FastStream sends it).
///
/// A payload that is not valid JSON for `T` rejects the message with a 400 error reply;
/// the subscriber keeps running.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

/// Why a payload did not decode as `Json<T>`: a 400 error reply, unless the handler
/// takes `Result<Json<T>, JsonRejection>` and answers itself.
#[derive(Debug, thiserror::Error)]
#[error("could not decode {target}: {source}")]
pub struct JsonRejection {
    target: &'static str,
    #[source]
    source: serde_json::Error,
}

impl JsonRejection {
    /// The status code of the error reply it makes: 400.
    pub fn status_code(&self) -> u16 {
        400
    }

    /// The text of the error reply it makes.
    pub fn body_text(&self) -> String {
        self.to_string()
    }

    /// The type the payload was to decode into.
    pub fn target(&self) -> &'static str {
        self.target
    }

    /// serde_json's error: where the payload went wrong.
    pub fn json_error(&self) -> &serde_json::Error {
        &self.source
    }
}

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        Error::Decode {
            target: rejection.target,
            source: Box::new(rejection.source),
        }
    }
}

impl JsonRejection {
    /// `payload` decoded as a `T`.
    pub(crate) fn decode<T: DeserializeOwned>(payload: &[u8]) -> Result<T, Self> {
        serde_json::from_slice(payload).map_err(|source| JsonRejection {
            target: type_name::<T>(),
            source,
        })
    }
}

impl<T: DeserializeOwned + Send> FromMessage for Json<T> {
    type Rejection = JsonRejection;

    async fn from_message(message: &Message, _scope: &Scope) -> Result<Self, JsonRejection> {
        JsonRejection::decode(message.payload()).map(Json)
    }
}

impl<T: Serialize> IntoReply for Json<T> {
    fn into_reply(self) -> Result<Reply, Error> {
        let payload = serde_json::to_vec(&self.0).map_err(|source| Error::Encode {
            target: type_name::<T>(),
            source: Box::new(source),
        })?;
        Ok(Reply::new(payload).header(CONTENT_TYPE, APPLICATION_JSON))
    }

    fn into_outcome(self) -> Result<(), Error> {
        Ok(())
    }
}

impl<T> Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Json<T> {
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
    async fn a_rejection_says_what_its_error_reply_says() -> Result<(), Error> {
        let scope = Scope::new(Context::new(), Pattern::parse("orders")?, "handler");
        let message = Message::new("orders", "{not json");
        let Err(rejection) = Json::<u32>::from_message(&message, &scope).await else {
            panic!("`{{not json` must not decode");
        };
        assert_eq!((rejection.status_code(), rejection.target()), (400, "u32"));
        assert_eq!(rejection.json_error().line(), 1);
        let body = rejection.body_text();
        let error = Error::from(rejection);
        assert_eq!((error.status_code(), error.to_string()), (400, body));
        Ok(())
    }
}
