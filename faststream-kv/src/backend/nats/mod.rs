//! The NATS backend: async-nats underneath, our error types and wire format on top.

mod ack_subject;
mod bounded;
mod connect;
mod connection;
mod core;
mod error;
mod events;
mod jetstream;
mod kv;
mod options;
mod ordered_consumer;
mod sessions;
mod subscription;

pub(crate) use connection::NatsConnection;
pub use options::ConnectOptions;
pub(crate) use subscription::NatsSubscription;
