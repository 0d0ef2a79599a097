//! `RunningApp`: a started app, and its graceful shutdown.

use std::pin::pin;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::health::{Health, HealthCheck};
use super::hooks::{Hooks, run_hooks};
use super::{Lifecycle, ShutdownHandle};
use crate::broker::Broker;
use crate::context::Context;
use crate::error::{Error, HookStage, Result};
use crate::kv::WatcherStatus;
use crate::pending::SubscriberStats;
use crate::runtime::{PendingCounts, WatcherProgress};

/// How long subscribers told to give up may take to end (a reply being sent, counting
/// what is left) before they are cancelled.
const GIVE_UP_BOUND: Duration = Duration::from_secs(1);

/// A started app. Dropping it without [`stop`](Self::stop) shuts it down in the
/// background.
pub struct RunningApp {
    pub(super) lifecycle: Lifecycle,
    /// Only used through `&mut self`; the mutex makes `RunningApp` `Sync` without asking
    /// hooks to be.
    pub(super) hooks: Mutex<Hooks>,
    pub(super) subscribers: Vec<JoinHandle<u64>>,
    /// Reads its health.
    pub(super) health: HealthCheck,
    /// The counts of the subject subscribers.
    pub(super) pending: Vec<PendingCounts>,
    /// The progress of the `kv_watch` subscribers.
    pub(super) watchers: Vec<WatcherProgress>,
    pub(super) graceful_timeout: Duration,
    pub(super) shutdown: ShutdownHandle,
    pub(super) stopped: bool,
}

impl RunningApp {
    /// The app's broker.
    pub fn broker(&self) -> &Broker {
        &self.lifecycle.broker
    }

    /// The app's context.
    pub fn context(&self) -> &Context {
        &self.lifecycle.context
    }

    /// What each subject subscriber holds for its handler and what it dropped at its
    /// [`PendingLimits`](crate::PendingLimits) (Key-Value watchers are flow-controlled
    /// and drop nothing, so they are not listed).
    pub fn subscriber_stats(&self) -> Vec<SubscriberStats> {
        self.pending.iter().map(PendingCounts::read).collect()
    }

    /// Its health, for a probe: the connection, each subscriber, each Key-Value watch
    /// (see [`Health::is_ready`] and [`Health::is_alive`]).
    pub fn health(&self) -> Health {
        self.health.health()
    }

    /// How far each `kv_watch` subscriber has come: whether it has handled the values
    /// its bucket held when the app started.
    pub fn kv_watchers(&self) -> Vec<WatcherStatus> {
        self.watchers.iter().map(WatcherProgress::read).collect()
    }

    /// Waits until every `kv_watch` subscriber has handled the values its bucket held
    /// when the app started (at once without any): the point from which a service
    /// that keeps state from a bucket is ready.
    ///
    /// # Errors
    ///
    /// [`Error::WatchEnded`] when a watch ended before (its bucket was deleted, the app
    /// stopped).
    pub async fn initial_data_loaded(&self) -> Result<()> {
        for watcher in &self.watchers {
            watcher.loaded().await?;
        }
        Ok(())
    }

    /// A handle that asks the app to stop (then call [`stop`](Self::stop) or let
    /// [`App::run`](crate::App::run) finish).
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Shuts down gracefully: `on_shutdown` hooks, drain in-flight and received
    /// messages (up to the graceful timeout; then handlers still running are cut off and
    /// what is left is counted), close the broker (within its close bound),
    /// `after_shutdown` hooks. Every step runs even when an earlier one failed.
    ///
    /// # Errors
    ///
    /// The first error of the steps: a failing hook, [`Error::Abandoned`] counting the
    /// received messages left unhandled at the graceful timeout,
    /// [`Error::Unavailable`] when the connection cannot flush or drain in time.
    pub async fn stop(mut self) -> Result<()> {
        self.stop_in_place().await
    }

