//! What a running app tells a health probe: its connection, whether each subscriber
//! still consumes, and how far its Key-Value watches have come.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::task::AbortHandle;

use crate::broker::Broker;
use crate::kv::WatcherStatus;
use crate::runtime::WatcherProgress;

/// Reads a running app's [`Health`]; clones share the app. The app puts one in its
/// context once its subscribers consume, so an `after_startup` hook can hand it to a
/// probe server: `cx.context().get::<HealthCheck>()`.
#[derive(Clone)]
pub struct HealthCheck {
    broker: Broker,
    subscribers: Arc<[Watched]>,
    watchers: Arc<[WatcherProgress]>,
}

impl HealthCheck {
    pub(super) fn new(
        broker: Broker,
        subscribers: Vec<Watched>,
        watchers: &[WatcherProgress],
    ) -> Self {
        Self {
            broker,
            subscribers: subscribers.into(),
            watchers: watchers.into(),
        }
    }

    /// The app's health now.
    pub fn health(&self) -> Health {
        let subscribers = self
            .subscribers
            .iter()
            .map(|watched| SubscriberHealth {
                name: watched.name.to_string(),
                consuming: !watched.consumer.is_finished()
                    && !(watched.consumer_missing.as_ref())
                        .is_some_and(|missing| missing.load(Ordering::Acquire)),
            })
            .collect();
        Health {
            connected: self.broker.is_up(),
            subscribers,
            kv_watchers: self.watchers.iter().map(WatcherProgress::read).collect(),
        }
    }
}

/// What the health check watches of one subscriber.
pub(super) struct Watched {
    pub(super) name: Arc<str>,
    /// Its consume loop.
    pub(super) consumer: AbortHandle,
    /// A pull stream subscriber's: set while its consumer is gone.
    pub(super) consumer_missing: Option<Arc<AtomicBool>>,
}

impl std::fmt::Debug for HealthCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("HealthCheck").field(&self.health()).finish()
    }
}

/// A running app's health, from [`RunningApp::health`](crate::RunningApp::health).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Health {
    /// Whether the broker reaches its server now (not while it reconnects).
    pub connected: bool,
    /// Each subscriber, in the order the app added them.
    pub subscribers: Vec<SubscriberHealth>,
    /// Each `kv_watch` subscriber's progress through its bucket's initial data.
    pub kv_watchers: Vec<WatcherStatus>,
}

/// One subscriber of a running app.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriberHealth {
    /// The handler's name.
    pub name: String,
    /// Whether its consume loop still runs (it ends when its subscription or watch
    /// does, e.g. when its bucket is deleted), and a stream subscriber's consumer is
    /// there (one that is gone is declared again).
    pub consuming: bool,
}

impl Health {
    /// Whether every subscriber consumes: what a liveness probe asks (a reconnecting
    /// connection recovers by itself; a subscriber that ended does not).
    pub fn is_alive(&self) -> bool {
        self.subscribers
            .iter()
            .all(|subscriber| subscriber.consuming)
    }

    /// Whether the app serves: connected, every subscriber consuming, every Key-Value
    /// watch past its initial data. What a readiness probe asks.
    pub fn is_ready(&self) -> bool {
        self.connected
            && self.is_alive()
            && self
                .kv_watchers
                .iter()
                .all(|watcher| watcher.initial_data_loaded)
    }
}
