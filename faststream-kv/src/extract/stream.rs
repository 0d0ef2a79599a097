//! `Acker` and `MessageInfo`: what a stream subscriber's handler may take of the
//! delivery it handles.

use super::{FromMessage, Requirements, Scope};
use crate::error::Error;
use crate::jetstream::{Acker, MessageInfo};
use crate::message::Message;

/// In a stream subscriber, what settles the message (for
/// [`AckPolicy::Manual`](crate::jetstream::AckPolicy::Manual), or to settle early). The
/// app refuses to start if another kind of subscriber asks for it.
impl FromMessage for Acker {
    type Rejection = Error;

    async fn from_message(message: &Message, _scope: &Scope) -> Result<Self, Error> {
        acker(message)
    }

    fn requirements(requirements: &mut Requirements) {
        requirements.stream();
    }
}

/// In a stream subscriber, where the message stands: stream and consumer sequence,
/// delivery count, pending, publish time.
impl FromMessage for MessageInfo {
    type Rejection = Error;

    async fn from_message(message: &Message, _scope: &Scope) -> Result<Self, Error> {
        acker(message).map(|acker| acker.info().clone())
    }

    fn requirements(requirements: &mut Requirements) {
        requirements.stream();
    }
}

fn acker(message: &Message) -> Result<Acker, Error> {
    Acker::of(message).ok_or(Error::MissingContext {
        type_name: "faststream_kv::jetstream::Acker",
    })
}