    async fn stop_in_place(&mut self) -> Result<()> {
        self.stopped = true;
        let (stopping, subscribers) = (Instant::now(), self.subscribers.len());
        let mut first_error = None;
        let lifecycle = self.lifecycle.clone();
        let on_shutdown = run_hooks(
            HookStage::OnShutdown,
            &mut self.hooks_mut().on_shutdown,
            &lifecycle,
        )
        .await;
        first_error = first_error.or(on_shutdown.err());
        first_error = first_error.or(self.stop_subscribers().await.err());
        self.lifecycle.context.unpin_all();
        first_error = first_error.or(self.lifecycle.broker.close().await.err());
        let after_shutdown = run_hooks(
            HookStage::AfterShutdown,
            &mut self.hooks_mut().after_shutdown,
            &lifecycle,
        )
        .await;
        first_error = first_error.or(after_shutdown.err());
        let took = stopping.elapsed();
        match &first_error {
            None => tracing::info!(subscribers, ?took, "app stopped"),
            Some(error) => tracing::warn!(subscribers, ?took, %error, "app stopped, not cleanly"),
        }
        first_error.map_or(Ok(()), Err)
    }

    pub(super) fn hooks_mut(&mut self) -> &mut Hooks {
        self.hooks.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stops the subscribers: they drain, up to the graceful timeout; then they are told
    /// to give up, and count what they leave; a loop that does not end within
    /// [`GIVE_UP_BOUND`] after that is cancelled.
    pub(super) async fn stop_subscribers(&mut self) -> Result<()> {
        self.shutdown.shutdown();
        let subscribers = std::mem::take(&mut self.subscribers);
        tracing::info!(
            subscribers = subscribers.len(),
            timeout = ?self.graceful_timeout,
            "app draining: no new messages, finishing those received"
        );
        let aborts: Vec<_> = subscribers.iter().map(JoinHandle::abort_handle).collect();
        let mut stopped = pin!(futures::future::join_all(subscribers));
        let ended = match tokio::time::timeout(self.graceful_timeout, stopped.as_mut()).await {
            Ok(ended) => ended,
            Err(_) => {
                self.shutdown.give_up();
                match tokio::time::timeout(GIVE_UP_BOUND, stopped.as_mut()).await {
                    Ok(ended) => ended,
                    Err(_) => {
                        aborts.iter().for_each(tokio::task::AbortHandle::abort);
                        stopped.await
                    }
                }
            }
        };
        let messages: u64 = ended.iter().filter_map(|ended| ended.as_ref().ok()).sum();
        let cancelled_subscribers = ended.iter().filter(|ended| ended.is_err()).count();
        if messages == 0 && cancelled_subscribers == 0 {
            return Ok(());
        }
        tracing::warn!(
            messages,
            cancelled_subscribers,
            timeout = ?self.graceful_timeout,
            "shutdown left received messages unhandled"
        );
        Err(Error::Abandoned {
            messages,
            cancelled_subscribers,
        })
    }
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        self.shutdown.shutdown();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let mut running = RunningApp {
            lifecycle: self.lifecycle.clone(),
            hooks: Mutex::new(std::mem::take(self.hooks_mut())),
            subscribers: std::mem::take(&mut self.subscribers),
            health: self.health.clone(),
            pending: std::mem::take(&mut self.pending),
            watchers: std::mem::take(&mut self.watchers),
            graceful_timeout: self.graceful_timeout,
            shutdown: self.shutdown.clone(),
            stopped: true,
        };
        runtime.spawn(async move {
            if let Err(error) = running.stop_in_place().await {
                tracing::error!(%error, "shutdown of a dropped app failed");
            }
        });
    }
}

// A running app is shared with spawned tasks (`Arc<TestApp>`, `&RunningApp` across
// awaits), so it must stay `Send + Sync` whatever its hooks are.
const _: fn() = || {
    fn shareable<T: Send + Sync>() {}
    shareable::<RunningApp>();
};
