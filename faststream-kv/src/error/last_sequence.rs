//! Whose last sequence a refused publish expected.

/// Whose last sequence a publish expected, in
/// [`Error::WrongLastSequence`](crate::Error::WrongLastSequence).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LastSequenceOf {
    /// The stream's ([`expected_last_sequence`]).
    ///
    /// [`expected_last_sequence`]: crate::jetstream::PublishOptions::expected_last_sequence
    Stream,
    /// The messages on the subjects matching this one: the subject published to
    /// ([`expected_last_subject_sequence`]), or the one given to
    /// [`expected_last_subject_sequence_for`].
    ///
    /// [`expected_last_subject_sequence`]: crate::jetstream::PublishOptions::expected_last_subject_sequence
    /// [`expected_last_subject_sequence_for`]: crate::jetstream::PublishOptions::expected_last_subject_sequence_for
    Subject(String),
}

impl std::fmt::Display for LastSequenceOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Stream => f.write_str("the stream"),
            Self::Subject(subject) => write!(f, "subject {subject:?}"),
        }
    }
}
