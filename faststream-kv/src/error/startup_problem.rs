//! Why the app refused to start: one problem per subscriber argument (or pattern).

use std::fmt;

/// One reason the app cannot start, naming the handler, its pattern and the argument;
/// [`Error::Startup`](super::Error::Startup) lists all of them at once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StartupProblem {
    /// The handler's name.
    pub handler: String,
    /// The subscriber's pattern as written.
    pub pattern: String,
    /// The argument as written (`Ctx(db): Ctx<Database>`), or its position and type;
    /// `None` when the problem is the subscriber's, not one argument's.
    pub argument: Option<String>,
    /// What is wrong.
    pub kind: StartupProblemKind,
}

/// What is wrong, in a [`StartupProblem`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StartupProblemKind {
    /// The pattern does not parse.
    #[error("invalid subscriber pattern: {reason}")]
    #[non_exhaustive]
    InvalidPattern {
        /// Why.
        reason: String,
    },
    /// A `Ctx<T>` whose `T` no startup hook inserted.
    #[error("needs a `{type_name}` in the context, but no startup hook inserted one")]
    #[non_exhaustive]
    MissingContext {
        /// The type's name.
        type_name: &'static str,
    },
    /// A single-value `Path` on a pattern without exactly one capture.
    #[error(
        "a single-value `Path` needs exactly one `{{capture}}` in the pattern, which has {captures}"
    )]
    #[non_exhaustive]
    PathNeedsOneCapture {
        /// The pattern's captures.
        captures: usize,
    },
    /// A tuple `Path` whose length is not the pattern's capture count.
    #[error("a {len}-tuple `Path` needs {len} captures in the pattern, which has {captures}")]
    #[non_exhaustive]
    PathTupleLength {
        /// The tuple's length.
        len: usize,
        /// The pattern's captures.
        captures: usize,
    },
    /// A struct `Path` with fields no capture is named after.
    #[error("`Path` field(s) {} have no `{{capture}}` of that name in the pattern", .fields.join(", "))]
    #[non_exhaustive]
    PathFieldsWithoutCapture {
        /// The fields without a capture.
        fields: Vec<&'static str>,
    },
    /// A `Path` on a pattern without captures.
    #[error("`Path` needs captures, the pattern has none")]
    PathWithoutCaptures,
    /// A Key-Value `Entry` asked for by a subscriber that is not a `kv_watch` one.
    #[error(
        "Key-Value entries only reach `kv_watch` subscribers: #[subscriber(kv_watch = \"bucket\", keys = \"...\")]"
    )]
    EntryOutsideKvWatch,
    /// An `Acker` or `MessageInfo` asked for by a subscriber that is not a stream one.
    #[error(
        "`Acker` and `MessageInfo` only reach stream subscribers: Subscriber::stream(\"STREAM\", ...)"
    )]
    AckerOutsideStream,
    /// A `Batch` asked for by a subscriber that does not hand out batches.
    #[error(
        "`Batch` only reaches stream subscribers that hand out batches: Subscriber::stream(...).batches(n), #[subscriber(..., batch = n)]"
    )]
    BatchOutsideBatches,
    /// `workers_by_key` keyed by a capture the pattern does not have.
    #[error("workers_by_key: the pattern has no `{{{capture}}}` capture")]
    #[non_exhaustive]
    OrderingKeyWithoutCapture {
        /// The capture named.
        capture: String,
    },
    /// A publisher's subject is not one a message can be published to.
    #[error("publisher {subject:?}: {reason}")]
    #[non_exhaustive]
    InvalidPublisher {
        /// The publisher's subject.
        subject: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A publisher's subject names a `{capture}` the subscriber's pattern does not
    /// have, so no message could fill it.
    #[error("publisher {subject:?}: the subscriber's pattern has no `{{{capture}}}` capture")]
    #[non_exhaustive]
    PublisherWithoutCapture {
        /// The publisher's subject.
        subject: String,
        /// The capture named.
        capture: String,
    },
    /// A subscriber publishes its results to a subject its own pattern matches: each
    /// result would come back to it, without end.
    #[error(
        "publisher {subject:?}: the subscriber's own pattern matches it, each result would come back to it"
    )]
    #[non_exhaustive]
    PublishesToItself {
        /// The publisher's subject.
        subject: String,
    },
    /// A stream subscriber's consumer filters on a subject its pattern does not cover,
    /// so its captures could not be extracted from those messages.
    #[error(
        "filter subject {filter:?} is not within the pattern: every message consumed must match it"
    )]
    #[non_exhaustive]
    FilterOutsidePattern {
        /// The filter subject.
        filter: String,
    },
}

impl fmt::Display for StartupProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "subscriber `{}` ({})", self.handler, self.pattern)?;
        if let Some(argument) = &self.argument {
            write!(f, ", {argument}")?;
        }
        write!(f, ": {}", self.kind)
    }
}
