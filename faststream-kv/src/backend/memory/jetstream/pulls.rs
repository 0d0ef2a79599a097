//! A subscriber's pulls from a memory consumer, as a server answers them: a request
//! waits until it has its batch or expires, and what the stream hands it goes to the
//! subscriber at once. The stream hands out only to a fetch being polled, so nothing is
//! taken for a request that nobody reads.

use std::collections::VecDeque;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::time::Instant;

use super::consumer_handle::MemoryConsumer;
use super::stream::Fetched;
use crate::error::Result;
use crate::jetstream::JsMessage;
use crate::jetstream::store::{Pulled, Pulls};

pub(super) struct MemoryPulls {
    consumer: MemoryConsumer,
    /// The requests waiting, oldest first: what each still wants and when it expires.
    requests: VecDeque<(usize, Instant)>,
    outstanding: usize,
    /// A fetch for what the requests want, until the oldest expires.
    fetch: Option<BoxFuture<'static, Result<Vec<Fetched>>>>,
    arrived: VecDeque<JsMessage>,
}

impl MemoryPulls {
    pub(super) fn new(consumer: MemoryConsumer) -> Self {
        Self {
            consumer,
            requests: VecDeque::new(),
            outstanding: 0,
            fetch: None,
            arrived: VecDeque::new(),
        }
    }

    /// Ends the requests that expired by `now`, as the server ends them.
    fn expire(&mut self, now: Instant) {
        while let Some(&(wanted, expires)) = self.requests.front()
            && expires <= now
        {
            self.requests.pop_front();
            self.outstanding -= wanted;
            self.fetch = None;
        }
    }

    /// Takes `fetched` in, the oldest requests served first.
    fn arrive(&mut self, fetched: Vec<Fetched>) {
        for fetched in fetched {
            if let Some((wanted, _)) = self.requests.front_mut() {
                *wanted -= 1;
                if *wanted == 0 {
                    self.requests.pop_front();
                }
            }
            self.outstanding = self.outstanding.saturating_sub(1);
            self.arrived.push_back(self.consumer.delivered(fetched));
        }
    }
}

impl Pulls for MemoryPulls {
    fn request(&mut self, batch: usize, expires: Duration) {
        self.requests.push_back((batch, Instant::now() + expires));
        self.outstanding += batch;
    }

    fn outstanding(&self) -> usize {
        self.outstanding
    }

    fn poll_pulled(&mut self, cx: &mut Context<'_>) -> Poll<Pulled> {
        loop {
            if let Some(message) = self.arrived.pop_front() {
                return Poll::Ready(Pulled::Message(message));
            }
            let now = Instant::now();
            self.expire(now);
            let Some(&(_, expires)) = self.requests.front() else {
                return Poll::Pending;
            };
            let fetch = self.fetch.get_or_insert_with(|| {
                let (consumer, batch) = (self.consumer.clone(), self.outstanding);
                async move { consumer.fetch_raw(batch, expires - now).await }.boxed()
            });
            match fetch.poll_unpin(cx) {
                Poll::Ready(Ok(fetched)) => {
                    self.fetch = None;
                    self.arrive(fetched);
                }
                Poll::Ready(Err(error)) => {
                    self.fetch = None;
                    self.requests.clear();
                    self.outstanding = 0;
                    return Poll::Ready(Pulled::Failed(error));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    fn end(&mut self) -> BoxFuture<'_, Vec<JsMessage>> {
        self.fetch = None;
        self.requests.clear();
        self.outstanding = 0;
        let left = self.arrived.drain(..).collect();
        Box::pin(std::future::ready(left))
    }
}
