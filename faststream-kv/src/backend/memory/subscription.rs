//! A subscription on the memory broker: a stream of messages that unsubscribes on drop.

use std::pin::Pin;
use std::sync::Weak;
use std::task::{Context, Poll};

use futures::Stream;

use super::Core;
use super::queue::QueueReceiver;
use crate::message::Message;

/// Messages for one subscription, in publish order.
pub(crate) struct MemorySubscription {
    id: u64,
    subject: String,
    receiver: QueueReceiver,
    core: Weak<Core>,
}

impl MemorySubscription {
    pub(super) fn new(id: u64, subject: String, receiver: QueueReceiver, core: Weak<Core>) -> Self {
        Self {
            id,
            subject,
            receiver,
            core,
        }
    }

    /// Stops new messages; those already delivered still come, then the stream ends.
    pub(crate) fn drain(&mut self) {
        if let Some(core) = self.core.upgrade() {
            // Removing the target drops the only sender, which ends the stream once the
            // buffered messages are read.
            core.unsubscribe(&self.subject, self.id);
        }
    }
}

impl Stream for MemorySubscription {
    type Item = Message;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        self.receiver.poll_recv(cx)
    }
}

impl Drop for MemorySubscription {
    fn drop(&mut self) {
        self.drain();
    }
}
