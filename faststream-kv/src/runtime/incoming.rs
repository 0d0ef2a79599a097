//! What a subscriber consumes: a subscription's messages, or a Key-Value watch's
//! entries turned into messages (subject = key, payload = value, the `Entry` attached).

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures::future::{self, Either};
use futures::stream::{self, BoxStream};
use futures::{FutureExt, Stream, StreamExt};
use tokio::sync::watch;

use super::batching::Batched;
use super::fetching::Fetched;
use super::pushed::Pushed;
use super::workers::Workers;

use crate::broker::Subscription;
use crate::error::{Error, Result};
use crate::kv::{Watch, WatchEvent};
use crate::message::Message;

pub(crate) enum Incoming {
    Subscription(Subscription),
    KvWatch(BoxStream<'static, Message>),
    Stream(Box<Fetched>),
    Pushed(Box<Pushed>),
    /// A stream subscriber's messages in batches.
    Batched(Box<Batched>),
}

impl Incoming {
    /// A watch's entries as messages. The end-of-initial-data marker carries nothing
    /// for a handler: it marks the initial data `loaded` once the handlers of the
    /// entries before it are done. Errors are logged (the watch resumes by itself) and
    /// the stream ends with the watch.
    pub(crate) fn kv_watch(watch: Watch, handler: Arc<str>, loaded: InitialData) -> Self {
        let loaded = Arc::new(loaded);
        let messages = watch.filter_map(move |event| match event {
            Ok(WatchEvent::Entry(entry)) => {
                let mut message = Message::new(entry.key(), entry.value().clone());
                message.extensions_mut().insert(entry);
                Either::Left(future::ready(Some(message)))
            }
            Ok(WatchEvent::EndOfInitialData) => {
                Either::Right(Arc::clone(&loaded).mark().map(|()| None).boxed())
            }
            Err(error) => {
                tracing::warn!(handler = %handler, %error, "kv watch error");
                Either::Left(future::ready(None))
            }
        });
        Incoming::KvWatch(messages.boxed())
    }

    /// Stops new messages; those already received are still yielded (a stream
    /// subscriber's fetched and unhandled ones are nak'd, to go to another instance at
    /// once).
    pub(crate) async fn drain(&mut self) -> Result<()> {
        match self {
            Incoming::Subscription(subscription) => subscription.drain().await,
            Incoming::KvWatch(messages) => {
                *messages = stream::empty().boxed();
                Ok::<_, Error>(())
            }
            Incoming::Stream(fetched) => {
                fetched.drain().await;
                Ok(())
            }
            Incoming::Pushed(pushed) => {
                pushed.drain().await;
                Ok(())
            }
            Incoming::Batched(batched) => Box::pin(batched.inner_mut().drain()).await,
        }
    }
}

/// Where a `kv_watch` subscriber says that its initial data is handled.
pub(crate) struct InitialData {
    pub(crate) loaded: watch::Sender<bool>,
    /// The consume loop's workers: all idle means no handler is running.
    pub(crate) workers: Workers,
}

impl InitialData {
    /// Waits for the handlers still running, then marks the initial data loaded.
    async fn mark(self: Arc<Self>) {
        self.workers.idle().await;
        self.loaded.send_replace(true);
    }
}

impl Incoming {
    /// The next message if it is already there (or the end), without waiting and
    /// outside tokio's cooperative budget. `Pending` leaves no waker behind: the caller
    /// waits by polling the stream.
    #[inline]
    pub(crate) fn try_next(&mut self) -> Poll<Option<Message>> {
        match self {
            Incoming::Subscription(subscription) => subscription.try_next(),
            other => {
                let next = pin!(tokio::task::coop::unconstrained(other.next()));
                next.poll(&mut Context::from_waker(Waker::noop()))
            }
        }
    }
}

impl Stream for Incoming {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        match self.get_mut() {
            Incoming::Subscription(subscription) => Pin::new(subscription).poll_next(cx),
            Incoming::KvWatch(messages) => messages.as_mut().poll_next(cx),
            Incoming::Stream(fetched) => Pin::new(fetched).poll_next(cx),
            Incoming::Pushed(pushed) => Pin::new(pushed).poll_next(cx),
            Incoming::Batched(batched) => Pin::new(batched).poll_next(cx),
        }
    }
}
