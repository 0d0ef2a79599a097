//! What is wrong with a Key-Value configuration or option.

use std::time::Duration;

/// The problem of an [`Error::InvalidConfig`](super::Error::InvalidConfig).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigProblem {
    /// `history` is outside 1 to 64.
    #[error("history must be 1 to {max}, not {history}")]
    #[non_exhaustive]
    History {
        /// The history asked for.
        history: u8,
        /// The most a bucket keeps.
        max: u8,
    },
    /// A limit of zero: on NATS that means "no limit", which is `None` here.
    #[error("{limit} of 0: leave it `None` for no limit")]
    #[non_exhaustive]
    ZeroLimit {
        /// The limit, e.g. `max_age`, `max_bytes`, `max_messages`.
        limit: &'static str,
    },
    /// An update that would change what a bucket cannot change once created.
    #[error("a bucket's {what} cannot change once it is created")]
    #[non_exhaustive]
    CannotChange {
        /// What: `storage`.
        what: &'static str,
    },
    /// `--asyncapi=...` or `FASTSTREAM_ASYNCAPI` names no document format.
    #[error("--asyncapi / FASTSTREAM_ASYNCAPI takes `json` or `yaml`, not {value:?}")]
    #[non_exhaustive]
    AsyncApiFormat {
        /// The value given.
        value: String,
    },
    /// `discard_new_per_subject` without what it works with (nats-server refuses the
    /// stream).
    #[error("discard_new_per_subject needs {needs}")]
    #[non_exhaustive]
    DiscardNewPerSubject {
        /// What it needs.
        needs: &'static str,
    },
    /// `replicas` is 0.
    #[error("replicas must be at least 1")]
    NoReplicas,
    /// A TTL is not a whole number of seconds of at least one second (the server's
    /// resolution): refused rather than rounded.
    #[error(
        "TTL {ttl:?} is not a whole number of seconds of at least 1s (the server's resolution)"
    )]
    #[non_exhaustive]
    Ttl {
        /// The TTL given.
        ttl: Duration,
    },
    /// A per-key TTL on a bucket created without `key_ttl_markers`.
    #[error("bucket {bucket:?} does not allow per-key TTLs: create it with `key_ttl_markers`")]
    #[non_exhaustive]
    TtlNotAllowed {
        /// The bucket.
        bucket: String,
    },
    /// A watch without any key filter.
    #[error("watch: no key filter given")]
    NoWatchFilter,
    /// Watch options that exclude each other.
    #[error("watch: {first} and {second} exclude each other")]
    #[non_exhaustive]
    WatchOptionsConflict {
        /// One option.
        first: &'static str,
        /// The other.
        second: &'static str,
    },
    /// A bucket configured with both a mirror and sources (a mirror copies one bucket
    /// exactly).
    #[error("a bucket mirrors one bucket or has sources, not both")]
    MirrorWithSources,
    /// A mirror or source that cannot be used.
    #[error("source {name:?}: {problem}")]
    #[non_exhaustive]
    Source {
        /// The source's name as given.
        name: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A republish configuration that cannot be used.
    #[error("republish: {problem}")]
    #[non_exhaustive]
    Republish {
        /// What is wrong.
        problem: &'static str,
    },
    /// A stream without subjects.
    #[error("a stream needs at least one subject")]
    NoSubjects,
    /// Two of a stream's subjects that overlap (the server refuses a stream whose
    /// subjects could both match one message).
    #[error("a stream's subjects {first:?} and {second:?} overlap")]
    #[non_exhaustive]
    OverlappingSubjects {
        /// One subject.
        first: String,
        /// The other.
        second: String,
    },
    /// A stream's duplicate window longer than its `max_age`.
    #[error("duplicate_window cannot exceed max_age")]
    DuplicateWindowBeyondMaxAge,
    /// A durable consumer's name the server would refuse (as a stream name: no `.`,
    /// `*`, `>`, whitespace or path separators).
    #[error("a consumer's name has no `.`, `*`, `>`, whitespace or path separators")]
    ConsumerName,
    /// More backoff delays than deliveries.
    #[error("backoff has more delays than max_deliver allows deliveries")]
    BackoffBeyondMaxDeliver,
    /// `from_revision(0)`: revisions start at 1.
    #[error("watch: revisions start at 1")]
    RevisionZero,
}
