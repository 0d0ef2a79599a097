//! The NATS backend: async-nats underneath, our error types and wire format on top.

mod connect;
mod connection;
mod core;
mod error;
mod events;
mod kv;
mod options;
mod subscription;

pub(crate) use connection::NatsConnection;
pub use options::ConnectOptions;
pub(crate) use subscription::NatsSubscription;
