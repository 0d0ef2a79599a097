//! What a memory subscription receives: a message, and the new correlation id that
//! becomes its header on arrival.
//!
//! A header map built by the publisher would be freed by the subscriber's thread, and
//! frees across threads contend on the allocator; so a publish sends the new id (16
//! bytes, copied) and the receiving thread writes the header.

use crate::broker::CorrelationId;
use crate::message::Message;

#[derive(Clone)]
pub(crate) struct Delivery {
    message: Message,
    correlation_id: Option<CorrelationId>,
}

impl Delivery {
    /// `message` as it is.
    pub(crate) fn new(message: Message) -> Self {
        Self {
            message,
            correlation_id: None,
        }
    }

    /// `message` (which has no correlation id) with a new one.
    pub(crate) fn correlated(message: Message) -> Self {
        Self {
            message,
            correlation_id: Some(CorrelationId::new()),
        }
    }

    pub(crate) fn message(&self) -> &Message {
        &self.message
    }

    /// The message as the subscriber sees it, correlation id header included.
    pub(crate) fn open(self) -> Message {
        let mut message = self.message;
        if let Some(id) = self.correlation_id {
            let mut headers = message.take_headers().unwrap_or_default();
            id.insert_into(&mut headers);
            message = message.with_headers(headers);
        }
        message
    }
}
