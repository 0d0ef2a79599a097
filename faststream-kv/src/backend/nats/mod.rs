//! The NATS backend: async-nats underneath, our error types and wire format on top.

mod connect;
mod connection;
mod core;
mod error;
mod events;
mod kv;
mod options;

pub(crate) use connection::NatsConnection;
pub(crate) use core::drain as drain_subscription;
pub use options::ConnectOptions;
