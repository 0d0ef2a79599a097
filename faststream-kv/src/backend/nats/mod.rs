//! The NATS backend: async-nats underneath, our error types and wire format on top.

mod connect;
pub(crate) mod core;
mod error;
pub(crate) mod kv;
mod options;

pub use options::ConnectOptions;
