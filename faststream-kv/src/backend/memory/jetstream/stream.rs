//! One stream of the memory broker, kept as nats-server keeps it: each stored message
//! gets the next sequence; limits (count, bytes, age, per subject, message size) apply
//! with discard old or new; message ids are remembered for the duplicate window; a
//! publish's expectations (stream, last sequence, last subject sequence, last message
//! id) are checked before anything is stored. Expired messages are dropped whenever
//! the stream is used, on tokio's clock (so a paused clock runs them out too).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use async_nats::HeaderMap;
use bytes::Bytes;
use faststream_kv_subject::{contains, matches, overlaps};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::Publish;
use super::advisory::max_deliveries;
use super::consumer::{ConsumerState, Delivery, Messages};
use super::message_ttl::MessageTtl;

use crate::backend::memory::stored_size::stored_size;
use crate::backend_kind::BackendKind;
use crate::error::{Error, JsErrorCode, NatsOperation, Result, StreamLimit};
use crate::jetstream::store::{AckKind, Purge};
use crate::jetstream::{
    ConsumerAckPolicy, ConsumerConfig, ConsumerInfo, DeliverPolicy, Discard, LastSequenceOf,
    PublishAck, Retention, Rollup, SequencePair, StoredMessage, StreamConfig, StreamInfo,
    StreamState, header,
};
use crate::message::Message;
use crate::wire;

mod expiry;

/// The server's duplicate window when none is configured.
const DEFAULT_DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

pub(super) struct MemoryStream {
    name: String,
    state: Mutex<State>,
    /// Set once, under the state's lock, when the stream is deleted.
    deleted: AtomicBool,
    /// Wakes waiting fetches: a message was stored, or one is due again.
    changed: Notify,
    /// Publishes the stream's advisories on the broker.
    publish: Publish,
}

struct State {
    config: StreamConfig,
    created: SystemTime,
    last_sequence: u64,
    /// When the last message was stored; kept through purges, as the server does.
    last_time: Option<SystemTime>,
    records: BTreeMap<u64, Record>,
    /// Sequences stored per subject, oldest first.
    by_subject: HashMap<String, VecDeque<u64>>,
    bytes: u64,
    /// Message ids within the duplicate window: the sequence they were stored under.
    ids: HashMap<String, u64>,
    /// The same ids, oldest first, with when they stop counting.
    id_deadlines: VecDeque<(Instant, String)>,
    last_message_id: Option<String>,
    consumers: BTreeMap<String, ConsumerState>,
    /// When the messages with a TTL of their own expire, soonest first.
    ttl_deadlines: BTreeSet<(Instant, u64)>,
}

struct Record {
    message: StoredMessage,
    size: u64,
    stored_at: Instant,
    /// Its own TTL (`Nats-TTL`), if it has one.
    ttl: Option<MessageTtl>,
}

/// A publish as the stream reads it.
pub(crate) struct Incoming<'a> {
    pub(crate) subject: &'a str,
    pub(crate) headers: Option<&'a HeaderMap>,
    pub(crate) payload: &'a Bytes,
}

impl<'a> Incoming<'a> {
    /// `message` as published.
    pub(crate) fn of(message: &'a Message) -> Self {
        Self {
            subject: message.subject(),
            headers: message.headers(),
            payload: message.payload(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers?.get(name).map(|value| value.as_str())
    }
}

impl MemoryStream {
    pub(super) fn new(config: StreamConfig, publish: Publish) -> Self {
        Self {
            name: config.name.clone(),
            state: Mutex::new(State {
                config: resolved(config),
                created: SystemTime::now(),
                last_sequence: 0,
                last_time: None,
                records: BTreeMap::new(),
                by_subject: HashMap::new(),
                bytes: 0,
                ids: HashMap::new(),
                id_deadlines: VecDeque::new(),
                last_message_id: None,
                consumers: BTreeMap::new(),
                ttl_deadlines: BTreeSet::new(),
            }),
            deleted: AtomicBool::new(false),
            changed: Notify::new(),
            publish,
        }
    }

    pub(super) fn name(&self) -> &str {
        &self.name
    }

    pub(super) fn config(&self) -> StreamConfig {
        self.lock().config.clone()
    }

    /// Whether `config` names the configuration this stream runs with (a create with it
    /// again returns the stream).
    pub(super) fn runs_with(&self, config: &StreamConfig) -> bool {
        self.lock().config == resolved(config.clone())
    }

    /// Whether this stream stores `subject`.
    pub(super) fn stores(&self, subject: &str) -> bool {
        self.lock()
            .config
            .subjects
            .iter()
            .any(|filter| matches(filter, subject))
    }

    /// Runs with `config` from now on; its limits apply at once.
    pub(super) fn reconfigure(&self, config: StreamConfig) -> Result<()> {
        let mut state = self.live()?;
        let current = &state.config;
        let cannot = if current.storage != config.storage {
            Some("its storage cannot change")
        } else if (current.retention == Retention::WorkQueue)
            != (config.retention == Retention::WorkQueue)
        {
            Some("its retention cannot change to or from work queue")
        } else {
            None
        };
        if let Some(reason) = cannot {
            return Err(Error::StreamExists {
                stream: self.name.clone(),
                reason: reason.to_owned(),
            });
        }
        state.config = resolved(config);
        state.enforce_limits(None);
        Ok(())
    }

    pub(super) fn mark_deleted(&self) {
        let _state = self.lock();
        self.deleted.store(true, Ordering::Release);
        self.changed.notify_waiters();
    }

    pub(super) fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Acquire)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state with what has expired dropped, unless the stream is deleted.
    fn live(&self) -> Result<MutexGuard<'_, State>> {
        let mut state = self.lock();
        if self.is_deleted() {
            return Err(Error::StreamNotFound {
                stream: self.name.clone(),
            });
        }
        state.expire(Instant::now());
        Ok(state)
    }

