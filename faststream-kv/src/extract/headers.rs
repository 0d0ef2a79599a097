//! `Headers`: the message headers.

use std::convert::Infallible;
use std::ops::Deref;

use async_nats::HeaderMap;

use super::{FromMessage, Scope};
use crate::message::Message;

/// The message headers (empty when the message has none).
#[derive(Debug, Clone, Default)]
pub struct Headers(pub HeaderMap);

impl Headers {
    /// The (first) value of header `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        Some(self.0.get(name)?.as_str())
    }
}

impl FromMessage for Headers {
    type Rejection = Infallible;

    async fn from_message(message: &Message, _scope: &Scope) -> Result<Self, Infallible> {
        Ok(Headers(message.headers().cloned().unwrap_or_default()))
    }
}

impl Deref for Headers {
    type Target = HeaderMap;

    fn deref(&self) -> &HeaderMap {
        &self.0
    }
}
