//! `RunningApp`: a started app, and its graceful shutdown.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::hooks::{Hooks, run_hooks};
use super::{Lifecycle, ShutdownHandle};
use crate::broker::Broker;
use crate::context::Context;
use crate::error::{HookStage, Result};

/// A started app. Dropping it without [`stop`](Self::stop) shuts it down in the
/// background.
pub struct RunningApp {
    pub(super) lifecycle: Lifecycle,
    /// Only used through `&mut self`; the mutex makes `RunningApp` `Sync` without asking
    /// hooks to be.
    pub(super) hooks: Mutex<Hooks>,
    pub(super) subscribers: Vec<JoinHandle<()>>,
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

    /// A handle that asks the app to stop (then call [`stop`](Self::stop) or let
    /// [`App::run`](crate::App::run) finish).
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Shuts down gracefully: `on_shutdown` hooks, drain in-flight handlers (up to the
    /// graceful timeout), close the broker, `after_shutdown` hooks. Every step runs even
    /// when an earlier one failed; the first error is returned.
    ///
    /// # Errors
    ///
    /// The first error of the steps (a failing hook, [`Error::Nats`](crate::Error::Nats)
    /// when the
    /// connection cannot drain); every step still runs.
    pub async fn stop(mut self) -> Result<()> {
        self.stop_in_place().await
    }

    async fn stop_in_place(&mut self) -> Result<()> {
        self.stopped = true;
        let mut first_error = None;
        let lifecycle = self.lifecycle.clone();
        let on_shutdown = run_hooks(
            HookStage::OnShutdown,
            &mut self.hooks_mut().on_shutdown,
            &lifecycle,
        )
        .await;
        first_error = first_error.or(on_shutdown.err());
        self.stop_subscribers().await;
        self.lifecycle.context.unpin_all();
        first_error = first_error.or(self.lifecycle.broker.close().await.err());
        let after_shutdown = run_hooks(
            HookStage::AfterShutdown,
            &mut self.hooks_mut().after_shutdown,
            &lifecycle,
        )
        .await;
        first_error = first_error.or(after_shutdown.err());
        first_error.map_or(Ok(()), Err)
    }

    pub(super) fn hooks_mut(&mut self) -> &mut Hooks {
        self.hooks.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) async fn stop_subscribers(&mut self) {
        self.shutdown.shutdown();
        let subscribers = std::mem::take(&mut self.subscribers);
        let aborts: Vec<_> = subscribers.iter().map(JoinHandle::abort_handle).collect();
        let drained = tokio::time::timeout(
            self.graceful_timeout,
            futures::future::join_all(subscribers),
        )
        .await;
        if drained.is_err() {
            tracing::warn!(
                timeout = ?self.graceful_timeout,
                "handlers still running after the graceful timeout; cancelling them"
            );
            aborts.iter().for_each(tokio::task::AbortHandle::abort);
        }
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
