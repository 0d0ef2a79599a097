//! What a [`TestApp`](super::TestApp) records, as its broker's observer: each handler's
//! calls and every publish.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

use super::call::Call;
use crate::broker::Observer;
use crate::error::BoxError;
use crate::message::Message;
use crate::response::Reply;

/// The calls of each handler, by name, and the messages published, in order.
#[derive(Default)]
pub(crate) struct Recorder {
    calls: Mutex<HashMap<Arc<str>, Vec<Call>>>,
    /// Woken on each call.
    called: Notify,
    published: Mutex<Vec<Message>>,
}

impl Recorder {
    pub(crate) fn calls(&self, handler: &str) -> Vec<Call> {
        let calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        calls.get(handler).cloned().unwrap_or_default()
    }

    pub(crate) fn published(&self) -> Vec<Message> {
        self.published
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The calls of `handler` once there are `count`; at `deadline`, those there are.
    pub(crate) async fn calls_when(
        &self,
        handler: &str,
        count: usize,
        deadline: tokio::time::Instant,
    ) -> Result<Vec<Call>, Vec<Call>> {
        loop {
            let mut called = std::pin::pin!(self.called.notified());
            called.as_mut().enable();
            let calls = self.calls(handler);
            if calls.len() >= count {
                return Ok(calls);
            }
            if tokio::time::timeout_at(deadline, called).await.is_err() {
                return Err(calls);
            }
        }
    }
}

impl Observer for Recorder {
    fn published(&self, message: Message) {
        self.published
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(message);
    }

    fn called(&self, handler: &str, message: Message, result: Result<&Reply, &BoxError>) {
        let call = Call::new(message, result);
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        calls.entry(handler.into()).or_default().push(call);
        drop(calls);
        self.called.notify_waiters();
    }
}
