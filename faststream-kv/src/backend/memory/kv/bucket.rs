//! One Key-Value bucket of the memory broker, modelled on a JetStream stream: every
//! write gets the next sequence number (its revision), each key keeps `history`
//! revisions, a purge rolls the key up to its marker, expired revisions leave a purge
//! marker when the bucket allows per-key TTLs, and watchers see writes in order. Each
//! revision counts against `max_bytes` what nats-server counts for the message it
//! stores (subject, headers, value and the store's per-message overhead).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use faststream_kv_subject::matches as filter_matches;
use futures::StreamExt;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::republish::{Publish, Republisher};
use crate::backend::memory::stored_size::stored_size;

use crate::error::{Error, Result};
use crate::kv::store::{Events, Start, Write};
use crate::kv::ttl::ttl_not_allowed;
use crate::kv::{self, Entry, Operation, WatchEvent};
use crate::wire;

pub(crate) struct MemoryBucket {
    name: Arc<str>,
    state: Mutex<State>,
    /// Set once, when the bucket is deleted (under the state's lock); read without it by
    /// the handles.
    deleted: AtomicBool,
    /// This bucket, for the tasks that expire its revisions later.
    this: Weak<MemoryBucket>,
    /// The broker's `max_payload`: headers and value of a write together.
    max_payload: usize,
    /// Publishes on the broker (the bucket's republish).
    publish: Publish,
}

struct State {
    config: kv::Config,
    last_sequence: u64,
    /// Stored revisions by sequence.
    records: BTreeMap<u64, Record>,
    /// Sequences of each key's stored revisions, oldest first.
    by_key: HashMap<Arc<str>, VecDeque<u64>>,
    bytes: u64,
    watchers: Vec<Watcher>,
    republisher: Option<Republisher>,
    /// Held for the tasks that copy the bucket's mirror or sources in: dropped (the
    /// bucket deleted or gone), they stop.
    replication_guards: Vec<oneshot::Sender<()>>,
}

/// A revision about to be stored.
struct Revision {
    operation: Operation,
    value: Bytes,
    created: SystemTime,
    /// Its own TTL, if it has one.
    ttl: Option<Duration>,
}

/// A stored revision and the bytes the server would count for it.
struct Record {
    entry: Entry,
    size: u64,
}

struct Watcher {
    /// The connection that opened the watch.
    connection: u64,
    /// Revisions before this one are not for it (a watch from a later revision).
    from: u64,
    filters: Vec<String>,
    meta_only: bool,
    sender: mpsc::UnboundedSender<WatchEvent>,
}

impl MemoryBucket {
    pub(crate) fn new(config: kv::Config, max_payload: usize, publish: Publish) -> Arc<Self> {
        Arc::new_cyclic(|this| Self {
            this: this.clone(),
            max_payload,
            deleted: AtomicBool::new(false),
            name: config.bucket.as_str().into(),
            state: Mutex::new(State {
                republisher: Republisher::new(&config, &publish),
                config,
                last_sequence: 0,
                records: BTreeMap::new(),
                by_key: HashMap::new(),
                bytes: 0,
                watchers: Vec::new(),
                replication_guards: Vec::new(),
            }),
            publish,
        })
    }

    pub(crate) fn config(&self) -> kv::Config {
        self.lock().config.clone()
    }

    /// Runs with `config` from now on; keys beyond a lower `history` lose their oldest
    /// revisions at once, as the server enforces a stream's new limits.
    pub(super) fn reconfigure(&self, config: kv::Config) {
        let mut state = self.lock();
        let keep = usize::from(config.history.max(1));
        state.republisher = Republisher::new(&config, &self.publish);
        state.config = config;
        let trimmed: Vec<u64> = state
            .by_key
            .values_mut()
            .flat_map(|sequences| {
                let excess = sequences.len().saturating_sub(keep);
                sequences.drain(..excess).collect::<Vec<_>>()
            })
            .collect();
        for sequence in trimmed {
            state.forget(sequence);
        }
    }

    /// Marks the bucket deleted: later calls fail, watches end.
    pub(crate) fn mark_deleted(&self) {
        let mut state = self.lock();
        // Under the lock, so that no write lands after it.
        self.deleted.store(true, Ordering::Release);
        state.watchers.clear();
        state.replication_guards.clear();
    }