    /// Stores a message published to one of the stream's subjects, as the server
    /// would, or says why not.
    pub(super) fn store(&self, incoming: &Incoming<'_>, max_payload: usize) -> Result<PublishAck> {
        let mut state = self.live()?;
        let subject = incoming.subject;
        if let Some(expected) = incoming.header(header::EXPECTED_STREAM)
            && expected != self.name
        {
            return Err(Error::WrongStream {
                subject: subject.to_owned(),
                expected: expected.to_owned(),
            });
        }
        // An empty `Nats-TTL` is none, as the server reads it.
        let ttl = (incoming.header(header::MESSAGE_TTL))
            .filter(|value| !value.is_empty())
            .map(MessageTtl::parse);
        if matches!(ttl, Some(Ok(_))) && !state.config.allow_msg_ttl {
            return Err(MessageTtl::disabled());
        }
        // In the server's order: the sequences before the message id, so that a
        // duplicate whose expectation fails is refused.
        state.check_last_sequences(incoming)?;
        let message_id = incoming.header(header::MESSAGE_ID).map(str::to_owned);
        if let Some(sequence) = message_id.as_ref().and_then(|id| state.ids.get(id)) {
            return Ok(self.ack(*sequence, true));
        }
        if let Some(expected) = incoming.header(header::EXPECTED_LAST_MESSAGE_ID)
            && state.last_message_id.as_deref() != Some(expected)
        {
            return Err(Error::WrongLastMessageId {
                subject: subject.to_owned(),
                expected: expected.to_owned(),
                found: state.last_message_id.clone(),
            });
        }
        let mut ttl = ttl.transpose()?;
        // With markers, a TTL is at least the markers' (a shorter one could expire
        // between a marker and its message), its header rewritten in seconds, as the
        // server does unless a subject keeps one message.
        let (raised, rewritten);
        let incoming = match (ttl, state.config.subject_delete_marker_ttl) {
            (Some(MessageTtl::After(own)), Some(marker))
                if own < marker && state.config.max_messages_per_subject != Some(1) =>
            {
                ttl = Some(MessageTtl::After(marker));
                let mut headers = incoming.headers.cloned().unwrap_or_default();
                headers.insert(header::MESSAGE_TTL, marker.as_secs().to_string().as_str());
                raised = headers;
                rewritten = Incoming {
                    headers: Some(&raised),
                    ..*incoming
                };
                &rewritten
            }
            _ => incoming,
        };
        let rollup = match incoming.header(header::ROLLUP) {
            None => None,
            Some(_) if !state.config.allow_rollup => {
                return Err(rollup_failed("rollup not permitted".to_owned()));
            }
            Some(header::ROLLUP_SUBJECT) => Some(Rollup::Subject),
            Some(header::ROLLUP_ALL) => Some(Rollup::All),
            Some(other) => {
                return Err(rollup_failed(format!("rollup value invalid: {other:?}")));
            }
        };
        let header_len = incoming.headers.map_or(0, wire::headers_wire_len);
        let message_size = header_len + incoming.payload.len();
        if message_size > max_payload {
            return Err(Error::PayloadTooLarge {
                size: message_size,
                max: max_payload,
            });
        }
        if let Some(max) = state.config.max_message_size
            && message_size > max as usize
        {
            return Err(Error::MessageTooLarge {
                stream: self.name.clone(),
                size: message_size,
                max,
            });
        }
        let size = stored_size(
            state.config.storage,
            subject.len(),
            header_len,
            incoming.payload.len(),
        );
        if state.config.discard == Discard::New
            && let Some(limit) = state.refuses_new(subject, size, rollup.is_some())
        {
            return Err(Error::StreamFull {
                stream: self.name.clone(),
                limit,
            });
        }
        let sequence = state.append(incoming, size, ttl, (Instant::now(), SystemTime::now()));
        if let Some(id) = message_id {
            state.remember(id, sequence);
        }
        state.appended(sequence, subject, rollup);
        self.changed.notify_waiters();
        Ok(self.ack(sequence, false))
    }

