//! Testing support: run the real app in a test, on the memory broker or on a
//! `nats-server` spawned for the test.

mod call;
mod handler_name;
mod monitoring;
mod nats_cluster;
mod nats_server;
mod recorder;
mod test_app;

pub use call::{Call, Failure};
pub use handler_name::HandlerName;
pub use nats_cluster::{NatsCluster, free_port};
pub use nats_server::{NatsServer, NatsServerBuilder};
pub use test_app::TestApp;
