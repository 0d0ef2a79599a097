//! Lanes for `workers_by_key`: one per key with messages in flight, each running its
//! key's handlers one after the other, different keys' lanes at once.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use futures::future::BoxFuture;

use super::OrderingKey;
use crate::message::Message;
use crate::subject::Pattern;

/// A handled message's whole work (handler, reply, releasing its worker slot).
pub(super) type Job = BoxFuture<'static, ()>;

/// The keys with work in flight, and the work queued behind each key's running job.
/// A queued job holds its worker slot, so `max_workers` bounds what waits too.
#[derive(Clone)]
pub(super) struct Lanes {
    /// What keys the messages.
    key: OrderingKey,
    /// The subscriber's pattern, for a capture key.
    pattern: Pattern,
    queued: Arc<Mutex<HashMap<Box<str>, VecDeque<Job>>>>,
}

impl Lanes {
    pub(super) fn new(key: OrderingKey, pattern: Pattern) -> Self {
        Self {
            key,
            pattern,
            queued: Arc::default(),
        }
    }

    /// `message`'s key.
    pub(super) fn key_of<'m>(&self, message: &'m Message) -> &'m str {
        self.key.of(&self.pattern, message)
    }

    /// Runs `job` once the jobs of `key` before it are done.
    pub(super) fn run(&self, key: Box<str>, job: Job) {
        let mut queued = self.queued.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(waiting) = queued.get_mut(&key) {
            waiting.push_back(job);
            return;
        }
        queued.insert(key.clone(), VecDeque::new());
        drop(queued);
        tokio::spawn(self.clone().drive(key, job));
    }

    /// Runs `job`, then the jobs queued behind it, until its key has none left.
    async fn drive(self, key: Box<str>, mut job: Job) {
        loop {
            job.await;
            let mut queued = self.queued.lock().unwrap_or_else(PoisonError::into_inner);
            match queued.get_mut(&key).and_then(VecDeque::pop_front) {
                Some(next) => job = next,
                None => {
                    queued.remove(&key);
                    return;
                }
            }
        }
    }
}