    fn ack(&self, sequence: u64, duplicate: bool) -> PublishAck {
        PublishAck {
            stream: self.name.clone(),
            sequence,
            duplicate,
        }
    }

    pub(super) fn info(&self) -> Result<StreamInfo> {
        let mut state = self.live()?;
        let now = Instant::now();
        // The server deletes an inactive ephemeral consumer when its threshold passes.
        state
            .consumers
            .retain(|_, consumer| !consumer.is_inactive(now));
        let consumers = state.consumers.len();
        let first = state.records.values().next();
        let first_sequence = match first {
            Some(first) => first.message.sequence,
            None if state.last_sequence == 0 => 0,
            None => state.last_sequence + 1,
        };
        let messages = state.records.len() as u64;
        Ok(StreamInfo {
            config: state.config.clone(),
            state: StreamState {
                messages,
                bytes: state.bytes,
                first_sequence,
                last_sequence: state.last_sequence,
                first_time: first.map(|first| first.message.time),
                last_time: state.last_time,
                subjects: state.by_subject.len() as u64,
                deleted: match first {
                    Some(_) => (state.last_sequence + 1 - first_sequence).saturating_sub(messages),
                    None => 0,
                },
                consumers,
            },
            created: state.created,
        })
    }

    pub(super) fn purge(&self, purge: &Purge) -> Result<u64> {
        let mut state = self.live()?;
        if state.config.deny_purge {
            return Err(Error::StreamDenies {
                stream: self.name.clone(),
                what: "purge",
            });
        }
        let matching: Vec<u64> = (state.records.iter())
            .filter(|(_, record)| {
                purge
                    .filter
                    .as_deref()
                    .is_none_or(|filter| matches(filter, &record.message.subject))
            })
            .map(|(sequence, _)| *sequence)
            .collect();
        // Either way the oldest ones: those before the sequence, or all but `keep`.
        let purged = match purge.before {
            Some(before) => matching.partition_point(|sequence| *sequence < before),
            None => {
                let keep = usize::try_from(purge.keep.unwrap_or(0)).unwrap_or(usize::MAX);
                matching.len().saturating_sub(keep)
            }
        };
        let (purged, kept) = matching.split_at(purged);
        for sequence in purged {
            state.remove(*sequence);
        }
        // Purged past its end, the stream is compacted: its sequences go on from there.
        if purge.filter.is_none()
            && let Some(before) = purge.before
        {
            state.last_sequence = state.last_sequence.max(before.saturating_sub(1));
        }
        state.move_consumers_past(purge.filter.as_deref(), kept);
        Ok(purged.len() as u64)
    }

    pub(super) fn message(&self, sequence: u64) -> Result<Option<StoredMessage>> {
        let state = self.live()?;
        Ok(state
            .records
            .get(&sequence)
            .map(|record| record.message.clone()))
    }

    pub(super) fn last_message(&self, filter: &str) -> Result<Option<StoredMessage>> {
        let state = self.live()?;
        let last = state.last_matching(filter);
        Ok(state
            .records
            .get(&last)
            .map(|record| record.message.clone()))
    }

    pub(super) fn subject_counts(&self, filter: &str) -> Result<BTreeMap<String, u64>> {
        let state = self.live()?;
        Ok((state.by_subject.iter())
            .filter(|(subject, _)| matches(filter, subject))
            .map(|(subject, sequences)| (subject.clone(), sequences.len() as u64))
            .collect())
    }

    pub(super) fn deleted_sequences(&self) -> Result<Vec<u64>> {
        let state = self.live()?;
        let Some(first) = state.records.keys().next() else {
            return Ok(Vec::new());
        };
        Ok((*first..=state.last_sequence)
            .filter(|sequence| !state.records.contains_key(sequence))
            .collect())
    }

    pub(super) fn delete_message(&self, sequence: u64) -> Result<bool> {
        let mut state = self.live()?;
        if state.config.deny_delete {
            return Err(Error::StreamDenies {
                stream: self.name.clone(),
                what: "delete",
            });
        }
        Ok(state.remove(sequence))
    }
}

