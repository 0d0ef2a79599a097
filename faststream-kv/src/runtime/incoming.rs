//! What a subscriber consumes: a subscription's messages, or a Key-Value watch's
//! entries turned into messages (subject = key, payload = value, the `Entry` attached).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::stream::{self, BoxStream};
use futures::{Stream, StreamExt};

use crate::broker::Subscription;
use crate::error::{Error, Result};
use crate::kv::{Watch, WatchEvent};
use crate::message::Message;

pub(crate) enum Incoming {
    Subscription(Subscription),
    KvWatch(BoxStream<'static, Message>),
}

impl Incoming {
    /// A watch's entries as messages. The end-of-initial-data marker carries nothing
    /// for a handler; errors are logged (the watch resumes by itself) and the stream
    /// ends with the watch.
    pub(crate) fn kv_watch(watch: Watch, handler: Arc<str>) -> Self {
        let messages = watch.filter_map(move |event| {
            let message = match event {
                Ok(WatchEvent::Entry(entry)) => {
                    let mut message = Message::new(entry.key(), entry.value().clone());
                    message.extensions_mut().insert(entry);
                    Some(message)
                }
                Ok(WatchEvent::EndOfInitialData) => None,
                Err(error) => {
                    tracing::warn!(handler = %handler, %error, "kv watch error");
                    None
                }
            };
            std::future::ready(message)
        });
        Incoming::KvWatch(messages.boxed())
    }

    /// Stops new messages; those already received are still yielded.
    pub(crate) async fn drain(&mut self) -> Result<()> {
        match self {
            Incoming::Subscription(subscription) => subscription.drain().await,
            Incoming::KvWatch(messages) => {
                *messages = stream::empty().boxed();
                Ok::<_, Error>(())
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
        }
    }
}
