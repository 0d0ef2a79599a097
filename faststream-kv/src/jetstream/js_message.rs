//! A message a consumer delivered, with what JetStream says about it and the calls
//! that acknowledge it.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::store::{AckKind, Acker};
use crate::error::Result;
use crate::message::Message;

/// Where a delivered message stands in its stream and consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageInfo {
    /// The stream that stored it.
    pub stream: String,
    /// The consumer that delivered it.
    pub consumer: String,
    /// Its sequence in the stream.
    pub stream_sequence: u64,
    /// This delivery's sequence in the consumer.
    pub consumer_sequence: u64,
    /// How many times it was delivered, this time included.
    pub delivered: u64,
    /// How many more messages the consumer has after it.
    pub pending: u64,
    /// When the stream stored it.
    pub published: SystemTime,
}

/// A message delivered by a consumer: read it, then settle it once — ack, nak, term —
/// (or say that work on it goes on with [`in_progress`](Self::in_progress)).
pub struct JsMessage {
    message: Message,
    info: MessageInfo,
    acker: Arc<dyn Acker>,
}

impl JsMessage {
    pub(crate) fn new(message: Message, info: MessageInfo, acker: Arc<dyn Acker>) -> Self {
        Self {
            message,
            info,
            acker,
        }
    }

    /// The message: subject, headers, payload.
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// The message, for a handler.
    pub fn into_message(self) -> Message {
        self.message
    }

    /// Its place in the stream and consumer.
    pub fn info(&self) -> &MessageInfo {
        &self.info
    }

    /// Handled: it is not delivered again.
    ///
    /// # Errors
    ///
    /// [`Error::Nats`](crate::Error::Nats) / [`Error::Closed`](crate::Error::Closed)
    /// when the acknowledgement cannot be sent.
    pub async fn ack(&self) -> Result<()> {
        self.acker.ack(AckKind::Ack).await
    }

    /// Handled, and waits until the server confirms it took the acknowledgement (a
    /// "double ack"): once this returns, the message is not delivered again even if
    /// the connection drops now.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`](crate::Error::Unavailable) when no confirmation came in
    /// time; as [`ack`](Self::ack).
    pub async fn ack_sync(&self) -> Result<()> {
        self.acker.ack_sync().await
    }

    /// Not handled now: delivered again, after `delay` if given.
    ///
    /// # Errors
    ///
    /// As [`ack`](Self::ack).
    pub async fn nak(&self, delay: Option<Duration>) -> Result<()> {
        self.acker.ack(AckKind::Nak(delay)).await
    }

    /// Never to be handled: not delivered again, not acknowledged either.
    ///
    /// # Errors
    ///
    /// As [`ack`](Self::ack).
    pub async fn term(&self) -> Result<()> {
        self.acker.ack(AckKind::Term).await
    }

    /// Work goes on: the consumer's `ack_wait` starts again for it.
    ///
    /// # Errors
    ///
    /// As [`ack`](Self::ack).
    pub async fn in_progress(&self) -> Result<()> {
        self.acker.ack(AckKind::Progress).await
    }
}

impl fmt::Debug for JsMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsMessage")
            .field("subject", &self.message.subject())
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}