impl MemoryStream {
    /// Creates a consumer (a `push` one or a pull one), or returns the durable one of
    /// that name (updated to `config` where the server allows); returns its name.
    pub(super) fn create_consumer(&self, config: &ConsumerConfig, push: bool) -> Result<String> {
        consumer_refusal(config)?;
        let mut state = self.live()?;
        let now = Instant::now();
        if state.config.retention == Retention::WorkQueue
            && let Some(reason) = work_queue_refusal(&state, config, push)
        {
            return Err(Error::WorkQueueConsumer {
                stream: self.name.clone(),
                reason: reason.to_owned(),
            });
        }
        let Some(name) = config.durable.clone() else {
            let name = nuid::next().to_string();
            let consumer = ConsumerState::new(config.clone(), push, &*state, now);
            state.consumers.insert(name.clone(), consumer);
            return Ok(name);
        };
        if let Some(existing) = state.consumers.get_mut(&name) {
            let refused = if existing.push != push {
                Some(if push {
                    "can not update pull consumer to push based"
                } else {
                    "can not update push consumer to pull based"
                })
            } else if existing.runs_with(config) {
                return Ok(name);
            } else {
                (existing.config.deliver != config.deliver)
                    .then_some("deliver policy can not be updated")
            };
            if let Some(reason) = refused {
                return Err(Error::ConsumerExists {
                    stream: self.name.clone(),
                    consumer: name,
                    reason: reason.to_owned(),
                });
            }
            existing.reconfigure(config.clone());
            return Ok(name);
        }
        let consumer = ConsumerState::new(config.clone(), push, &*state, now);
        state.consumers.insert(name.clone(), consumer);
        Ok(name)
    }

    /// Fails unless consumer `name` exists.
    pub(super) fn check_consumer(&self, name: &str) -> Result<()> {
        let mut state = self.live()?;
        state.consumer(&self.name, name).map(drop)
    }

    pub(super) fn delete_consumer(&self, name: &str) -> Result<()> {
        let mut state = self.live()?;
        state.consumer(&self.name, name)?;
        state.consumers.remove(name);
        // An interest stream keeps only what a remaining consumer still needs.
        if state.config.retention == Retention::Interest {
            let unneeded: Vec<u64> = (state.records.iter())
                .filter(|(sequence, record)| {
                    !(state.consumers.values())
                        .any(|consumer| consumer.holds(**sequence, &record.message.subject))
                })
                .map(|(sequence, _)| *sequence)
                .collect();
            for sequence in unneeded {
                state.remove(sequence);
            }
        }
        Ok(())
    }

    /// Up to `batch` deliveries of consumer `name`: those there now, or the first to
    /// come within `max_wait`.
    pub(super) async fn fetch(
        &self,
        name: &str,
        batch: usize,
        max_wait: Duration,
    ) -> Result<Vec<Fetched>> {
        let until = Instant::now() + max_wait;
        let mut waiting = None;
        loop {
            let changed = self.changed.notified();
            let mut changed = std::pin::pin!(changed);
            let mut given_up = Vec::new();
            let (taken, wake_at) = {
                let mut state = self.live()?;
                let now = Instant::now();
                let taken = state.take(&self.name, name, batch, now, &mut given_up)?;
                if !taken.is_empty() || now >= until {
                    (Some(taken), until)
                } else {
                    // Registered before the lock is released: no store goes unseen.
                    changed.as_mut().enable();
                    // A marker placed then is a message to deliver.
                    let marker = state.next_marker();
                    let consumer = state.consumers.get_mut(name);
                    let due = consumer.and_then(|consumer| {
                        consumer.pulled_until(until);
                        if waiting.is_none() {
                            consumer.waiting += 1;
                            waiting = Some(Waiting { stream: self, name });
                        }
                        consumer.next_deadline()
                    });
                    let wake = due.into_iter().chain(marker).min();
                    (None, wake.map_or(until, |wake| wake.min(until)))
                }
            };
            self.advise_max_deliveries(name, given_up);
            if let Some(taken) = taken {
                return Ok(taken);
            }
            tokio::select! {
                () = changed => {}
                () = tokio::time::sleep_until(wake_at) => {}
            }
        }
    }

    /// Settles `delivery` (stream and consumer sequence) of consumer `name`; a
    /// delivery it no longer waits for is ignored, as the server ignores it.
    pub(super) fn settle(&self, name: &str, delivery: SequencePair, kind: AckKind) -> Result<()> {
        let mut state = self.live()?;
        let now = Instant::now();
        let sequence = delivery.stream;
        let Some(consumer) = state.consumers.get_mut(name) else {
            return Ok(());
        };
        match kind {
            AckKind::Ack | AckKind::Term => {
                let was_full = consumer.is_full();
                let acknowledged = consumer.acknowledge(delivery);
                if !acknowledged.is_empty() {
                    for sequence in acknowledged {
                        state.acknowledged(sequence);
                    }
                    // A fetch waiting for room below `max_ack_pending` has it now.
                    if was_full {
                        self.changed.notify_waiters();
                    }
                }
            }
            AckKind::Nak(delay) => {
                consumer.nak(sequence, delay, now);
                self.changed.notify_waiters();
            }
            AckKind::Progress => consumer.in_progress(sequence, now),
        }
        Ok(())
    }

