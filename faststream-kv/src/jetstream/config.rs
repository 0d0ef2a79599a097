//! How a stream is configured.

use std::collections::BTreeMap;
use std::time::Duration;

use super::names::validate_stream_name;
use crate::error::{ConfigProblem, Error, Result};
pub use crate::storage::Storage;
use crate::subject::validate_subscribe_subject;
use faststream_kv_subject::overlaps;

/// When a stream lets go of a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Retention {
    /// When a limit (count, bytes, age, per subject) says so. The default.
    #[default]
    Limits,
    /// Once a consumer acknowledged it: each message is worked on once.
    WorkQueue,
    /// Once every consumer there is acknowledged it.
    Interest,
}

/// What a stream at a limit does with the next message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Discard {
    /// Removes its oldest messages. The default.
    #[default]
    Old,
    /// Refuses the new one ([`Error::StreamFull`]).
    New,
}

/// Configuration of a JetStream stream, for
/// [`Broker::create_stream`](crate::Broker::create_stream) and
/// [`StreamBinding::declare`](crate::broker::StreamBinding::declare). `None` limits are
/// no limits.
///
/// ```
/// use std::time::Duration;
/// use faststream_kv::jetstream::{Retention, StreamConfig};
///
/// let orders = StreamConfig {
///     subjects: vec!["orders.>".to_owned()],
///     retention: Retention::WorkQueue,
///     max_age: Some(Duration::from_secs(24 * 3600)),
///     ..StreamConfig::new("ORDERS")
/// };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamConfig {
    /// The stream's name (no `.`, `*`, `>`, whitespace or path separators).
    pub name: String,
    /// Free text shown by tools.
    pub description: String,
    /// The subjects it stores (wildcards allowed); at least one.
    pub subjects: Vec<String>,
    /// When messages are let go.
    pub retention: Retention,
    /// Most messages kept.
    pub max_messages: Option<u64>,
    /// Most bytes kept (as the server counts a stored message).
    pub max_bytes: Option<u64>,
    /// Messages older than this are removed.
    pub max_age: Option<Duration>,
    /// Most messages kept per subject.
    pub max_messages_per_subject: Option<u64>,
    /// Largest message accepted (headers and payload).
    pub max_message_size: Option<u32>,
    /// What happens at a limit.
    pub discard: Discard,
    /// With [`Discard::New`] and a `max_messages_per_subject`: a subject at its limit
    /// refuses a new message ([`Error::StreamFull`](crate::Error::StreamFull)) instead
    /// of replacing its oldest (server >= 2.9); a rollup still goes through.
    pub discard_new_per_subject: bool,
    /// File (default) or memory storage.
    pub storage: Storage,
    /// Copies kept in a cluster (default 1).
    pub replicas: usize,
    /// How long a message id ([`PublishOptions::message_id`](super::PublishOptions))
    /// is remembered to drop duplicates (`None`: the server's default, two minutes).
    pub duplicate_window: Option<Duration>,
    /// Messages cannot be deleted one by one.
    pub deny_delete: bool,
    /// The stream cannot be purged.
    pub deny_purge: bool,
    /// A message with a `Nats-Rollup` header may replace the subject's (or stream's)
    /// earlier messages.
    pub allow_rollup: bool,
    /// A message may carry its own TTL
    /// ([`PublishOptions::ttl`](super::PublishOptions::ttl), server >= 2.11).
    pub allow_msg_ttl: bool,
    /// When `max_age` or its own TTL removes a subject's last message, the server
    /// leaves a delete marker in its place that lives this long: an empty message with
    /// `Nats-Marker-Reason: MaxAge` (server >= 2.11). It turns `allow_msg_ttl` and
    /// `allow_rollup` on, and raises shorter message TTLs to it. Whole seconds, at least
    /// one.
    pub subject_delete_marker_ttl: Option<Duration>,
    /// Free-form labels kept with the stream (server >= 2.10; keys starting with
    /// `_nats.` are the server's own and are not listed here).
    pub metadata: BTreeMap<String, String>,
}

impl StreamConfig {
    /// A limits-based stream of this name, with no subjects yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: String::new(),
            subjects: Vec::new(),
            retention: Retention::Limits,
            max_messages: None,
            max_bytes: None,
            max_age: None,
            max_messages_per_subject: None,
            max_message_size: None,
            discard: Discard::Old,
            discard_new_per_subject: false,
            storage: Storage::File,
            replicas: 1,
            duplicate_window: None,
            deny_delete: false,
            deny_purge: false,
            allow_rollup: false,
            allow_msg_ttl: false,
            subject_delete_marker_ttl: None,
            metadata: BTreeMap::new(),
        }
    }

    /// The configuration with the subjects of `other` it lacks added (a declare that
    /// finds the stream, as FastStream merges subjects).
    pub(crate) fn with_subjects_of(mut self, other: &StreamConfig) -> Self {
        for subject in &other.subjects {
            if !self.subjects.contains(subject) {
                self.subjects.push(subject.clone());
            }
        }
        self
    }

    /// Checks the configuration before it goes to a server.
    pub(crate) fn validate(&self) -> Result<()> {
        validate_stream_name(&self.name)?;
        let invalid = |problem| Err(Error::InvalidConfig { problem });
        if self.subjects.is_empty() {
            return invalid(ConfigProblem::NoSubjects);
        }
        for subject in &self.subjects {
            validate_subscribe_subject(subject)?;
        }
        for (index, first) in self.subjects.iter().enumerate() {
            if let Some(second) = self.subjects[index + 1..]
                .iter()
                .find(|second| overlaps(first, second))
            {
                return invalid(ConfigProblem::OverlappingSubjects {
                    first: first.clone(),
                    second: second.clone(),
                });
            }
        }
        if self.replicas == 0 {
            return invalid(ConfigProblem::NoReplicas);
        }
        let zero = [
            ("max_messages", self.max_messages == Some(0)),
            ("max_bytes", self.max_bytes == Some(0)),
            ("max_age", self.max_age == Some(Duration::ZERO)),
            (
                "max_messages_per_subject",
                self.max_messages_per_subject == Some(0),
            ),
            ("max_message_size", self.max_message_size == Some(0)),
            (
                "duplicate_window",
                self.duplicate_window == Some(Duration::ZERO),
            ),
        ];
        if let Some((limit, _)) = zero.iter().find(|(_, zero)| *zero) {
            return invalid(ConfigProblem::ZeroLimit { limit });
        }
        if self.discard_new_per_subject {
            if self.discard != Discard::New {
                return invalid(ConfigProblem::DiscardNewPerSubject {
                    needs: "discard: Discard::New",
                });
            }
            if self.max_messages_per_subject.is_none() {
                return invalid(ConfigProblem::DiscardNewPerSubject {
                    needs: "a max_messages_per_subject",
                });
            }
        }
        if let Some(ttl) = self.subject_delete_marker_ttl
            && (ttl < Duration::from_secs(1) || ttl.subsec_nanos() != 0)
        {
            return invalid(ConfigProblem::Ttl { ttl });
        }
        if let (Some(window), Some(max_age)) = (self.duplicate_window, self.max_age)
            && window > max_age
        {
            return invalid(ConfigProblem::DuplicateWindowBeyondMaxAge);
        }
        Ok(())
    }
}
