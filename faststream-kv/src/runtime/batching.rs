//! A batch handler's messages: what a stream subscriber's consumer delivered, up to the
//! batch size, gathered into one carrier message (see
//! [`BatchParts`](crate::jetstream::BatchParts)). A batch is what is there when a
//! handler is free, at least one message: nothing waits for a batch to fill.

use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};

use futures::{Stream, StreamExt};

use super::incoming::Incoming;
use crate::jetstream::BatchParts;
use crate::message::Message;

pub(crate) struct Batched {
    inner: Incoming,
    size: usize,
}

impl Batched {
    pub(crate) fn new(inner: Incoming, size: usize) -> Self {
        Self { inner, size }
    }

    /// Where the messages come from (to drain it).
    pub(crate) fn inner_mut(&mut self) -> &mut Incoming {
        &mut self.inner
    }
}

impl Stream for Batched {
    type Item = Message;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let Some(first) = ready!(self.inner.poll_next_unpin(cx)) else {
            return Poll::Ready(None);
        };
        let mut messages = vec![first];
        // What is there already: polled without the task's waker, which the next
        // batch's first poll registers again.
        let mut there = Context::from_waker(Waker::noop());
        while messages.len() < self.size {
            match self.inner.poll_next_unpin(&mut there) {
                Poll::Ready(Some(message)) => messages.push(message),
                Poll::Ready(None) | Poll::Pending => break,
            }
        }
        Poll::Ready(Some(BatchParts::carrier(messages)))
    }
}