    /// Publishes the max-deliveries advisory of each message consumer `name` gave up
    /// on; called with the lock released, since a stream may store advisories.
    fn advise_max_deliveries(&self, name: &str, given_up: Vec<(u64, u64)>) {
        for (sequence, deliveries) in given_up {
            (self.publish)(max_deliveries(&self.name, name, sequence, deliveries));
        }
    }

    pub(super) fn consumer_info(&self, name: &str) -> Result<ConsumerInfo> {
        let mut given_up = Vec::new();
        let info = self.consumer_info_locked(name, &mut given_up);
        self.advise_max_deliveries(name, given_up);
        info
    }

    /// The info of consumer `name`, after it gave up on the deliveries whose wait ended
    /// after their `max_deliver`-th (added to `given_up`), as the server does when
    /// their wait ends.
    fn consumer_info_locked(
        &self,
        name: &str,
        given_up: &mut Vec<(u64, u64)>,
    ) -> Result<ConsumerInfo> {
        let mut state = self.live()?;
        state.consumer(&self.name, name)?;
        if let Some(consumer) = state.consumers.get_mut(name) {
            consumer.give_up_due(Instant::now(), given_up);
        }
        let state = &*state;
        let consumer = &state.consumers[name];
        Ok(ConsumerInfo {
            name: name.to_owned(),
            stream: self.name.clone(),
            config: consumer.config.clone(),
            pending: consumer.undelivered(state),
            ack_pending: consumer.pending.len() as u64,
            redelivered: consumer.redelivered(),
            ack_floor: consumer.ack_floor(),
            delivered: consumer.delivered(),
            waiting: consumer.waiting,
        })
    }
}

/// A fetch counted as a pull request waiting on consumer `name` while it lives.
struct Waiting<'a> {
    stream: &'a MemoryStream,
    name: &'a str,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(consumer) = self.stream.lock().consumers.get_mut(self.name) {
            consumer.waiting = consumer.waiting.saturating_sub(1);
        }
    }
}

/// A message handed to a fetch, with where it stands.
pub(super) struct Fetched {
    pub(super) message: StoredMessage,
    pub(super) delivery: Delivery,
    /// Messages of the consumer after it, not delivered yet.
    pub(super) pending: u64,
}

/// `config` with what the server fills in: the duplicate window, two minutes or the
/// stream's `max_age` if shorter.
fn resolved(mut config: StreamConfig) -> StreamConfig {
    let window = config.duplicate_window.unwrap_or(DEFAULT_DUPLICATE_WINDOW);
    config.duplicate_window = Some(config.max_age.map_or(window, |age| window.min(age)));
    // Markers carry a TTL and roll their subject up: the server turns both on.
    if config.subject_delete_marker_ttl.is_some() {
        config.allow_msg_ttl = true;
        config.allow_rollup = true;
        config.deny_purge = false;
    }
    config
}

/// Refuses what one memory broker cannot keep.
pub(super) fn check_supported(config: &StreamConfig) -> Result<()> {
    let what = if config.replicas > 1 {
        format!(
            "{} replicas (the memory broker is one node)",
            config.replicas
        )
    } else if config.name.starts_with("KV_")
        || config
            .subjects
            .iter()
            .any(|subject| subject.starts_with("$KV."))
    {
        // The memory broker keeps its buckets apart from its streams.
        format!("stream `{}` over Key-Value subjects", config.name)
    } else {
        return Ok(());
    };
    Err(Error::Unsupported {
        backend: BackendKind::Memory,
        what,
    })
}

impl Messages for State {
    fn subject_of(&self, sequence: u64) -> Option<&str> {
        self.records
            .get(&sequence)
            .map(|record| record.message.subject.as_str())
    }

    fn sequences_from(&self, from: u64) -> Box<dyn Iterator<Item = u64> + '_> {
        Box::new(self.records.range(from..).map(|(sequence, _)| *sequence))
    }

    fn last_sequence(&self) -> u64 {
        self.last_sequence
    }

    fn last_per_subject(&self) -> Vec<u64> {
        self.by_subject
            .values()
            .filter_map(|sequences| sequences.back().copied())
            .collect()
    }

    fn first_at_or_after(&self, time: SystemTime) -> Option<u64> {
        self.records
            .iter()
            .find(|(_, record)| record.message.time >= time)
            .map(|(sequence, _)| *sequence)
    }
}

