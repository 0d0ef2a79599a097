//! Publishing to a stream: what the stream acknowledges, and what a publish may expect.

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::header::IntoHeaderValue;

/// The stream's acknowledgement of a stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublishAck {
    /// The stream that stored it.
    pub stream: String,
    /// Its sequence in that stream.
    pub sequence: u64,
    /// The message id was seen within the stream's duplicate window: this publish
    /// stored nothing, `sequence` is the first one's.
    pub duplicate: bool,
}

/// Options of a publish to a stream: a message id for dedup, expectations the stream
/// checks before storing (optimistic concurrency), headers.
///
/// ```
/// use faststream_kv::jetstream::PublishOptions;
///
/// let options = PublishOptions::new()
///     .message_id("order-42")
///     .expected_last_subject_sequence(7);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    pub(crate) message_id: Option<String>,
    pub(crate) expected_stream: Option<String>,
    pub(crate) expected_last_sequence: Option<u64>,
    pub(crate) expected_last_subject_sequence: Option<u64>,
    /// The subject (filter) `expected_last_subject_sequence` is about, if not the one
    /// published to.
    pub(crate) expected_last_subject: Option<String>,
    pub(crate) expected_last_message_id: Option<String>,
    pub(crate) rollup: Option<Rollup>,
    /// The `Nats-TTL` value.
    pub(crate) ttl: Option<String>,
    pub(crate) headers: Option<HeaderMap>,
}

/// What a message rolls up (`Nats-Rollup`): the messages it replaces once stored, in a
/// stream that allows rollups ([`StreamConfig::allow_rollup`](super::StreamConfig)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollup {
    /// Every earlier message on its subject (`sub`).
    Subject,
    /// Every earlier message of the stream (`all`).
    All,
}

impl Rollup {
    /// The header's value for it.
    pub(crate) fn as_header(self) -> &'static str {
        match self {
            Self::Subject => header::ROLLUP_SUBJECT,
            Self::All => header::ROLLUP_ALL,
        }
    }
}

/// The headers JetStream reads on a publish.
pub(crate) mod header {
    pub(crate) const MESSAGE_ID: &str = "Nats-Msg-Id";
    pub(crate) const EXPECTED_STREAM: &str = "Nats-Expected-Stream";
    pub(crate) const EXPECTED_LAST_SEQUENCE: &str = "Nats-Expected-Last-Sequence";
    pub(crate) const EXPECTED_LAST_SUBJECT_SEQUENCE: &str = "Nats-Expected-Last-Subject-Sequence";
    pub(crate) const EXPECTED_LAST_SUBJECT: &str = "Nats-Expected-Last-Subject-Sequence-Subject";
    pub(crate) const EXPECTED_LAST_MESSAGE_ID: &str = "Nats-Expected-Last-Msg-Id";
    pub(crate) const ROLLUP: &str = "Nats-Rollup";
    pub(crate) const MESSAGE_TTL: &str = "Nats-TTL";
    pub(crate) const ROLLUP_SUBJECT: &str = "sub";
    pub(crate) const ROLLUP_ALL: &str = "all";
}

impl PublishOptions {
    /// No id, no expectations, no headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// The message's id (`Nats-Msg-Id`): a second publish with the same id within the
    /// stream's duplicate window stores nothing and is acknowledged as a duplicate.
    pub fn message_id(mut self, id: impl Into<String>) -> Self {
        self.message_id = Some(id.into());
        self
    }

    /// Only this stream may store it ([`Error::WrongStream`](crate::Error::WrongStream)).
    pub fn expected_stream(mut self, stream: impl Into<String>) -> Self {
        self.expected_stream = Some(stream.into());
        self
    }

    /// Stored only if the stream's last sequence is `sequence` (0: the stream is
    /// empty); otherwise [`Error::WrongLastSequence`](crate::Error::WrongLastSequence).
    pub fn expected_last_sequence(mut self, sequence: u64) -> Self {
        self.expected_last_sequence = Some(sequence);
        self
    }

    /// Stored only if the last message on this subject has sequence `sequence` (0:
    /// there is none); otherwise
    /// [`Error::WrongLastSequence`](crate::Error::WrongLastSequence). Checked before
    /// [`expected_last_sequence`](Self::expected_last_sequence), and both before the
    /// message id: a duplicate whose expectation fails is refused, not acknowledged.
    pub fn expected_last_subject_sequence(mut self, sequence: u64) -> Self {
        self.expected_last_subject_sequence = Some(sequence);
        self.expected_last_subject = None;
        self
    }

