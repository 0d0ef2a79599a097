//! When a stream subscriber acknowledges a message, as FastStream names the policies.

use std::time::Duration;

/// What a stream subscriber does with a message around its handler. Whatever the
/// policy, a message whose payload cannot be decoded is terminated (and logged): it
/// would fail again on every redelivery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AckPolicy {
    /// Acknowledged before the handler runs: delivered at most once.
    AckFirst,
    /// Acknowledged once the handler returns, whatever it returns.
    Ack,
    /// Acknowledged when the handler succeeds, terminated (never redelivered) when it
    /// fails or panics. The default.
    #[default]
    RejectOnError,
    /// Acknowledged when the handler succeeds, nak'd when it fails or panics, so it is
    /// delivered again (after `delay`, if given, or the consumer's backoff).
    NackOnError {
        /// How long before it is delivered again.
        delay: Option<Duration>,
    },
    /// Settled by the handler itself, through the [`Acker`](super::Acker) extractor;
    /// one it leaves unsettled is delivered again after the consumer's `ack_wait`.
    Manual,
}