    /// A receiver that completes when the bucket is deleted or gone (for a task that
    /// copies into it); `None` if it is deleted already.
    pub(super) fn until_deleted(&self) -> Option<oneshot::Receiver<()>> {
        let mut state = self.live().ok()?;
        let (guard, deleted) = oneshot::channel();
        state.replication_guards.push(guard);
        Some(deleted)
    }

    /// The bucket, for a task that outlives this call.
    pub(super) fn weak(&self) -> Weak<MemoryBucket> {
        self.this.clone()
    }

    pub(super) fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Acquire)
    }

    /// Ends the watches `connection` opened: dropping a watcher's sender ends its
    /// stream after what it queued.
    pub(super) fn end_watches_of(&self, connection: u64) {
        self.lock()
            .watchers
            .retain(|watcher| watcher.connection != connection);
    }

    pub(super) fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// The bucket this one mirrors, if it is a mirror.
    pub(super) fn mirror_origin(&self) -> Option<String> {
        let state = self.lock();
        Some(state.config.mirror.as_ref()?.bucket_name().to_owned())
    }

    pub(super) fn max_value_size(&self) -> Option<usize> {
        let size = self.lock().config.max_value_size?;
        usize::try_from(size).ok()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn live(&self) -> Result<MutexGuard<'_, State>> {
        let state = self.lock();
        if self.is_deleted() {
            return Err(Error::BucketNotFound {
                bucket: self.name.to_string(),
            });
        }
        Ok(state)
    }

    pub(super) fn read(&self, key: &str, revision: Option<u64>) -> Result<Option<Entry>> {
        let state = self.live()?;
        let sequence = match revision {
            Some(revision) => revision,
            None => match state.by_key.get(key).and_then(VecDeque::back) {
                Some(sequence) => *sequence,
                None => return Ok(None),
            },
        };
        Ok(state
            .records
            .get(&sequence)
            .map(|record| &record.entry)
            .filter(|entry| &*entry.key == key)
            .cloned())
    }

    pub(super) fn append_write(&self, key: &str, write: Write) -> Result<u64> {
        let mut state = self.live()?;
        let current = state
            .by_key
            .get(key)
            .and_then(VecDeque::back)
            .copied()
            .unwrap_or(0);
        if let Some(expected) = write.expected_revision
            && expected != current
        {
            return Err(Error::WrongRevision {
                bucket: self.name.to_string(),
                key: key.to_owned(),
                expected,
            });
        }
        if write.ttl_seconds.is_some() && state.config.key_ttl_markers.is_none() {
            return Err(ttl_not_allowed(&self.name));
        }
        let headers =
            wire::write_headers(write.operation, write.expected_revision, write.ttl_seconds);
        let revision = Revision {
            operation: write.operation,
            value: write.value,
            created: SystemTime::now(),
            ttl: write.ttl_seconds.map(Duration::from_secs),
        };
        self.store(&mut state, key, revision, wire::headers_wire_len(&headers))
    }

    /// Stores a copy of a revision of `origin`, which this bucket mirrors: under the
    /// origin's revision number, which later mirrored revisions keep growing. An entry
    /// at or below the bucket's last revision was copied already.
    pub(super) fn store_mirrored(&self, entry: &Entry) -> Result<()> {
        let mut state = self.live()?;
        if entry.revision <= state.last_sequence {
            return Ok(());
        }
        state.last_sequence = entry.revision - 1;
        self.store_copy(&mut state, &entry.key, entry)
    }

    /// Stores a copy of a revision of a source bucket under `key`, as the next revision.
    pub(super) fn store_sourced(&self, key: &str, entry: &Entry) -> Result<()> {
        let mut state = self.live()?;
        self.store_copy(&mut state, key, entry)
    }

    fn store_copy(
        &self,
        state: &mut MutexGuard<'_, State>,
        key: &str,
        entry: &Entry,
    ) -> Result<()> {
        let headers = wire::write_headers(entry.operation, None, None);
        let revision = Revision {
            operation: entry.operation,
            value: entry.value.clone(),
            created: entry.created,
            ttl: None,
        };
        self.store(state, key, revision, wire::headers_wire_len(&headers))
            .map(drop)
    }

    /// Stores `revision` of `key` with a header block of `header_len` bytes, if the
    /// broker's `max_payload` and the bucket's `max_bytes` allow it.
    fn store(
        &self,
        state: &mut MutexGuard<'_, State>,
        key: &str,
        revision: Revision,
        header_len: usize,
    ) -> Result<u64> {
        let message_size = header_len + revision.value.len();
        if message_size > self.max_payload {
            return Err(Error::PayloadTooLarge {
                size: message_size,
                max: self.max_payload,
            });
        }
        let size = state.stored_size(&self.name, key, header_len, &revision.value);
        if let Some(max) = state.config.max_bytes
            && state.bytes + size > max
        {
            return Err(Error::BucketFull {
                bucket: self.name.to_string(),
            });
        }
        let key: Arc<str> = state
            .by_key
            .get_key_value(key)
            .map_or_else(|| key.into(), |(key, _)| Arc::clone(key));
        let ttl = revision.ttl;
        let sequence = state.append(&self.name, key, revision, size);
        self.expire_later(state, sequence, ttl);
        Ok(sequence)
    }

    /// Removes the revisions of `key` but its newest `keep`.
    pub(super) fn purge_revisions(&self, key: &str, keep: u64) -> Result<()> {
        let mut state = self.live()?;
        let Some(sequences) = state.by_key.get_mut(key) else {
            return Ok(());
        };
        let keep = usize::try_from(keep).unwrap_or(usize::MAX);
        let purged: Vec<u64> = sequences
            .drain(..sequences.len().saturating_sub(keep))
            .collect();
        if sequences.is_empty() {
            state.by_key.remove(key);
        }
        for sequence in purged {
            state.forget(sequence);
        }
        Ok(())
    }

    /// Removes `sequence` when its TTL or the bucket's `max_age` runs out, whichever
    /// comes first (the server applies both).
    fn expire_later(&self, state: &State, sequence: u64, ttl: Option<Duration>) {
        let after = match (ttl, state.config.max_age) {
            (Some(ttl), Some(max_age)) => ttl.min(max_age),
            (ttl, max_age) => match ttl.or(max_age) {
                Some(after) => after,
                None => return,
            },
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let bucket = self.this.clone();
        let deadline = Instant::now() + after;
        runtime.spawn(async move {
            tokio::time::sleep_until(deadline).await;
            if let Some(bucket) = bucket.upgrade() {
                bucket.expire(sequence);
            }
        });
    }

    fn expire(&self, sequence: u64) {
        let mut state = self.lock();
        let Some(expired) = state.remove(sequence) else {
            return;
        };
        // An expired value that was its key's last revision leaves a purge marker (when
        // the bucket keeps markers); an expired marker leaves nothing.
        let was_last = !state.by_key.contains_key(&expired.key);
        if let Some(marker_ttl) = state.config.key_ttl_markers
            && was_last
            && expired.operation == Operation::Put
            && !self.is_deleted()
        {
            let headers = wire::expiry_marker_headers(marker_ttl.as_secs());
            let size = state.stored_size(
                &self.name,
                &expired.key,
                wire::headers_wire_len(&headers),
                &[],
            );
            let revision = Revision {
                operation: Operation::Purge,
                value: Bytes::new(),
                created: SystemTime::now(),
                ttl: None,
            };
            let marker = state.append(&self.name, expired.key, revision, size);
            self.expire_later(&state, marker, Some(marker_ttl));
        }
    }

    /// A watch of `connection` on the keys matching `filters`.
    pub(super) fn open_watch(
        &self,
        filters: &[String],
        start: Start,
        meta_only: bool,
        connection: u64,
    ) -> Result<Events> {
        let mut state = self.live()?;
        let matches = |key: &str| filters.iter().any(|filter| filter_matches(filter, key));
        let from = match start {
            Start::From(revision) => revision,
            Start::New | Start::All | Start::LastPerKey => 1,
        };
        let initial: Vec<u64> = match start {
            Start::New => Vec::new(),
            Start::All => state.sequences_from(1, &matches),
            Start::From(revision) => state.sequences_from(revision, &matches),
            Start::LastPerKey => {
                let mut last: Vec<u64> = state
                    .by_key
                    .iter()
                    .filter(|(key, _)| matches(key))
                    .filter_map(|(_, sequences)| sequences.back().copied())
                    .collect();
                last.sort_unstable();
                last
            }
        };
        let (sender, mut receiver) = mpsc::unbounded_channel();
        let remaining = initial.len() as u64;
        for (index, sequence) in initial.iter().enumerate() {
            if let Some(record) = state.records.get(sequence) {
                let mut entry = view(&record.entry, meta_only);
                entry.delta = remaining - 1 - index as u64;
                let _ = sender.send(WatchEvent::Entry(entry));
            }
        }
        let _ = sender.send(WatchEvent::EndOfInitialData);
        state.watchers.push(Watcher {
            connection,
            from,
            filters: filters.to_vec(),
            meta_only,
            sender,
        });
        // Initial entries carry their delta already; a live one gets the backlog behind it.
        let mut initial_events = initial.len() + 1;
        let events = futures::stream::poll_fn(move |cx| {
            receiver.poll_recv(cx).map(|event| {
                event.map(|mut event| {
                    if initial_events > 0 {
                        initial_events -= 1;
                    } else if let WatchEvent::Entry(entry) = &mut event {
                        entry.delta = receiver.len() as u64;
                    }
                    Ok(event)
                })
            })
        });
        Ok(events.boxed())
    }

    pub(crate) fn current_status(&self) -> Result<kv::Status> {
        let state = self.live()?;
        Ok(kv::Status {
            backing_store: kv::BACKING_STORE,
            config: state.config.clone(),
            values: state.records.len() as u64,
            bytes: state.bytes,
            last_revision: state.last_sequence,
        })
    }
}

