//! `NatsCluster`: a JetStream cluster of `nats-server`s on loopback for failover tests —
//! free ports, a store directory per node, ready once JetStream has its meta leader.

use std::time::Duration;

use serde_json::Value;

use super::NatsServer;
use crate::broker::{Broker, ConnectOptions};
use crate::error::{Error, Result};

/// How long a cluster may take to elect its JetStream meta leader.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A JetStream cluster of nodes `n1`, `n2`, ... owned by a test; stopped on drop.
///
/// ```no_run
/// use faststream_kv::testing::NatsCluster;
///
/// # #[tokio::main] async fn main() -> Result<(), faststream_kv::Error> {
/// let mut cluster = NatsCluster::start(3).await?;
/// let broker = cluster.broker();
/// // ... a replicated bucket, then:
/// let leader = cluster.stream_leader("KV_orders").await?;
/// cluster.kill(&leader)?;
/// # Ok(()) }
/// ```
pub struct NatsCluster {
    nodes: Vec<(String, NatsServer)>,
}

impl NatsCluster {
    /// Starts `size` nodes routed to each other and waits until JetStream is ready.
    ///
    /// # Errors
    ///
    /// As [`NatsServer::start`]; [`Error::Io`] when no free port is found, or
    /// [`Error::Unavailable`] when JetStream has no meta leader within 30 s.
    pub async fn start(size: usize) -> Result<Self> {
        let cluster_ports = (0..size).map(|_| free_port()).collect::<Result<Vec<_>>>()?;
        let mut nodes = Vec::with_capacity(size);
        for (index, port) in cluster_ports.iter().enumerate() {
            let name = format!("n{}", index + 1);
            let routes: Vec<String> = cluster_ports
                .iter()
                .filter(|other| *other != port)
                .map(|other| format!("nats://127.0.0.1:{other}"))
                .collect();
            let server = NatsServer::builder()
                .argument("--server_name")
                .argument(&name)
                .argument("--cluster_name")
                .argument("faststream-kv")
                .argument("--cluster")
                .argument(format!("nats://127.0.0.1:{port}"))
                .argument("--routes")
                .argument(routes.join(","))
                .start()?;
            nodes.push((name, server));
        }
        let cluster = Self { nodes };
        cluster.wait_until_ready().await?;
        Ok(cluster)
    }

    /// The client URLs of the nodes, comma-separated.
    pub fn urls(&self) -> String {
        let urls: Vec<String> = self.nodes.iter().map(|(_, server)| server.url()).collect();
        urls.join(",")
    }

    /// A broker that knows every node (and fails over between them).
    pub fn broker(&self) -> Broker {
        Broker::nats(ConnectOptions::new(self.urls()))
    }

    /// The nodes' server names.
    pub fn node_names(&self) -> Vec<&str> {
        self.nodes.iter().map(|(name, _)| name.as_str()).collect()
    }

    /// Kills node `name` (SIGKILL).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when there is no such node.
    pub fn kill(&mut self, name: &str) -> Result<()> {
        self.node(name)?.kill();
        Ok(())
    }

    /// Starts node `name` again on its ports and store.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when there is no such node or it does not start.
    pub fn restart(&mut self, name: &str) -> Result<()> {
        self.node(name)?.restart()
    }

    /// The server name of the leader of stream `stream` (a bucket `b` is `KV_b`).
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] when the cluster does not name a leader within 30 s.
    pub async fn stream_leader(&self, stream: &str) -> Result<String> {
        let subject = format!("$JS.API.STREAM.INFO.{stream}");
        let broker = self.broker();
        let leader = poll_api(&broker, &subject, None, |info| {
            info.pointer("/cluster/leader")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .await;
        let _ = broker.close().await;
        leader
    }

    /// Ready once every node answers the JetStream API: each knows the meta leader, so
    /// all of them are peers a replicated stream can be placed on.
    async fn wait_until_ready(&self) -> Result<()> {
        for (_, server) in &self.nodes {
            let node = Broker::nats(ConnectOptions::new(server.url()));
            let answered = poll_api(&node, "$JS.API.INFO", None, |info| {
                info.get("error").is_none().then_some(())
            })
            .await;
            let _ = node.close().await;
            answered?;
        }
        // And a stream with a replica on every node can be placed: every peer is known.
        let probe = "faststream_kv_cluster_ready";
        let config = serde_json::json!({
            "name": probe,
            "subjects": ["faststream-kv.cluster-ready"],
            "num_replicas": self.nodes.len(),
            "storage": "memory",
        });
        let broker = self.broker();
        let create = format!("$JS.API.STREAM.CREATE.{probe}");
        let payload = config.to_string();
        poll_api(&broker, &create, Some(&payload), |reply| {
            reply.get("error").is_none().then_some(())
        })
        .await?;
        let delete = format!("$JS.API.STREAM.DELETE.{probe}");
        let deleted = poll_api(&broker, &delete, None, |reply| {
            reply.get("error").is_none().then_some(())
        })
        .await;
        let _ = broker.close().await;
        deleted
    }
    fn node(&mut self, name: &str) -> Result<&mut NatsServer> {
        self.nodes
            .iter_mut()
            .find(|(node, _)| node == name)
            .map(|(_, server)| server)
            .ok_or_else(|| {
                Error::io(
                    format!("no node {name:?} in the cluster"),
                    std::io::Error::from(std::io::ErrorKind::NotFound),
                )
            })
    }
}

/// Asks the JetStream API at `subject` (with `payload`) through `broker` until `answer`
/// finds what it wants in a reply.
async fn poll_api<T>(
    broker: &Broker,
    subject: &str,
    payload: Option<&str>,
    answer: impl Fn(&Value) -> Option<T>,
) -> Result<T> {
    broker.connect().await?;
    let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
    let found = loop {
        let reply = broker
            .request_with(
                subject,
                crate::Reply::new(payload.unwrap_or_default().to_owned()),
                Some(Duration::from_secs(2)),
            )
            .await;
        if let Ok(reply) = reply
            && let Ok(info) = serde_json::from_slice::<Value>(reply.payload())
            && let Some(found) = answer(&info)
        {
            break Some(found);
        }
        if tokio::time::Instant::now() > deadline {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    found.ok_or(Error::Unavailable {
        operation: crate::error::NatsOperation::Request,
        after: READY_TIMEOUT,
        may_have_landed: false,
    })
}

/// A port nobody listens on now (bound and released: fine on loopback for a test, for
/// a configuration that needs a port before the server starts, such as a leaf node's).
///
/// # Errors
///
/// [`Error::Io`] when no port can be bound.
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|error| Error::io("finding a free port", error))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|error| Error::io("finding a free port", error))
}
