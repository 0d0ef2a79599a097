//! `Subject`: the subject a message arrived on.

use std::convert::Infallible;
use std::fmt;
use std::ops::Deref;

use super::{FromMessage, Scope};
use crate::message::Message;

/// The concrete subject of the message (`orders.eu.created` for a subscriber on
/// `orders.{region}.created`). Cheap: shares the message's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject(pub async_nats::Subject);

impl FromMessage for Subject {
    type Rejection = Infallible;

    async fn from_message(message: &Message, _scope: &Scope) -> Result<Self, Infallible> {
        Ok(Subject(message.subject_raw().clone()))
    }
}

impl Deref for Subject {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
