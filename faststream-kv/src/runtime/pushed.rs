//! A stream subscriber's messages from a push consumer, each with its
//! [`Acker`](crate::jetstream::Acker) in its extensions. The server bounds what comes
//! by the consumer's `max_ack_pending`; what waits for a worker waits in the
//! subscription. A drain stops the deliveries and naks what arrived and was not
//! handled, awaiting each nak, so that the next instance gets those messages at once.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::{Stream, StreamExt};

use crate::jetstream::{JsMessage, PushMessages};
use crate::message::Message;

/// How long a drain waits for what the server sent before it saw the unsubscribe.
const DELIVERED_GRACE: Duration = Duration::from_millis(100);

pub(crate) struct Pushed {
    messages: PushMessages,
    /// Whether a message dropped unsettled is nak'd (not for manual acks).
    nak_when_dropped: bool,
    name: Arc<str>,
    ended: bool,
}

impl Pushed {
    pub(crate) fn new(messages: PushMessages, nak_when_dropped: bool, name: Arc<str>) -> Self {
        Self {
            messages,
            nak_when_dropped,
            name,
            ended: false,
        }
    }

    /// Stops the deliveries; naks what arrived and was not handled.
    pub(crate) async fn drain(&mut self) {
        self.ended = true;
        self.messages.stop().await;
        let mut left = Vec::new();
        let _ = tokio::time::timeout(DELIVERED_GRACE, async {
            while let Some(message) = self.messages.next().await {
                left.push(message);
            }
        })
        .await;
        JsMessage::nak_unhandled(&self.name, left).await;
    }
}

impl Stream for Pushed {
    type Item = Message;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let delivered = std::task::ready!(self.messages.poll_next_unpin(cx));
        Poll::Ready(delivered.map(|delivered| delivered.hand_out(None, self.nak_when_dropped)))
    }
}
