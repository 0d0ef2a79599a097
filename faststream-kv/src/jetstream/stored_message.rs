//! A message as a stream stored it.

use std::time::SystemTime;

use async_nats::HeaderMap;
use bytes::Bytes;

/// A message read back from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredMessage {
    /// The subject it was published to.
    pub subject: String,
    /// Its sequence in the stream.
    pub sequence: u64,
    /// The headers it was published with.
    pub headers: HeaderMap,
    /// Its payload.
    pub payload: Bytes,
    /// When the stream stored it.
    pub time: SystemTime,
}
