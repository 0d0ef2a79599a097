//! The raw side's consumer: a hand-written async-nats subscription loop, as a user of
//! the bare client would write it. Each scenario gives the per-message work.

use std::future::Future;
use std::sync::Arc;

use async_nats::jetstream::kv::Store;
use futures::StreamExt;
use tokio::task::JoinHandle;

use super::raw_stock;
use crate::Result;
use crate::bench::Bench;
use crate::workload::{Counter, sync};

/// A running raw consumer; the loop stops when this is dropped.
pub(super) struct RawConsumer {
    /// The consumer's connection.
    pub(super) client: async_nats::Client,
    /// Counts the messages `handle` accepted.
    pub(super) counter: Arc<Counter>,
    task: JoinHandle<()>,
}

impl RawConsumer {
    /// Subscribes to `subject` on a new connection (known to the server when this
    /// returns) and runs `handle` on every message, with the bucket handle; each `true`
    /// counts one of `messages`.
    pub(super) async fn start<F, Fut>(
        bench: &Bench,
        subject: &'static str,
        messages: usize,
        handle: F,
    ) -> Result<Self>
    where
        F: Fn(async_nats::Message, Arc<Store>) -> Fut + Send + 'static,
        Fut: Future<Output = bool> + Send,
    {
        let client = bench.raw_client().await?;
        let stock = Arc::new(raw_stock(&client).await?);
        let counter = Arc::new(Counter::new(messages));
        let mut subscription = client.subscribe(subject).await?;
        sync(&client).await?;
        let task = {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                while let Some(message) = subscription.next().await {
                    if handle(message, Arc::clone(&stock)).await {
                        counter.hit();
                    }
                }
            })
        };
        Ok(Self {
            client,
            counter,
            task,
        })
    }
}

impl Drop for RawConsumer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
