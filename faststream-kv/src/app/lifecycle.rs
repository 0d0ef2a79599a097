//! `Lifecycle`: what lifecycle hooks receive.

use super::ShutdownHandle;
use crate::broker::Broker;
use crate::context::Context;

/// What lifecycle hooks receive: the broker, the app context and the shutdown handle.
/// Cheap to clone; owned so that hooks are plain `async` closures.
#[derive(Clone, Debug)]
pub struct Lifecycle {
    pub(super) broker: Broker,
    pub(super) context: Context,
    pub(super) shutdown: ShutdownHandle,
}

impl Lifecycle {
    /// The app's broker (connecting it here is allowed and idempotent).
    pub fn broker(&self) -> &Broker {
        &self.broker
    }

    /// The app's context: insert what handlers extract with `Ctx<T>`.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// A handle that stops the running app.
    pub fn shutdown_handle(&self) -> &ShutdownHandle {
        &self.shutdown
    }
}
