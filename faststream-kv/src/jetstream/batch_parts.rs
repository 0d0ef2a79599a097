//! The messages of one batch, as the runtime hands them to a batch handler: attached to
//! the batch's carrier message, each with its own [`Acker`].

use super::Acker;
use crate::message::Message;

/// The messages of one batch, in the order the consumer delivered them, and what
/// settles each.
pub(crate) struct BatchParts {
    pub(crate) messages: Vec<Message>,
    pub(crate) ackers: Vec<Acker>,
}

impl BatchParts {
    /// The carrier of `messages` (at least one): the first one's subject and headers,
    /// no payload, the parts in its extensions.
    pub(crate) fn carrier(messages: Vec<Message>) -> Message {
        let ackers = messages.iter().filter_map(Acker::of).collect();
        let first = &messages[0];
        let mut carrier = Message::from_parts(
            first.subject_raw().clone(),
            None,
            first.headers().cloned().into(),
            bytes::Bytes::new(),
        );
        carrier
            .extensions_mut()
            .insert(BatchParts { messages, ackers });
        carrier
    }

    /// The parts `message` carries, if it is a batch.
    pub(crate) fn of(message: &Message) -> Option<std::sync::Arc<Self>> {
        message.extensions().get::<Self>()
    }
}
