//! What every conformance test gets: a broker on the backend under test (a fresh
//! `nats-server` per test for NATS), and small helpers.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use faststream_kv::jetstream::Consumer;
use faststream_kv::testing::NatsServer;
use faststream_kv::{Broker, ConnectionEvent, Error};
use futures::StreamExt;
use futures::stream::BoxStream;

/// The backend a test body runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Memory,
    Nats,
}

/// The backend under test: one server (a nats-server for this test, or one embedded
/// broker) that hands out connections.
#[allow(
    clippy::large_enum_variant,
    reason = "one per test, never moved in a loop"
)]
pub enum Env {
    Memory(Broker),
    Nats(NatsServer),
}

impl Env {
    pub fn new(backend: Backend) -> Result<Self, Error> {
        Ok(match backend {
            Backend::Memory => Env::Memory(Broker::memory()),
            Backend::Nats => Env::Nats(NatsServer::start()?),
        })
    }

    /// A broker with a connection of its own to the test's server: a new NATS
    /// connection, or a new connection to the test's one embedded broker.
    pub fn broker(&self) -> Broker {
        match self {
            Env::Memory(broker) => broker.new_connection(),
            Env::Nats(server) => server.broker(),
        }
    }
}

/// An append-only log shared between a test and the handlers it starts.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    pub fn push(&self, entry: impl Into<String>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry.into());
    }

    pub fn entries(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// Polls `condition` until it holds; fails the test after a generous deadline. Never
/// used to assert on speed, only to wait for asynchronous effects.
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Like [`eventually`], for a condition that must be awaited.
pub async fn eventually_async(what: &str, mut condition: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `consumer` has nothing delivered and unacknowledged.
pub async fn all_acknowledged(consumer: &Consumer) {
    eventually_async("all acknowledged", async || {
        consumer
            .info()
            .await
            .is_ok_and(|info| info.ack_pending == 0)
    })
    .await;
}

/// Runs a test body on a multi-threaded runtime.
pub fn run(
    backend: Backend,
    body: impl AsyncFnOnce(Env) -> Result<(), Error>,
) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| Error::io("building the test runtime", error))?;
    let env = Env::new(backend)?;
    runtime.block_on(body(env))
}

/// Runs `work` on a runtime of its own with a single thread (from a blocking thread of
/// the test's runtime): for tests about how tasks share a thread.
pub async fn on_one_thread<F>(work: F) -> Result<(), Error>
where
    F: Future<Output = Result<(), Error>> + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| Error::io("building the single-threaded runtime", error))?
            .block_on(work)
    })
    .await
    .map_err(Error::msg)?
}

/// The next `ConsumerGone` among `events` within 20 s: the subscriber, the stream, and
/// whether the consumer was declared again.
pub async fn consumer_gone(
    events: &mut BoxStream<'static, ConnectionEvent>,
) -> Option<(String, String, bool)> {
    let gone = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(event) = events.next().await {
            if let ConnectionEvent::ConsumerGone {
                subscriber,
                stream,
                declared_again,
                ..
            } = event
            {
                return Some((subscriber, stream, declared_again));
            }
        }
        None
    });
    gone.await.ok().flatten()
}
