//! `Message`: the whole message, raw.

use std::convert::Infallible;

use super::{FromMessage, Scope};
use crate::message::Message;

/// The whole message (subject, payload, headers, reply), for handlers that want it raw.
impl FromMessage for Message {
    type Rejection = Infallible;

    async fn from_message(message: &Message, _scope: &Scope) -> Result<Self, Infallible> {
        Ok(message.clone())
    }
}
