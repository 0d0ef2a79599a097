//! A stream subscriber's messages: fetched from its consumer as workers free up, each
//! with its [`Acker`](crate::jetstream::Acker) in its extensions. A failed fetch is
//! logged and tried again after a growing pause; the messages end when the consumer
//! or its stream is gone. A drain stops fetching (letting a fetch under way finish) and
//! naks what was fetched and not handled, awaiting each nak, so that it is on its way
//! before the connection closes and the next instance gets those messages at once.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{FutureExt, Stream};

use super::workers::Workers;
use crate::error::{Error, Result};
use crate::jetstream::{Consumer, JsMessage};
use crate::message::Message;

/// The first pause after a failed fetch; it doubles up to [`MAX_FETCH_RETRY`].
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

pub(crate) struct Fetched {
    fetching: Fetching,
    buffer: VecDeque<JsMessage>,
    fetch: Option<BoxFuture<'static, Result<Vec<JsMessage>>>>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
    backoff: Duration,
    ended: bool,
}

impl Fetched {
    pub(crate) fn new(fetching: Fetching) -> Self {
        Self {
            fetching,
            buffer: VecDeque::new(),
            fetch: None,
            pause: None,
            backoff: Duration::ZERO,
            ended: false,
        }
    }

    /// Stops fetching; naks what was fetched and not handled. A fetch under way is
    /// awaited (it ends within its wait): dropped, what the server sends it would wait
    /// out the consumer's `ack_wait`.
    pub(crate) async fn drain(&mut self) {
        self.ended = true;
        if let Some(fetch) = self.fetch.take()
            && let Ok(messages) = fetch.await
        {
            self.buffer.extend(messages);
        }
        for message in self.buffer.drain(..) {
            if let Err(error) = message.nak(None).await {
                tracing::warn!(handler = %self.fetching.name, %error, "could not nak a message left unhandled");
            }
        }
    }

    /// A fetched message as a handler gets it.
    fn take(&self, message: JsMessage) -> Message {
        let (mut message, acker) = message.into_parts();
        if self.fetching.nak_when_dropped {
            acker.nak_when_dropped();
        }
        message.extensions_mut().insert(acker);
        message
    }

    /// A fetch of as many messages as workers are free (at least one).
    fn start_fetch(&mut self) -> BoxFuture<'static, Result<Vec<JsMessage>>> {
        let fetching = &self.fetching;
        let batch = fetching.workers.free().clamp(1, fetching.batch);
        let (consumer, max_wait) = (fetching.consumer.clone(), fetching.max_wait);
        async move { consumer.fetch(batch, max_wait).await }.boxed()
    }
}

impl Stream for Fetched {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let this = self.get_mut();
        loop {
            if let Some(message) = this.buffer.pop_front() {
                return Poll::Ready(Some(this.take(message)));
            }
            if this.ended {
                return Poll::Ready(None);
            }
            if let Some(pause) = &mut this.pause {
                ready!(pause.as_mut().poll(cx));
                this.pause = None;
            }
            let fetch = match &mut this.fetch {
                Some(fetch) => fetch,
                None => {
                    let fetch = this.start_fetch();
                    this.fetch.insert(fetch)
                }
            };
            let fetched = ready!(fetch.as_mut().poll(cx));
            this.fetch = None;
            match fetched {
                Ok(messages) => {
                    this.backoff = Duration::ZERO;
                    this.buffer.extend(messages);
                }
                Err(error @ (Error::ConsumerNotFound { .. } | Error::StreamNotFound { .. })) => {
                    tracing::error!(handler = %this.fetching.name, %error, "stream subscriber stopped");
                    this.ended = true;
                }
                Err(error) => {
                    this.backoff = (this.backoff * 2).clamp(FETCH_RETRY, MAX_FETCH_RETRY);
                    tracing::warn!(handler = %this.fetching.name, %error, retry_in = ?this.backoff, "fetch failed");
                    this.pause = Some(Box::pin(tokio::time::sleep(this.backoff)));
                }
            }
        }
    }
}
