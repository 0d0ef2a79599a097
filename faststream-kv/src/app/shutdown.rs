//! Stopping the app: the shutdown handle, and the signals `App::run` stops on.

use std::sync::Arc;

use tokio::sync::watch;

/// Stops a running app from anywhere (another task, a handler, a test).
#[derive(Clone, Debug)]
pub struct ShutdownHandle {
    sender: Arc<watch::Sender<bool>>,
    /// Set when the graceful timeout ran out: subscribers stop handling.
    give_up: Arc<watch::Sender<bool>>,
}

impl ShutdownHandle {
    pub(super) fn new() -> Self {
        Self {
            sender: Arc::new(watch::Sender::new(false)),
            give_up: Arc::new(watch::Sender::new(false)),
        }
    }

    /// Asks the app to shut down gracefully.
    pub fn shutdown(&self) {
        self.sender.send_replace(true);
    }

    /// Whether shutdown was asked for.
    pub fn is_shutdown(&self) -> bool {
        *self.sender.borrow()
    }

    /// Completes once shutdown was asked for.
    pub async fn wait(&self) {
        let mut receiver = self.sender.subscribe();
        // The sender lives in `self`, so waiting cannot fail.
        let _ = receiver.wait_for(|stopped| *stopped).await;
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<bool> {
        self.sender.subscribe()
    }

    /// The signal that the app gave up waiting for its handlers.
    pub(crate) fn subscribe_give_up(&self) -> watch::Receiver<bool> {
        self.give_up.subscribe()
    }

    /// Tells subscribers to stop handling and count what they leave.
    pub(super) fn give_up(&self) {
        self.give_up.send_replace(true);
    }
}

/// Ctrl-C, or SIGTERM on Unix.
pub(super) async fn termination_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