impl State {
    /// Consumer `name`, unless it is gone (an ephemeral one left inactive too long is
    /// removed now).
    fn consumer(&mut self, stream: &str, name: &str) -> Result<&mut ConsumerState> {
        let now = Instant::now();
        if self
            .consumers
            .get(name)
            .is_some_and(|consumer| consumer.is_inactive(now))
        {
            self.consumers.remove(name);
        }
        self.consumers
            .get_mut(name)
            .ok_or_else(|| Error::ConsumerNotFound {
                stream: stream.to_owned(),
                consumer: name.to_owned(),
            })
    }

    /// After a purge of `filter` (everything without) that kept `kept`: the consumers
    /// reading only what it purged move past it, to the first message it kept (or past
    /// the last); those reading more forget what is gone. As the server's stream purge
    /// moves its consumers.
    fn move_consumers_past(&mut self, filter: Option<&str>, kept: &[u64]) {
        let end = self.last_sequence + 1;
        let first = self.records.keys().next().copied().unwrap_or(end);
        let start = match filter {
            Some(_) => kept.first().copied().unwrap_or(end),
            None => first,
        };
        let mut consumers = std::mem::take(&mut self.consumers);
        for consumer in consumers.values_mut() {
            let filters = &consumer.config.filter_subjects;
            let within = filter.is_none_or(|purged| {
                !filters.is_empty() && filters.iter().all(|ours| contains(purged, ours))
            });
            let overlapping = filter.is_some_and(|purged| {
                filters.is_empty() || filters.iter().any(|ours| overlaps(purged, ours))
            });
            if within {
                consumer.purged(start, &*self);
            } else if overlapping {
                consumer.purged(first, &*self);
            }
        }
        self.consumers = consumers;
    }

    /// The publish's expectations of a subject's and of the stream's last sequence,
    /// checked in that order.
    fn check_last_sequences(&self, incoming: &Incoming<'_>) -> Result<()> {
        let wrong = |of, expected: &str, found| {
            let expected = expected.parse().unwrap_or(u64::MAX);
            if expected == found {
                return Ok(());
            }
            Err(Error::WrongLastSequence {
                subject: incoming.subject.to_owned(),
                of,
                expected,
                found: Some(found),
            })
        };
        let other_subject = incoming.header(header::EXPECTED_LAST_SUBJECT);
        match incoming.header(header::EXPECTED_LAST_SUBJECT_SEQUENCE) {
            Some(expected) => {
                let filter = other_subject.unwrap_or(incoming.subject);
                let of = LastSequenceOf::Subject(filter.to_owned());
                wrong(of, expected, self.last_matching(filter))?;
            }
            None if other_subject.is_some() => {
                return Err(Error::JetStream {
                    operation: NatsOperation::StreamPublish,
                    code: JsErrorCode::STREAM_EXPECTED_LAST_SEQ_PER_SUBJECT_INVALID,
                    description: "missing sequence for expected last sequence per subject"
                        .to_owned(),
                });
            }
            None => {}
        }
        match incoming.header(header::EXPECTED_LAST_SEQUENCE) {
            Some(expected) => wrong(LastSequenceOf::Stream, expected, self.last_sequence),
            None => Ok(()),
        }
    }

    /// The sequence of the last message on a subject matching `filter` (0: none).
    fn last_matching(&self, filter: &str) -> u64 {
        let last = |sequences: &VecDeque<u64>| sequences.back().copied().unwrap_or(0);
        if !filter.contains(['*', '>']) {
            return self.by_subject.get(filter).map_or(0, last);
        }
        (self.by_subject.iter())
            .filter(|(subject, _)| matches(filter, subject))
            .map(|(_, sequences)| last(sequences))
            .max()
            .unwrap_or(0)
    }

    /// Up to `batch` deliveries of consumer `name`; the messages it gave up on at
    /// `max_deliver` meanwhile are added to `given_up`.
    fn take(
        &mut self,
        stream: &str,
        name: &str,
        batch: usize,
        now: Instant,
        given_up: &mut Vec<(u64, u64)>,
    ) -> Result<Vec<Fetched>> {
        self.consumer(stream, name)?;
        // Taken out for the call: it reads the stream's messages.
        let Some(mut consumer) = self.consumers.remove(name) else {
            return Ok(Vec::new());
        };
        let deliveries = consumer.take(&*self, batch, now, given_up);
        let mut pending = if deliveries.is_empty() {
            0
        } else {
            consumer.undelivered(&*self) + deliveries.len() as u64
        };
        let fetched = deliveries
            .into_iter()
            .filter_map(|delivery| {
                let message = self.records.get(&delivery.stream_sequence)?.message.clone();
                pending = pending.saturating_sub(1);
                Some(Fetched {
                    message,
                    delivery,
                    pending,
                })
            })
            .collect();
        self.consumers.insert(name.to_owned(), consumer);
        Ok(fetched)
    }

