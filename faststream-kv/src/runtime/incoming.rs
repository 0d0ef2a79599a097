//! What a subscriber consumes: a subscription's messages, or a Key-Value watch's
//! entries turned into messages (subject = key, payload = value, the `Entry` attached).

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::{self, Either};
use futures::stream::{self, BoxStream};
use futures::{FutureExt, Stream, StreamExt};
use tokio::sync::watch;

use super::workers::Workers;

use crate::broker::Subscription;
use crate::error::{Error, Result};
use crate::jetstream::{Consumer, JsMessage};
use crate::kv::{Watch, WatchEvent};
use crate::message::Message;

pub(crate) enum Incoming {
    Subscription(Subscription),
    KvWatch(BoxStream<'static, Message>),
    Stream(BoxStream<'static, Message>),
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

    /// A consumer's messages, fetched as workers free up, each with its [`Acker`] in
    /// its extensions. A failed fetch is logged and tried again; the stream ends when
    /// the consumer or its stream is gone.
    pub(crate) fn stream(fetching: Fetching) -> Self {
        let state = (fetching, VecDeque::new(), Duration::ZERO);
        let messages = stream::unfold(state, |(fetching, mut fetched, mut backoff)| async move {
            loop {
                if let Some(message) = fetched.pop_front() {
                    let message = fetching.take(message);
                    return Some((message, (fetching, fetched, backoff)));
                }
                let batch = fetching.workers.free().clamp(1, fetching.batch);
                match fetching.consumer.fetch(batch, fetching.max_wait).await {
                    Ok(messages) => {
                        backoff = Duration::ZERO;
                        fetched.extend(messages);
                    }
                    Err(
                        error @ (Error::ConsumerNotFound { .. } | Error::StreamNotFound { .. }),
                    ) => {
                        tracing::error!(handler = %fetching.name, %error, "stream subscriber stopped");
                        return None;
                    }
                    Err(error) => {
                        backoff = (backoff * 2).clamp(FETCH_RETRY, MAX_FETCH_RETRY);
                        tracing::warn!(handler = %fetching.name, %error, retry_in = ?backoff, "fetch failed");
                        tokio::time::sleep(backoff).await;
                    }
                }
            }
        });
        Incoming::Stream(messages.boxed())
    }

    /// Stops new messages; those already received are still yielded (a stream
    /// subscriber's fetched and unhandled ones are nak'd, to go to another instance at
    /// once).
    pub(crate) async fn drain(&mut self) -> Result<()> {
        match self {
            Incoming::Subscription(subscription) => subscription.drain().await,
            Incoming::KvWatch(messages) | Incoming::Stream(messages) => {
                *messages = stream::empty().boxed();
                Ok::<_, Error>(())
            }
        }
    }
}

/// The first wait after a failed fetch; it doubles up to [`MAX_FETCH_RETRY`].
const FETCH_RETRY: Duration = Duration::from_millis(100);
const MAX_FETCH_RETRY: Duration = Duration::from_secs(5);

/// How a stream subscriber fetches.
pub(crate) struct Fetching {
    pub(crate) consumer: Consumer,
    pub(crate) workers: Workers,
    pub(crate) batch: usize,
    pub(crate) max_wait: Duration,
    /// Whether a message dropped unsettled is nak'd (not for manual acks).
    pub(crate) nak_when_dropped: bool,
    pub(crate) name: Arc<str>,
}

impl Fetching {
    /// A fetched message as a handler gets it.
    fn take(&self, message: JsMessage) -> Message {
        let (mut message, acker) = message.into_parts();
        if self.nak_when_dropped {
            acker.nak_when_dropped();
        }
        message.extensions_mut().insert(acker);
        message
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

impl Stream for Incoming {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        match self.get_mut() {
            Incoming::Subscription(subscription) => Pin::new(subscription).poll_next(cx),
            Incoming::KvWatch(messages) | Incoming::Stream(messages) => {
                messages.as_mut().poll_next(cx)
            }
        }
    }
}
