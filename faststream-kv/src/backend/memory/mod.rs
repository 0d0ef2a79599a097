//! The embedded in-memory broker: NATS core semantics (subjects with `*` and `>`,
//! queue groups, request/reply with inboxes and "no responders", headers) inside the
//! process, for tests and for running an app without a server.

mod connection;
mod jetstream;
mod kv;
mod options;
mod recent_subjects;
mod stored_size;
mod subscription;
mod trie;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use async_nats::HeaderMap;
use bytes::Bytes;

use super::events::Events;
use super::pending_queue::{self, Owner, QueueReceiver, QueueSender};
use crate::error::{Error, Result};
use crate::jetstream::PublishAck;
use crate::message::Message;
use crate::pending::PendingLimits;
pub(crate) use connection::MemoryConnection;
use jetstream::Streams;
use kv::KvBuckets;
pub use options::MemoryOptions;
pub(crate) use subscription::MemorySubscription;
use trie::SubjectTrie;

/// Publishes a message on the broker that a bucket or a stream belongs to, as the
/// server publishes a republished entry or an advisory.
pub(crate) type Publish = Arc<dyn Fn(Message) + Send + Sync>;

/// Handle to one embedded broker (the server, not a connection to it); clones share it.
/// Clients reach it through [`MemoryConnection`]s.
#[derive(Clone)]
pub(crate) struct MemoryBroker {
    core: Arc<Core>,
}

struct Core {
    options: MemoryOptions,
    subscriptions: RwLock<SubjectTrie<Target>>,
    /// Ids of subscriptions and connections.
    next_id: AtomicU64,
    round_robin: AtomicUsize,
    kv: KvBuckets,
    streams: Streams,
}

struct Target {
    queue: Option<Box<str>>,
    sender: QueueSender,
    /// The connection that subscribed.
    connection: u64,
}

impl MemoryBroker {
    pub(crate) fn new(options: MemoryOptions) -> Self {
        let core = Arc::new_cyclic(|core: &Weak<Core>| {
            let core = core.clone();
            // A bucket's republish or a stream's advisory: published like any message,
            // lost like one when no one listens.
            let publish: Publish = Arc::new(move |message| {
                if let Some(core) = core.upgrade() {
                    let _ = MemoryBroker { core }.publish(message);
                }
            });
            Core {
                kv: KvBuckets::new(options.max_payload, publish.clone()),
                streams: Streams::new(options.max_payload, publish),
                options,
                subscriptions: RwLock::default(),
                next_id: AtomicU64::default(),
                round_robin: AtomicUsize::default(),
            }
        });
        Self { core }
    }

    /// Refuses a message larger than the broker's `max_payload`, as a server does.
    fn check_size(&self, size: usize) -> Result<()> {
        let max = self.core.options.max_payload;
        if size > max {
            return Err(Error::PayloadTooLarge { size, max });
        }
        Ok(())
    }

    /// Delivers a message to every matching subscription and to one member of each
    /// matching queue group, and to the stream storing its subject (which answers a
    /// reply subject with its acknowledgement, as a server's does). Returns how many
    /// received it. Subjects must already be validated.
    fn publish(&self, message: Message) -> Result<usize> {
        self.check_size(message.wire_size())?;
        let mut stored = 0;
        let streams = &self.core.streams;
        match message.reply_subject() {
            Some(reply) => {
                if let Some(answer) = streams.capture_answered(&message) {
                    let ack = Message::from_parts(reply.clone(), None, None.into(), answer);
                    stored = self.publish(ack)?.min(1);
                }
            }
            None => {
                // Stored without an answer, as by a server.
                let _ = streams.capture(&message);
            }
        }
        self.deliver(message).map(|delivered| delivered + stored)
    }

    /// Publishes to a stream: delivered like any message, and stored by the stream
    /// storing its subject, whose acknowledgement is returned.
    fn stream_publish(&self, message: Message) -> Result<PublishAck> {
        self.check_size(message.wire_size())?;
        let stored = self.core.streams.capture(&message);
        let subject = message.subject().to_owned();
        self.deliver(message)?;
        stored.unwrap_or(Err(Error::NoStream { subject }))
    }

    /// Delivers a message to the matching subscriptions.
    fn deliver(&self, message: Message) -> Result<usize> {
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

    /// A new id for a subscription or a connection.
    fn next_id(&self) -> u64 {
        self.core.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Subscribes `connection` to a (validated) subject, optionally in a queue group;
    /// its messages arrive in the receiver, up to `limits`.
    fn subscribe(
        &self,
        subject: &str,
        queue: Option<&str>,
        connection: u64,
        limits: PendingLimits,
        owner: Owner,
    ) -> (MemorySubscription, QueueReceiver) {
        let id = self.next_id();
        let (sender, receiver) = pending_queue::queue(limits, owner);
        let target = Target {
            queue: queue.map(Into::into),
            sender,
            connection,
        };
        self.core
            .subscriptions
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(subject, id, target);
        let subscription =
            MemorySubscription::new(id, subject.to_owned(), Arc::downgrade(&self.core));
        (subscription, receiver)
    }

    /// Publishes with a fresh inbox of `connection` as reply subject and waits for the
    /// first reply.
    async fn request(
        &self,
        subject: &str,
        headers: Option<HeaderMap>,
        payload: Bytes,
        timeout: Duration,
        connection: u64,
        events: &Events,
    ) -> Result<Message> {
        let inbox = format!("_INBOX.{}", nuid::next());
        let owner = Owner {
            label: inbox.as_str().into(),
            events: events.clone(),
        };
        let (_subscription, mut replies) =
            self.subscribe(&inbox, None, connection, PendingLimits::UNLIMITED, owner);
        let message =
            Message::from_parts(subject.into(), Some(inbox.into()), headers.into(), payload);
        if self.publish(message)? == 0 {
            return Err(Error::NoResponders {
                subject: subject.to_owned(),
            });
        }
        let reply = std::future::poll_fn(|cx| replies.poll_recv(cx));
        match tokio::time::timeout(timeout, reply).await {
            Ok(Some(reply)) => Ok(reply),
            Ok(None) => Err(Error::Closed),
            Err(_) => Err(Error::Timeout {
                subject: subject.to_owned(),
                timeout,
            }),
        }
    }

    /// The broker's streams.
    fn streams(&self) -> &Streams {
        &self.core.streams
    }

    /// The broker's Key-Value buckets.
    fn key_values(&self) -> &KvBuckets {
        &self.core.kv
    }

    /// Ends what `connection` had open: its subscriptions (each still yields what it
    /// received) and its Key-Value watches.
    fn disconnect(&self, connection: u64) {
        self.core
            .subscriptions
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|target| target.connection != connection);
        self.core.kv.end_watches_of(connection);
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
