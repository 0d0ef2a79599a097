//! A subscription on NATS: a task moves what the client receives into the pending
//! queue, where the limits are kept and drops counted.
//!
//! async-nats bounds each subscription by message count only, for the whole
//! connection, and drops silently (its slow-consumer events are lossy). So the task
//! empties the client's channel as it fills, and the queue decides what is dropped.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::Poll;

use futures::{FutureExt, Stream};
use tokio::sync::oneshot;

use super::core;
use crate::backend::pending_queue::QueueSender;
use crate::error::Result;
use crate::message::Message;

/// Messages the task moves under one lock of the queue at most.
const BATCH: usize = 256;

/// What the subscription asks of its task: to drain (answering when it did).
type DrainRequest = oneshot::Sender<Result<()>>;

/// The task's end of the subscription: dropping it unsubscribes.
pub(crate) struct NatsSubscription {
    control: Option<oneshot::Sender<DrainRequest>>,
}

impl NatsSubscription {
    /// Starts moving the messages of `subscriber` into `queue`.
    pub(crate) fn start(subscriber: async_nats::Subscriber, queue: QueueSender) -> Self {
        let (control, requests) = oneshot::channel();
        tokio::spawn(forward(subscriber, queue, requests));
        Self {
            control: Some(control),
        }
    }

    /// Unsubscribes; what the client already received still reaches the queue, then
    /// the queue ends.
    pub(crate) async fn drain(&mut self) -> Result<()> {
        let Some(control) = self.control.take() else {
            return Ok(());
        };
        let (answer, answered) = oneshot::channel();
        if control.send(answer).is_err() {
            // The task has ended: the subscription is over already.
            return Ok(());
        }
        answered.await.unwrap_or(Ok(()))
    }
}

enum Step {
    /// Messages to queue; the client's subscription ended after them if `ended`.
    Batch { ended: bool },
    /// The subscription asked for a drain.
    Drain(DrainRequest),
    /// The subscription was dropped.
    Dropped,
}

async fn forward(
    mut subscriber: async_nats::Subscriber,
    queue: QueueSender,
    requests: oneshot::Receiver<DrainRequest>,
) {
    let mut requests = Some(requests);
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let step = poll_fn(|cx| {
            if let Some(control) = requests.as_mut()
                && let Poll::Ready(request) = control.poll_unpin(cx)
            {
                requests = None;
                return Poll::Ready(request.map_or(Step::Dropped, Step::Drain));
            }
            while batch.len() < BATCH {
                match Pin::new(&mut subscriber).poll_next(cx) {
                    Poll::Ready(Some(message)) => batch.push(Message::from(message)),
                    Poll::Ready(None) => return Poll::Ready(Step::Batch { ended: true }),
                    Poll::Pending if batch.is_empty() => return Poll::Pending,
                    Poll::Pending => break,
                }
            }
            Poll::Ready(Step::Batch { ended: false })
        })
        .await;
        match step {
            Step::Batch { ended } => {
                if queue.send_all(&mut batch).is_err() || ended {
                    return;
                }
            }
            Step::Drain(answer) => {
                let _ = answer.send(core::drain(&mut subscriber).await);
            }
            // Dropping the client's subscriber unsubscribes.
            Step::Dropped => return,
        }
    }
}
