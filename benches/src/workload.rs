//! The work both sides do: a ~128-byte JSON order, a count of handled messages that
//! fails loudly when one is missing, a gate to hold handlers back, and the publisher.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::Result;

/// The message body: about 128 bytes of JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Order {
    /// Order id.
    pub id: u64,
    /// Product.
    pub sku: String,
    /// Quantity.
    pub qty: u32,
    /// Buyer.
    pub customer: String,
    /// Free text.
    pub note: String,
}

/// The reply to an order in the rpc scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Receipt {
    /// The order's id.
    pub id: u64,
    /// Accepted quantity.
    pub qty: u32,
    /// Status text.
    pub status: String,
}

impl Order {
    /// The sample order.
    pub fn sample() -> Self {
        Self {
            id: 4_242_424_242,
            sku: "sku-000123".into(),
            qty: 3,
            customer: "customer-42@example.com".into(),
            note: "leave at the door, ring twice please".into(),
        }
    }

    /// The order as JSON.
    pub fn payload() -> Bytes {
        Bytes::from(serde_json::to_vec(&Self::sample()).unwrap_or_default())
    }

    /// The receipt a handler answers with.
    pub fn receipt(&self) -> Receipt {
        Receipt {
            id: self.id,
            qty: self.qty,
            status: "accepted".into(),
        }
    }
}

/// Counts handled messages and wakes the waiter when the expected number is reached.
///
/// Aligned to its own cache lines: the count is written for every message, and whatever
/// an allocator put next to it would otherwise decide how much that costs.
#[repr(align(128))]
pub struct Counter {
    handled: AtomicUsize,
    expected: usize,
    done: Notify,
}

impl Counter {
    /// A counter expecting `expected` messages.
    pub fn new(expected: usize) -> Self {
        Self {
            handled: AtomicUsize::new(0),
            expected,
            done: Notify::new(),
        }
    }

    /// A counter for a framework handler to capture: a `&'static` is copied into each
    /// message's future, so counting costs the handler no reference-count traffic, as
    /// counting costs the raw loop none (it counts outside its handler). Counting is
    /// instrumentation, not the work compared. Leaked: one small allocation per run.
    pub fn leaked(expected: usize) -> &'static Self {
        Box::leak(Box::new(Self::new(expected)))
    }

    /// One message handled.
    pub fn hit(&self) {
        if self.handled.fetch_add(1, Ordering::AcqRel) + 1 == self.expected {
            self.done.notify_one();
        }
    }

    /// Waits until every expected message was handled; an error naming how many are
    /// missing if they do not all arrive before `deadline`.
    pub async fn wait(&self, deadline: Duration) -> Result<()> {
        if tokio::time::timeout(deadline, self.done.notified())
            .await
            .is_err()
        {
            let handled = self.handled.load(Ordering::Acquire);
            if handled < self.expected {
                return Err(format!(
                    "lost messages: {handled} of {} handled within {deadline:?}",
                    self.expected
                )
                .into());
            }
        }
        Ok(())
    }
}

/// Holds handlers back until opened.
#[derive(Default)]
pub struct Gate {
    open: AtomicBool,
    opened: Notify,
}

impl Gate {
    /// Returns at once when open, otherwise waits for [`open`](Self::open).
    pub async fn pass(&self) {
        while !self.open.load(Ordering::Acquire) {
            let opened = self.opened.notified();
            tokio::pin!(opened);
            // Registered before the check, so an `open` in between still wakes us.
            opened.as_mut().enable();
            if self.open.load(Ordering::Acquire) {
                break;
            }
            opened.await;
        }
    }

    /// Lets every waiting and later handler through.
    pub fn open(&self) {
        self.open.store(true, Ordering::Release);
        self.opened.notify_waiters();
    }
}

/// Publishes `count` copies of `payload` to `subject` and flushes.
pub async fn publish(
    client: &async_nats::Client,
    subject: &'static str,
    payload: &Bytes,
    count: usize,
) -> Result<()> {
    for _ in 0..count {
        client.publish(subject, payload.clone()).await?;
    }
    client.flush().await?;
    Ok(())
}

/// Messages per second for `count` messages in `elapsed`.
pub fn rate(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

/// Times `work`.
pub async fn timed(work: impl Future<Output = Result<()>>) -> Result<Duration> {
    let started = Instant::now();
    work.await?;
    Ok(started.elapsed())
}

/// Returns once the server has processed everything `client` sent so far (its
/// subscriptions included): async-nats's `flush` only empties the socket buffer, so a
/// message from another connection could still find no subscriber. A message to a fresh
/// inbox of this connection comes back only after the server read what came before it.
pub async fn sync(client: &async_nats::Client) -> Result<()> {
    use futures::StreamExt;
    let inbox = client.new_inbox();
    let mut echo = client.subscribe(inbox.clone()).await?;
    client.publish(inbox, Bytes::new()).await?;
    client.flush().await?;
    echo.next().await.ok_or("the connection closed")?;
    Ok(())
}
