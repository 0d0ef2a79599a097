//! How the embedded broker is configured: the server limits it enforces as a
//! nats-server would.

/// nats-server's default `max_payload`.
const DEFAULT_MAX_PAYLOAD: usize = 1024 * 1024;

/// Options for [`Broker::memory_with`](crate::Broker::memory_with).
///
/// ```
/// use faststream_kv::{Broker, Error, MemoryOptions};
///
/// # #[tokio::main] async fn main() -> Result<(), Error> {
/// // As a nats-server started with `max_payload: 1KB`.
/// let broker = Broker::memory_with(MemoryOptions::new().max_payload(1024));
/// broker.connect().await?;
/// let refused = broker.publish("big", vec![0u8; 2048]).await;
/// assert!(matches!(refused, Err(Error::PayloadTooLarge { max: 1024, .. })));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryOptions {
    pub(crate) max_payload: usize,
}

impl MemoryOptions {
    /// The defaults of a nats-server.
    pub fn new() -> Self {
        Self {
            max_payload: DEFAULT_MAX_PAYLOAD,
        }
    }

    /// The largest message accepted, headers and payload together (default 1 MiB, as
    /// nats-server's `max_payload`); larger publishes and Key-Value writes fail with
    /// [`Error::PayloadTooLarge`](crate::Error::PayloadTooLarge).
    pub fn max_payload(mut self, bytes: usize) -> Self {
        self.max_payload = bytes;
        self
    }
}

impl Default for MemoryOptions {
    fn default() -> Self {
        Self::new()
    }
}