    /// Stored only if the last message on the subjects matching `subject` (which may
    /// have wildcards, and need not be the subject published to) has sequence
    /// `sequence` (0: there is none); otherwise
    /// [`Error::WrongLastSequence`](crate::Error::WrongLastSequence). Needs
    /// nats-server 2.11 or later.
    ///
    /// ```
    /// use faststream_kv::jetstream::PublishOptions;
    ///
    /// // Append to an order's events only if none came since sequence 41.
    /// let options = PublishOptions::new().expected_last_subject_sequence_for("orders.42.>", 41);
    /// # let _ = options;
    /// ```
    pub fn expected_last_subject_sequence_for(
        mut self,
        subject: impl Into<String>,
        sequence: u64,
    ) -> Self {
        self.expected_last_subject_sequence = Some(sequence);
        self.expected_last_subject = Some(subject.into());
        self
    }

    /// Stored only if the stream's last message had this id; otherwise
    /// [`Error::WrongLastMessageId`](crate::Error::WrongLastMessageId).
    pub fn expected_last_message_id(mut self, id: impl Into<String>) -> Self {
        self.expected_last_message_id = Some(id.into());
        self
    }

    /// Once stored, it replaces the earlier messages `rollup` says; a stream that does
    /// not allow rollups refuses it ([`Error::JetStream`](crate::Error::JetStream),
    /// [`STREAM_ROLLUP_FAILED`](crate::error::JsErrorCode::STREAM_ROLLUP_FAILED)).
    pub fn rollup(mut self, rollup: Rollup) -> Self {
        self.rollup = Some(rollup);
        self
    }

    /// The message expires `ttl` after it is stored (ADR-43, `Nats-TTL`), or sooner by
    /// the stream's `max_age`; whole seconds count, at least one. Only a stream with
    /// [`allow_msg_ttl`](super::StreamConfig::allow_msg_ttl) takes it; elsewhere the
    /// publish is refused ([`Error::JetStream`](crate::Error::JetStream),
    /// [`MESSAGE_TTL_DISABLED`](crate::error::JsErrorCode::MESSAGE_TTL_DISABLED)),
    /// and a TTL under a second is refused as
    /// [`MESSAGE_TTL_INVALID`](crate::error::JsErrorCode::MESSAGE_TTL_INVALID).
    /// Needs nats-server 2.11 or later.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(if ttl.subsec_nanos() == 0 {
            format!("{}s", ttl.as_secs())
        } else {
            format!("{}ms", ttl.as_millis())
        });
        self
    }

    /// The message never expires, not even by the stream's `max_age` (`Nats-TTL:
    /// never`); as [`ttl`](Self::ttl) otherwise.
    pub fn never_expires(mut self) -> Self {
        self.ttl = Some("never".to_owned());
        self
    }

    /// Headers sent with the message (the options' own are added to them).
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        self.headers = Some(headers);
        self
    }

    /// Adds header `name: value`, replacing an earlier value of `name`.
    pub fn header(mut self, name: &str, value: impl IntoHeaderValue) -> Self {
        self.headers
            .get_or_insert_with(HeaderMap::new)
            .insert(name, value);
        self
    }

    /// The headers to send: the caller's and the options'.
    pub(crate) fn to_headers(&self) -> HeaderMap {
        let mut headers = self.headers.clone().unwrap_or_default();
        if let Some(id) = &self.message_id {
            headers.insert(header::MESSAGE_ID, id.as_str());
        }
        if let Some(stream) = &self.expected_stream {
            headers.insert(header::EXPECTED_STREAM, stream.as_str());
        }
        if let Some(sequence) = self.expected_last_sequence {
            headers.insert(
                header::EXPECTED_LAST_SEQUENCE,
                sequence.to_string().as_str(),
            );
        }
        if let Some(sequence) = self.expected_last_subject_sequence {
            headers.insert(
                header::EXPECTED_LAST_SUBJECT_SEQUENCE,
                sequence.to_string().as_str(),
            );
        }
        if let Some(subject) = &self.expected_last_subject {
            headers.insert(header::EXPECTED_LAST_SUBJECT, subject.as_str());
        }
        if let Some(id) = &self.expected_last_message_id {
            headers.insert(header::EXPECTED_LAST_MESSAGE_ID, id.as_str());
        }
        if let Some(rollup) = self.rollup {
            headers.insert(header::ROLLUP, rollup.as_header());
        }
        if let Some(ttl) = &self.ttl {
            headers.insert(header::MESSAGE_TTL, ttl.as_str());
        }
        headers
    }
}