    /// A message a consumer acknowledged (or terminated): a work queue lets go of it,
    /// interest retention once no other consumer holds it.
    fn acknowledged(&mut self, sequence: u64) {
        let release = match self.config.retention {
            Retention::Limits => false,
            Retention::WorkQueue => true,
            Retention::Interest => match self.subject_of(sequence) {
                Some(subject) => !self
                    .consumers
                    .values()
                    .any(|consumer| consumer.holds(sequence, subject)),
                None => false,
            },
        };
        if release {
            self.remove(sequence);
        }
    }

    /// Stores `incoming` as it was at `stored_at` and `time` (now, unless the memory
    /// broker replays what the server did at that instant).
    fn append(
        &mut self,
        incoming: &Incoming<'_>,
        size: u64,
        ttl: Option<MessageTtl>,
        (stored_at, time): (Instant, SystemTime),
    ) -> u64 {
        self.last_sequence += 1;
        let sequence = self.last_sequence;
        let message = StoredMessage {
            subject: incoming.subject.to_owned(),
            sequence,
            headers: incoming.headers.cloned().unwrap_or_default(),
            payload: incoming.payload.clone(),
            time,
        };
        self.last_time = Some(message.time);
        self.records.insert(
            sequence,
            Record {
                message,
                size,
                stored_at,
                ttl,
            },
        );
        if let Some(MessageTtl::After(ttl)) = ttl {
            self.ttl_deadlines.insert((stored_at + ttl, sequence));
        }
        self.by_subject
            .entry(incoming.subject.to_owned())
            .or_default()
            .push_back(sequence);
        self.bytes += size;
        self.last_message_id = incoming.header(header::MESSAGE_ID).map(str::to_owned);
        sequence
    }

    fn remember(&mut self, id: String, sequence: u64) {
        let window = self
            .config
            .duplicate_window
            .unwrap_or(DEFAULT_DUPLICATE_WINDOW);
        self.id_deadlines
            .push_back((Instant::now() + window, id.clone()));
        self.ids.insert(id, sequence);
    }

    /// The limit at which a discard-new stream refuses a message of `size` on
    /// `subject`, if it does: its message or byte limit, unless the subject is at its
    /// own limit, so that the message replaces the subject's oldest (which, for the
    /// byte limit, must be no smaller), as the server's store decides; with
    /// `discard_new_per_subject`, a subject at its own limit refuses it unless it is a
    /// `rollup`.
    fn refuses_new(&self, subject: &str, size: u64, rollup: bool) -> Option<StreamLimit> {
        let oldest_on_subject = self
            .config
            .max_messages_per_subject
            .and_then(|max| {
                let stored = self.by_subject.get(subject)?;
                (stored.len() as u64 >= max).then(|| stored.front().copied())?
            })
            .and_then(|sequence| self.records.get(&sequence));
        if oldest_on_subject.is_some() && self.config.discard_new_per_subject && !rollup {
            return Some(StreamLimit::MessagesPerSubject);
        }
        let count = self.records.len() as u64 + 1;
        if self.config.max_messages.is_some_and(|max| count > max) && oldest_on_subject.is_none() {
            return Some(StreamLimit::Messages);
        }
        let over_bytes = self
            .config
            .max_bytes
            .is_some_and(|max| self.bytes + size > max);
        (over_bytes && oldest_on_subject.is_none_or(|oldest| oldest.size < size))
            .then_some(StreamLimit::Bytes)
    }

    /// Drops the oldest messages beyond the limits: of `subject` beyond its
    /// per-subject limit (every subject's, after a reconfigure), then of the stream.
    fn enforce_limits(&mut self, subject: Option<&str>) {
        if let Some(max) = self.config.max_messages_per_subject {
            let keep = usize::try_from(max).unwrap_or(usize::MAX);
            let subjects: Vec<String> = match subject {
                Some(subject) => vec![subject.to_owned()],
                None => self.by_subject.keys().cloned().collect(),
            };
            for subject in subjects {
                let excess: Vec<u64> = self
                    .by_subject
                    .get(&subject)
                    .map(|sequences| {
                        let excess = sequences.len().saturating_sub(keep);
                        sequences.iter().take(excess).copied().collect()
                    })
                    .unwrap_or_default();
                for sequence in excess {
                    self.remove(sequence);
                }
            }
        }
        loop {
            let over = self
                .config
                .max_messages
                .is_some_and(|max| self.records.len() as u64 > max)
                || self.config.max_bytes.is_some_and(|max| self.bytes > max);
            let Some(oldest) = over.then(|| self.records.keys().next().copied()).flatten() else {
                break;
            };
            self.remove(oldest);
        }
    }

