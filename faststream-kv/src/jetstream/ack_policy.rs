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
    /// delivered again: after `delay` if given; else on the consumer's `backoff`
    /// schedule if it has one, else after [`nak_delay`] of its delivery count (250 ms,
    /// doubling with each delivery, at most 30 s), so that a message that always fails
    /// does not loop hot. Give a consumer a `max_deliver` to stop retrying at all.
    NackOnError {
        /// How long before it is delivered again (`Duration::ZERO`: at once).
        delay: Option<Duration>,
    },
    /// Settled by the handler itself, through the [`Acker`](super::Acker) extractor;
    /// one it leaves unsettled is delivered again after the consumer's `ack_wait`.
    Manual,
}

/// The first delay of [`nak_delay`].
pub const NAK_DELAY_FIRST: Duration = Duration::from_millis(250);

/// The longest delay of [`nak_delay`].
pub const NAK_DELAY_MAX: Duration = Duration::from_secs(30);

/// How long [`AckPolicy::NackOnError`] without a delay (and a consumer without a
/// backoff) waits before a message that failed on its `delivered`-th delivery comes
/// back: [`NAK_DELAY_FIRST`], doubling with each delivery, at most [`NAK_DELAY_MAX`].
///
/// ```
/// use std::time::Duration;
/// use faststream_kv::jetstream::nak_delay;
///
/// assert_eq!(nak_delay(1), Duration::from_millis(250));
/// assert_eq!(nak_delay(3), Duration::from_secs(1));
/// assert_eq!(nak_delay(100), Duration::from_secs(30));
/// ```
pub fn nak_delay(delivered: u64) -> Duration {
    let doublings = u32::try_from(delivered.saturating_sub(1)).unwrap_or(u32::MAX);
    NAK_DELAY_FIRST
        .checked_mul(2_u32.saturating_pow(doublings.min(31)))
        .map_or(NAK_DELAY_MAX, |delay| delay.min(NAK_DELAY_MAX))
}
