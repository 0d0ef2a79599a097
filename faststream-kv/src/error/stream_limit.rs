//! Which limit a full stream refused a message at.

use std::fmt;

/// The limit at which a stream that discards new messages refused one, in
/// [`Error::StreamFull`](crate::Error::StreamFull).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamLimit {
    /// `max_messages`.
    Messages,
    /// `max_bytes`.
    Bytes,
    /// `max_messages_per_subject`, with `discard_new_per_subject`.
    MessagesPerSubject,
}

impl StreamLimit {
    /// The server's description of the refusal (its store error), as its publish
    /// acknowledgement carries it.
    pub fn description(self) -> &'static str {
        match self {
            Self::Messages => "maximum messages exceeded",
            Self::Bytes => "maximum bytes exceeded",
            Self::MessagesPerSubject => "maximum messages per subject exceeded",
        }
    }

    /// The limit a server's description names, if it names one.
    pub(crate) fn from_description(description: &str) -> Option<Self> {
        [Self::Messages, Self::Bytes, Self::MessagesPerSubject]
            .into_iter()
            .find(|limit| limit.description() == description)
    }
}

impl fmt::Display for StreamLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}
