//! Testing support: run the real app in a test, on the memory broker or on a
//! `nats-server` spawned for the test.

mod monitoring;
mod nats_cluster;
mod nats_server;
mod test_app;

pub use nats_cluster::{NatsCluster, free_port};
pub use nats_server::{NatsServer, NatsServerBuilder};
pub use test_app::TestApp;
