//! What a stream reports about itself.

use std::time::SystemTime;

use super::StreamConfig;

/// A stream's configuration and state, fresh from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamInfo {
    /// The configuration it runs with.
    pub config: StreamConfig,
    /// What it holds now.
    pub state: StreamState,
    /// When it was created.
    pub created: SystemTime,
}

/// What a stream holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamState {
    /// Messages stored.
    pub messages: u64,
    /// Bytes stored, as the server counts them.
    pub bytes: u64,
    /// The sequence of the oldest message stored (the next one's when empty).
    pub first_sequence: u64,
    /// The sequence of the newest message ever stored (0: none yet).
    pub last_sequence: u64,
    /// When the oldest message stored was stored (`None`: the stream is empty).
    pub first_time: Option<SystemTime>,
    /// When the newest message ever stored was stored, still after a purge (`None`:
    /// none yet).
    pub last_time: Option<SystemTime>,
    /// Subjects with messages stored.
    pub subjects: u64,
    /// Messages deleted between the first and the last sequence (their sequences:
    /// [`Stream::deleted_sequences`](super::Stream::deleted_sequences)).
    pub deleted: u64,
    /// Consumers on the stream.
    pub consumers: usize,
}
