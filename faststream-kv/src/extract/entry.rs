//! `Entry`: the Key-Value change a `kv_watch` subscriber handles.

use super::{FromMessage, Requirements, Scope};
use crate::error::Error;
use crate::kv::Entry;
use crate::message::Message;

/// In a `kv_watch` subscriber, the entry that changed: key, value, revision, operation.
/// The app refuses to start if a subject subscriber asks for it.
impl FromMessage for Entry {
    type Rejection = Error;

    async fn from_message(message: &Message, _scope: &Scope) -> Result<Self, Error> {
        message
            .extensions()
            .get::<Entry>()
            .map(|entry| Entry::clone(&entry))
            .ok_or(Error::MissingContext {
                type_name: "faststream_kv::kv::Entry",
            })
    }

    fn requirements(requirements: &mut Requirements) {
        requirements.kv_watch();
    }
}