    /// What follows a message's append: its rollup, interest retention (with no
    /// consumer interested, nothing is kept), the stream's limits.
    fn appended(&mut self, sequence: u64, subject: &str, rollup: Option<Rollup>) {
        match rollup {
            Some(Rollup::All) => self.remove_where(|stored| stored < sequence, None),
            Some(Rollup::Subject) => {
                self.remove_where(|stored| stored < sequence, Some(subject));
            }
            None => {}
        }
        if self.config.retention == Retention::Interest
            && !self
                .consumers
                .values()
                .any(|consumer| consumer.wants(subject))
        {
            self.remove(sequence);
        }
        self.enforce_limits(Some(subject));
    }

    fn remove_where(&mut self, removed: impl Fn(u64) -> bool, subject: Option<&str>) {
        let sequences: Vec<u64> = match subject {
            Some(subject) => self
                .by_subject
                .get(subject)
                .map(|sequences| sequences.iter().copied().collect())
                .unwrap_or_default(),
            None => self.records.keys().copied().collect(),
        };
        for sequence in sequences.into_iter().filter(|sequence| removed(*sequence)) {
            self.remove(sequence);
        }
    }

    fn remove(&mut self, sequence: u64) -> bool {
        let Some(record) = self.records.remove(&sequence) else {
            return false;
        };
        for consumer in self.consumers.values_mut() {
            consumer.removed(sequence);
        }
        self.bytes -= record.size;
        let subject = &record.message.subject;
        if let Some(sequences) = self.by_subject.get_mut(subject) {
            sequences.retain(|stored| *stored != sequence);
            if sequences.is_empty() {
                self.by_subject.remove(subject);
            }
        }
        true
    }
}

/// The server's refusal of a rollup (its wording in `description`).
fn rollup_failed(description: String) -> Error {
    Error::JetStream {
        operation: NatsOperation::StreamPublish,
        code: JsErrorCode::STREAM_ROLLUP_FAILED,
        description,
    }
}

/// What the server refuses of a consumer's configuration whatever its stream, in the
/// server's words: filters that contain one another, last-per-subject without one.
fn consumer_refusal(config: &ConsumerConfig) -> Result<()> {
    let refused = |code, description: &str| {
        Err(Error::JetStream {
            operation: NatsOperation::ConsumerCreate,
            code,
            description: description.to_owned(),
        })
    };
    if config.ack_policy == ConsumerAckPolicy::FlowControl {
        return Err(Error::Unsupported {
            backend: BackendKind::Memory,
            what: "a consumer with flow-controlled acknowledgements (stream sourcing)".to_owned(),
        });
    }
    let filters = &config.filter_subjects;
    for (outer, filter) in filters.iter().enumerate() {
        let contains_another = (filters.iter().enumerate())
            .any(|(inner, other)| inner != outer && contains(other, filter));
        if contains_another {
            return refused(
                JsErrorCode::CONSUMER_OVERLAPPING_SUBJECT_FILTERS,
                "consumer subject filters cannot overlap",
            );
        }
    }
    if config.deliver == DeliverPolicy::LastPerSubject && filters.is_empty() {
        return refused(
            JsErrorCode::CONSUMER_INVALID_POLICY,
            "consumer delivery policy is deliver last per subject, but optional filter subject is not set",
        );
    }
    Ok(())
}

fn work_queue_refusal(state: &State, config: &ConsumerConfig, push: bool) -> Option<&'static str> {
    match config.ack_policy {
        ConsumerAckPolicy::Explicit => {}
        ConsumerAckPolicy::None if !push => {
            return Some("consumer in pull mode requires explicit ack policy on workqueue stream");
        }
        _ => return Some("workqueue stream requires explicit ack"),
    }
    if config.deliver != DeliverPolicy::All {
        return Some("consumer must be deliver all on workqueue stream");
    }
    let mut others = state
        .consumers
        .iter()
        .filter(|(name, _)| config.durable.as_deref() != Some(name.as_str()))
        .map(|(_, other)| &other.config.filter_subjects)
        .peekable();
    if config.filter_subjects.is_empty() {
        return others
            .peek()
            .map(|_| "multiple non-filtered consumers not allowed on workqueue stream");
    }
    let mut overlapping = others.filter(|theirs| {
        theirs.is_empty()
            || (config.filter_subjects.iter())
                .any(|ours| theirs.iter().any(|subject| overlaps(ours, subject)))
    });
    overlapping
        .next()
        .map(|_| "filtered consumer not unique on workqueue stream")
}
