//! What a subscription may hold before it is consumed, and what it held and dropped:
//! the slow-consumer protection of the NATS clients, alike on both backends.

use std::fmt;

/// How much a subscription holds for its consumer: messages received and not yet taken.
/// A message that would go over either limit is dropped and counted (the consumer is
/// slow); NATS clients do the same. The defaults are nats.go's: 524,288 messages and
/// 64 MiB of payload.
///
/// ```
/// use faststream_kv::PendingLimits;
///
/// let limits = PendingLimits::new(10_000, 8 * 1024 * 1024);
/// assert_eq!(limits.messages(), 10_000);
/// assert_eq!(PendingLimits::default().bytes(), 64 * 1024 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingLimits {
    messages: u64,
    bytes: u64,
}

impl PendingLimits {
    /// nats.go's `DefaultSubPendingMsgsLimit` and `DefaultSubPendingBytesLimit`.
    pub const DEFAULT: Self = Self {
        messages: 512 * 1024,
        bytes: 64 * 1024 * 1024,
    };

    /// No limit: nothing is ever dropped, and a slow consumer grows without bound.
    pub const UNLIMITED: Self = Self {
        messages: u64::MAX,
        bytes: u64::MAX,
    };

    /// At most `messages` messages and `bytes` bytes of payload pending. A limit of 0
    /// is taken as 1: a subscription always holds the message it received.
    pub const fn new(messages: u64, bytes: u64) -> Self {
        Self {
            messages: if messages == 0 { 1 } else { messages },
            bytes: if bytes == 0 { 1 } else { bytes },
        }
    }

    /// The most messages pending.
    pub const fn messages(&self) -> u64 {
        self.messages
    }

    /// The most payload bytes pending.
    pub const fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Whether one more message of `size` bytes fits beside `messages` messages of
    /// `bytes` bytes (nats.go's rule: a message is dropped when the counts with it would
    /// exceed a limit).
    pub(crate) fn admit(&self, messages: u64, bytes: u64, size: u64) -> bool {
        messages < self.messages && bytes.saturating_add(size) <= self.bytes
    }
}

impl Default for PendingLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for PendingLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} messages / {} bytes", self.messages, self.bytes)
    }
}

/// A subscription's counts at one moment: what it holds and what it dropped since it
/// began. Payload bytes, as nats.go counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PendingStats {
    /// Messages received and not yet taken by the consumer.
    pub pending_messages: u64,
    /// Their payload bytes.
    pub pending_bytes: u64,
    /// Messages dropped because the limits were reached.
    pub dropped_messages: u64,
    /// Their payload bytes.
    pub dropped_bytes: u64,
    /// Messages the consumer has taken.
    pub delivered_messages: u64,
}

/// One subject subscriber of a running app, as
/// [`RunningApp::subscriber_stats`](crate::RunningApp::subscriber_stats) reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriberStats {
    /// The handler's name.
    pub name: String,
    /// The subject it subscribed to.
    pub subject: String,
    /// Its limits now.
    pub limits: PendingLimits,
    /// Its counts.
    pub counts: PendingStats,
}