impl State {
    /// What the server counts for a revision of `key` with a header block of `headers`
    /// bytes.
    fn stored_size(&self, bucket: &str, key: &str, headers: usize, value: &[u8]) -> u64 {
        let subject = "$KV.".len() + bucket.len() + 1 + key.len();
        stored_size(self.config.storage, subject, headers, value.len())
    }

    /// Stores a new revision of `size` bytes, applies history depth or purge rollup,
    /// tells watchers and republishes it.
    fn append(&mut self, bucket: &Arc<str>, key: Arc<str>, revision: Revision, size: u64) -> u64 {
        let previous = self.last_sequence;
        self.last_sequence += 1;
        let sequence = self.last_sequence;
        let operation = revision.operation;
        let entry = Entry {
            bucket: Arc::clone(bucket),
            key: Arc::clone(&key),
            value: revision.value,
            revision: sequence,
            delta: 0,
            created: revision.created,
            operation,
        };
        self.bytes += size;
        if let Some(republisher) = &self.republisher {
            republisher.stored(&entry, previous);
        }
        self.watchers.retain(|watcher| {
            if sequence < watcher.from
                || !watcher
                    .filters
                    .iter()
                    .any(|filter| filter_matches(filter, &key))
            {
                return !watcher.sender.is_closed();
            }
            let event = WatchEvent::Entry(view(&entry, watcher.meta_only));
            watcher.sender.send(event).is_ok()
        });
        self.records.insert(sequence, Record { entry, size });
        let sequences = self.by_key.entry(Arc::clone(&key)).or_default();
        sequences.push_back(sequence);
        let keep = if operation == Operation::Purge {
            1
        } else {
            usize::from(self.config.history.max(1))
        };
        let dropped: Vec<u64> = sequences
            .drain(..sequences.len().saturating_sub(keep))
            .collect();
        for old in dropped {
            self.forget(old);
        }
        sequence
    }

    /// Removes a stored revision (expiry): returns it.
    fn remove(&mut self, sequence: u64) -> Option<Entry> {
        let key = Arc::clone(&self.records.get(&sequence)?.entry.key);
        if let Some(sequences) = self.by_key.get_mut(&key) {
            sequences.retain(|stored| *stored != sequence);
            if sequences.is_empty() {
                self.by_key.remove(&key);
            }
        }
        self.forget(sequence)
    }

    fn forget(&mut self, sequence: u64) -> Option<Entry> {
        let record = self.records.remove(&sequence)?;
        self.bytes -= record.size;
        Some(record.entry)
    }

    fn sequences_from(&self, first: u64, matches: &dyn Fn(&str) -> bool) -> Vec<u64> {
        self.records
            .range(first..)
            .filter(|(_, record)| matches(&record.entry.key))
            .map(|(sequence, _)| *sequence)
            .collect()
    }
}

/// The entry as a watcher sees it (`meta_only` drops the value).
fn view(entry: &Entry, meta_only: bool) -> Entry {
    let mut entry = entry.clone();
    if meta_only {
        entry.value = Bytes::new();
    }
    entry
}
