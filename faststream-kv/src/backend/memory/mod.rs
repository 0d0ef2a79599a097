//! The embedded in-memory broker: NATS core semantics (subjects with `*` and `>`,
//! queue groups, request/reply with inboxes and "no responders", headers) inside the
//! process, for tests and for running an app without a server.

mod kv;
mod queue;
mod recent_subjects;
mod subscription;
mod trie;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use async_nats::HeaderMap;
use bytes::Bytes;
use futures::StreamExt;

use async_nats::Subject;

use crate::error::{Error, Result};
use crate::message::{Message, MessageHeaders};
use crate::wire::with_correlation_id;
use kv::KvBuckets;
use queue::QueueSender;
pub(crate) use subscription::MemorySubscription;
use trie::SubjectTrie;

/// Handle to one embedded broker; clones share it.
#[derive(Clone, Default)]
pub(crate) struct MemoryBroker {
    core: Arc<Core>,
}

#[derive(Default)]
struct Core {
    subscriptions: RwLock<SubjectTrie<Target>>,
    next_id: AtomicU64,
    round_robin: AtomicUsize,
    closed: AtomicBool,
    kv: KvBuckets,
}

struct Target {
    queue: Option<Box<str>>,
    sender: QueueSender,
}

impl MemoryBroker {
    /// Delivers a message to every matching subscription and to one member of each
    /// matching queue group. Returns how many subscriptions received it.
    /// Subjects must already be validated.
    pub(crate) fn publish(&self, message: Message) -> Result<usize> {
        self.check_open()?;
        let subscriptions = self
            .core
            .subscriptions
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        // Every recipient but the last gets a clone; the last gets the message itself
        // (a clone copies the headers the publisher set, if any).
        let mut delivered = 0;
        let mut last_plain: Option<&Target> = None;
        let mut groups: Vec<(&str, Vec<&Target>)> = Vec::new();
        subscriptions.for_each_match(message.subject(), |target| match &target.queue {
            None => {
                if let Some(previous) = last_plain.replace(target) {
                    delivered += usize::from(previous.sender.send(message.clone()).is_ok());
                }
            }
            Some(queue) => match groups.iter_mut().find(|(name, _)| *name == &**queue) {
                Some((_, members)) => members.push(target),
                None => groups.push((queue, vec![target])),
            },
        });
        let mut message = Some(message);
        let group_count = groups.len();
        for (index, (_, members)) in groups.into_iter().enumerate() {
            let last = last_plain.is_none() && index + 1 == group_count;
            let Some(mut letter) = take_or_clone(&mut message, last) else {
                break;
            };
            // A member whose receiver is gone is skipped, as the server would after UNSUB.
            let start = self.core.round_robin.fetch_add(1, Ordering::Relaxed);
            for offset in 0..members.len() {
                match members[(start + offset) % members.len()]
                    .sender
                    .send(letter)
                {
                    Ok(()) => {
                        delivered += 1;
                        break;
                    }
                    Err(returned) => letter = returned,
                }
            }
        }
        if let (Some(target), Some(message)) = (last_plain, message) {
            delivered += usize::from(target.sender.send(message).is_ok());
        }
        Ok(delivered)
    }

    /// Publishes a message built from its parts (no reply subject).
    pub(crate) fn publish_parts(
        &self,
        subject: Subject,
        headers: Option<HeaderMap>,
        payload: Bytes,
    ) -> Result<()> {
        let message = Message::from_parts(subject, None, headers.into(), payload);
        self.publish(message).map(drop)
    }

    /// Publishes with a `correlation_id` header: the one `headers` has, or a new one.
    /// Without other headers, the header map is built only if it is read (see
    /// [`MessageHeaders`]), and a subject published to again and again is shared.
    pub(crate) fn publish_correlated(
        &self,
        subject: &str,
        headers: Option<HeaderMap>,
        payload: Bytes,
    ) -> Result<()> {
        let headers = match headers {
            None => MessageHeaders::new_correlation_id(),
            Some(headers) => MessageHeaders::Map(with_correlation_id(Some(headers), None)),
        };
        let subject = recent_subjects::subject(subject);
        self.publish(Message::from_parts(subject, None, headers, payload))
            .map(drop)
    }

    /// Subscribes to a (validated) subject, optionally in a queue group.
    pub(crate) fn subscribe(
        &self,
        subject: &str,
        queue: Option<&str>,
    ) -> Result<MemorySubscription> {
        self.check_open()?;
        let id = self.core.next_id.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = queue::queue();
        let target = Target {
            queue: queue.map(Into::into),
            sender,
        };
        self.core
            .subscriptions
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(subject, id, target);
        Ok(MemorySubscription::new(
            id,
            subject.to_owned(),
            receiver,
            Arc::downgrade(&self.core),
        ))
    }

    /// Publishes with a fresh inbox as reply subject and waits for the first reply.
    pub(crate) async fn request(
        &self,
        subject: &str,
        headers: Option<HeaderMap>,
        payload: Bytes,
        timeout: Duration,
    ) -> Result<Message> {
        let inbox = format!("_INBOX.{}", nuid::next());
        let mut replies = self.subscribe(&inbox, None)?;
        let message =
            Message::from_parts(subject.into(), Some(inbox.into()), headers.into(), payload);
        if self.publish(message)? == 0 {
            return Err(Error::NoResponders {
                subject: subject.to_owned(),
            });
        }
        match tokio::time::timeout(timeout, replies.next()).await {
            Ok(Some(reply)) => Ok(reply),
            Ok(None) => Err(Error::Closed),
            Err(_) => Err(Error::Timeout {
                subject: subject.to_owned(),
                timeout,
            }),
        }
    }

    /// The broker's Key-Value buckets.
    pub(crate) fn key_values(&self) -> &KvBuckets {
        &self.core.kv
    }

    /// Refuses further publishes and subscriptions.
    pub(crate) fn close(&self) {
        self.core.closed.store(true, Ordering::Release);
        self.core.kv.end_watches();
    }

    fn check_open(&self) -> Result<()> {
        if self.core.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        Ok(())
    }
}

/// The message itself for its last use, a clone before.
fn take_or_clone(message: &mut Option<Message>, last: bool) -> Option<Message> {
    if last {
        message.take()
    } else {
        message.clone()
    }
}

impl Core {
    fn unsubscribe(&self, subject: &str, id: u64) {
        self.subscriptions
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(subject, id);
    }
}
