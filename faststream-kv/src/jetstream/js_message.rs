//! A message a consumer delivered, with what JetStream says about it and the calls
//! that acknowledge it.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use super::store::{AckSender, AckToken};
use super::{Acker, HandedOut};
use crate::message::Message;

/// Where a delivered message stands in its stream and consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageInfo {
    /// The stream that stored it (shared by the consumer's messages).
    pub stream: Arc<str>,
    /// The consumer that delivered it.
    pub consumer: Arc<str>,
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

impl MessageInfo {
    /// For a delivery whose metadata could not be read: zeros, published at the epoch.
    pub(crate) fn unknown() -> Self {
        Self {
            stream: Arc::from(""),
            consumer: Arc::from(""),
            stream_sequence: 0,
            consumer_sequence: 0,
            delivered: 0,
            pending: 0,
            published: SystemTime::UNIX_EPOCH,
        }
    }
}

/// A message delivered by a consumer: read it, then settle it once — ack, nak, term —
/// (or say that work on it goes on with [`in_progress`](Acker::in_progress)); the
/// settling calls are [`Acker`]'s.
pub struct JsMessage {
    message: Message,
    acker: Acker,
}

impl JsMessage {
    /// A delivered message, settled by its consumer's `sender` as `token`; its place in
    /// its stream is `info`, or, if `None`, what `sender` tells when first asked.
    pub(crate) fn new(
        message: Message,
        info: Option<MessageInfo>,
        sender: Arc<dyn AckSender>,
        token: AckToken,
    ) -> Self {
        Self {
            message,
            acker: Acker::new(sender, token, info),
        }
    }

    /// The message: subject, headers, payload.
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// The message and what settles it.
    pub fn into_parts(self) -> (Message, Acker) {
        (self.message, self.acker)
    }

    /// The runtime takes it in: see [`Acker::hold`]; `false` for a redelivery of a
    /// message the runtime still has.
    pub(crate) fn hold(&mut self, handed_out: &Arc<HandedOut>) -> bool {
        self.acker.hold(handed_out)
    }

    /// The message as the runtime hands it to a handler: its acker attached, counted
    /// in `handed_out` (if given) and nak'd when dropped unsettled if
    /// `nak_when_dropped` (see [`Acker::hand_out`]).
    pub(crate) fn hand_out(
        self,
        handed_out: Option<&Arc<HandedOut>>,
        nak_when_dropped: bool,
    ) -> Message {
        let (mut message, mut acker) = self.into_parts();
        acker.hand_out(handed_out, nak_when_dropped);
        acker.attach_to(&mut message);
        message
    }

    /// Naks each of `messages`, which handler `name` left unhandled, awaiting each nak
    /// so that it is on its way before the connection closes.
    pub(crate) async fn nak_unhandled(name: &str, messages: impl IntoIterator<Item = Self>) {
        for message in messages {
            if let Err(error) = message.nak(None).await {
                tracing::warn!(handler = %name, %error, "could not nak a message left unhandled");
            }
        }
    }

    /// Its place in the stream and consumer.
    pub fn info(&self) -> &MessageInfo {
        self.acker.info()
    }
}

impl std::ops::Deref for JsMessage {
    type Target = Acker;

    /// The settling calls: `ack`, `ack_sync`, `nak`, `term`, `in_progress`.
    fn deref(&self) -> &Acker {
        &self.acker
    }
}

impl fmt::Debug for JsMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsMessage")
            .field("subject", &self.message.subject())
            .field("info", self.info())
            .finish_non_exhaustive()
    }
}
