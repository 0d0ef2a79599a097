//! Which backend a broker runs on.

use std::fmt;

/// The backend behind a [`Broker`](crate::Broker): a NATS server or the embedded memory
/// broker. Errors that depend on the backend name it with this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BackendKind {
    /// A `nats-server`, through async-nats.
    Nats,
    /// The embedded in-memory broker.
    Memory,
}

impl BackendKind {
    /// `"nats"` or `"memory"`.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Nats => "nats",
            BackendKind::Memory => "memory",
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
