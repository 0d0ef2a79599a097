//! A consumer of a memory stream, kept as nats-server keeps one: where it is in the
//! stream, which deliveries wait for an acknowledgement and until when, how often each
//! was delivered. The stream holds these under its lock and hands deliveries out
//! through [`ConsumerState::take`].

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use faststream_kv_subject::matches;
use tokio::time::Instant;

use crate::jetstream::{
    ConsumerAckPolicy, ConsumerConfig, DEFAULT_MAX_ACK_PENDING, DeliverPolicy, SequencePair,
};

/// How long nats-server keeps an ephemeral consumer nobody fetches from, by default.
const DEFAULT_INACTIVE_THRESHOLD: Duration = Duration::from_secs(5);

pub(super) struct ConsumerState {
    pub(super) config: ConsumerConfig,
    /// Whether it is a push consumer (which a server never turns into a pull one, nor
    /// the other way).
    pub(super) push: bool,
    /// Stream sequences of the last message per subject, for `LastPerSubject`, still to
    /// be delivered before `next`.
    initial: VecDeque<u64>,
    /// The next stream sequence to deliver for the first time.
    next: u64,
    /// The last delivery's consumer sequence.
    consumer_sequence: u64,
    /// The last stream sequence delivered for the first time, or the one before where
    /// it starts (the server's `delivered.stream_seq`): it stays when a fetch finds
    /// nothing, unlike `next`.
    delivered_stream: u64,
    /// Pull requests waiting on it now.
    pub(super) waiting: u64,
    /// Deliveries waiting for an acknowledgement, by stream sequence.
    pub(super) pending: BTreeMap<u64, Pending>,
    /// Messages given up on at `max_deliver`, with how often each was delivered: the
    /// server counts them as redelivered until acknowledged or purged.
    exhausted: BTreeMap<u64, u64>,
    /// The ack floor (consumer and stream sequence), moved as nats-server moves it:
    /// see [`move_floor`](Self::move_floor).
    floor: SequencePair,
    last_active: Instant,
}

pub(super) struct Pending {
    /// How many times it was delivered.
    pub(super) deliveries: u64,
    /// The consumer sequence of its first delivery, which the server keeps through
    /// redeliveries and moves the ack floor by.
    first_delivery: u64,
    /// When it is delivered again unless acknowledged.
    deadline: Instant,
}

/// One message handed to a fetch.
pub(super) struct Delivery {
    pub(super) stream_sequence: u64,
    pub(super) consumer_sequence: u64,
    pub(super) deliveries: u64,
}

/// What a consumer needs of the stream's messages: their sequences and subjects.
pub(super) trait Messages {
    fn subject_of(&self, sequence: u64) -> Option<&str>;
    /// Sequences at or after `from`, in order.
    fn sequences_from(&self, from: u64) -> Box<dyn Iterator<Item = u64> + '_>;
    fn last_sequence(&self) -> u64;
    /// The newest sequence of each subject.
    fn last_per_subject(&self) -> Vec<u64>;
    /// The first sequence stored at or after `time`.
    fn first_at_or_after(&self, time: std::time::SystemTime) -> Option<u64>;
}

impl ConsumerState {
    /// A consumer starting where `config.deliver` says in `messages`.
    pub(super) fn new(
        config: ConsumerConfig,
        push: bool,
        messages: &dyn Messages,
        now: Instant,
    ) -> Self {
        let config = resolved(config);
        let last = messages.last_sequence();
        let mut initial = VecDeque::new();
        let next = match config.deliver {
            DeliverPolicy::All => 1,
            // A filtered one from the last message it would deliver, as the server.
            DeliverPolicy::Last if !config.filter_subjects.is_empty() => messages
                .last_per_subject()
                .into_iter()
                .filter(|sequence| {
                    (messages.subject_of(*sequence))
                        .is_some_and(|subject| filters_match(&config, subject))
                })
                .max()
                .unwrap_or(last + 1),
            DeliverPolicy::Last => last.max(1),
            DeliverPolicy::New => last + 1,
            DeliverPolicy::ByStartSequence(sequence) => sequence.max(1),
            DeliverPolicy::ByStartTime(time) => {
                messages.first_at_or_after(time).unwrap_or(last + 1)
            }
            DeliverPolicy::LastPerSubject => {
                let mut sequences = messages.last_per_subject();
                sequences.sort_unstable();
                initial = sequences.into_iter().collect();
                last + 1
            }
        };
        let delivered_stream = match config.deliver {
            DeliverPolicy::LastPerSubject => 0,
            _ => next - 1,
        };
        let mut state = Self {
            config: config.clone(),
            push,
            initial,
            next,
            consumer_sequence: 0,
            delivered_stream,
            waiting: 0,
            pending: BTreeMap::new(),
            exhausted: BTreeMap::new(),
            floor: SequencePair {
                consumer: 0,
                stream: delivered_stream,
            },
            last_active: now,
        };
        state.initial.retain(|sequence| {
            messages
                .subject_of(*sequence)
                .is_some_and(|subject| filters_match(&state.config, subject))
        });
        state
    }

    /// Takes a changed configuration (what the server lets a durable change).
    pub(super) fn reconfigure(&mut self, config: ConsumerConfig) {
        self.config = resolved(config);
    }

    /// Whether `config` is this consumer's configuration.
    pub(super) fn runs_with(&self, config: &ConsumerConfig) -> bool {
        self.config == resolved(config.clone())
    }

    /// Whether an ephemeral consumer was left alone longer than its threshold.
    pub(super) fn is_inactive(&self, now: Instant) -> bool {
        self.config.durable.is_none()
            && self
                .config
                .inactive_threshold
                .is_some_and(|threshold| self.last_active + threshold <= now)
    }

    /// A pull waits on it until `until`: the server counts it inactive only from then.
    pub(super) fn pulled_until(&mut self, until: Instant) {
        self.last_active = self.last_active.max(until);
    }

    pub(super) fn wants(&self, subject: &str) -> bool {
        filters_match(&self.config, subject)
    }

    /// Whether this consumer still has a use for message `sequence` on `subject`: not
    /// delivered yet, or delivered and not acknowledged.
    pub(super) fn holds(&self, sequence: u64, subject: &str) -> bool {
        self.pending.contains_key(&sequence) || (sequence >= self.next && self.wants(subject))
    }

    /// Up to `batch` deliveries: those due again first, then new ones while the
    /// consumer's `max_ack_pending` allows. A message due again after its
    /// `max_deliver`-th delivery is given up on instead, and added to `given_up` with
    /// its delivery count (once: the server's max-deliveries advisory).
    pub(super) fn take(
        &mut self,
        messages: &dyn Messages,
        batch: usize,
        now: Instant,
        given_up: &mut Vec<(u64, u64)>,
    ) -> Vec<Delivery> {
        self.last_active = self.last_active.max(now);
        self.give_up_due(now, given_up);
        let mut taken = Vec::new();
        let due: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, pending)| pending.deadline <= now)
            .map(|(sequence, _)| *sequence)
            .collect();
        for sequence in due {
            if taken.len() == batch {
                return taken;
            }
            taken.push(self.deliver(sequence, now));
        }
        while taken.len() < batch && !self.is_full() {
            let Some(sequence) = self.next_new(messages) else {
                break;
            };
            taken.push(self.deliver(sequence, now));
        }
        taken
    }

    /// Gives up on the deliveries whose wait ran out after their `max_deliver`-th
    /// delivery, adding each to `given_up` with its delivery count (the server's
    /// max-deliveries advisory). As the server (2.15) does when their wait ends, with
    /// or without a pull: they stop waiting for an acknowledgement and count as
    /// redelivered, and the ack floor stays where it is.
    pub(super) fn give_up_due(&mut self, now: Instant, given_up: &mut Vec<(u64, u64)>) {
        let Some(max_deliver) = self.config.max_deliver else {
            return;
        };
        let exhausted: Vec<(u64, u64)> = self
            .pending
            .iter()
            .filter(|(_, pending)| pending.deadline <= now && pending.deliveries >= max_deliver)
            .map(|(sequence, pending)| (*sequence, pending.deliveries))
            .collect();
        for (sequence, deliveries) in exhausted {
            self.pending.remove(&sequence);
            self.exhausted.insert(sequence, deliveries);
            given_up.push((sequence, deliveries));
        }
    }

    /// Whether as many deliveries wait for an acknowledgement as `max_ack_pending`
    /// allows.
    pub(super) fn is_full(&self) -> bool {
        self.config
            .max_ack_pending
            .is_some_and(|max| self.pending.len() as u64 >= max)
    }

    /// The next message never delivered, if there is one (and moves past it).
    fn next_new(&mut self, messages: &dyn Messages) -> Option<u64> {
        while let Some(sequence) = self.initial.pop_front() {
            if messages.subject_of(sequence).is_some() {
                self.delivered_stream = self.delivered_stream.max(sequence);
                return Some(sequence);
            }
        }
        let found = messages.sequences_from(self.next).find(|sequence| {
            messages
                .subject_of(*sequence)
                .is_some_and(|subject| filters_match(&self.config, subject))
        });
        match found {
            Some(sequence) => {
                self.next = sequence + 1;
                self.delivered_stream = sequence;
                Some(sequence)
            }
            None => {
                self.next = self.next.max(messages.last_sequence() + 1);
                None
            }
        }
    }

    fn deliver(&mut self, sequence: u64, now: Instant) -> Delivery {
        self.consumer_sequence += 1;
        // Nothing to wait for: delivered is acknowledged.
        if self.config.ack_policy == ConsumerAckPolicy::None {
            self.floor = SequencePair {
                consumer: self.consumer_sequence,
                stream: sequence,
            };
            return Delivery {
                stream_sequence: sequence,
                consumer_sequence: self.consumer_sequence,
                deliveries: 1,
            };
        }
        let pending = self.pending.entry(sequence).or_insert(Pending {
            deliveries: 0,
            first_delivery: self.consumer_sequence,
            deadline: now,
        });
        pending.deliveries += 1;
        let deliveries = pending.deliveries;
        let wait = self.ack_wait(deliveries);
        if let Some(pending) = self.pending.get_mut(&sequence) {
            pending.deadline = now + wait;
        }
        Delivery {
            stream_sequence: sequence,
            consumer_sequence: self.consumer_sequence,
            deliveries,
        }
    }

    /// How long the `deliveries`-th delivery waits for its acknowledgement: with a
    /// backoff, its step (the last repeats), else `ack_wait`.
    fn ack_wait(&self, deliveries: u64) -> Duration {
        match self.config.backoff.as_slice() {
            [] => self.config.ack_wait,
            steps => {
                let index = usize::try_from(deliveries.saturating_sub(1)).unwrap_or(usize::MAX);
                steps[index.min(steps.len() - 1)]
            }
        }
    }

    /// Settles `delivery` (its stream sequence and consumer sequence), as the server
    /// processes an acknowledgement: the stream sequences that stopped waiting for one
    /// (with ack policy all, every one up to it).
    pub(super) fn acknowledge(&mut self, delivery: SequencePair) -> Vec<u64> {
        let sequence = delivery.stream;
        match self.config.ack_policy {
            ConsumerAckPolicy::None => Vec::new(),
            ConsumerAckPolicy::All | ConsumerAckPolicy::FlowControl => {
                if delivery.consumer <= self.floor.consumer || sequence <= self.floor.stream {
                    return Vec::new();
                }
                self.floor = delivery;
                self.exhausted.retain(|exhausted, _| *exhausted > sequence);
                let mut rest = self.pending.split_off(&(sequence + 1));
                std::mem::swap(&mut rest, &mut self.pending);
                rest.into_keys().collect()
            }
            ConsumerAckPolicy::Explicit => {
                self.exhausted.remove(&sequence);
                let Some(pending) = self.pending.remove(&sequence) else {
                    return Vec::new();
                };
                self.move_floor(SequencePair {
                    consumer: pending.first_delivery,
                    stream: sequence,
                });
                vec![sequence]
            }
        }
    }

    /// Message `sequence` left the stream (a limit, a delete): a delivery waiting for
    /// it is settled as if terminated, as the server does.
    pub(super) fn removed(&mut self, sequence: u64) {
        let first_delivery = self
            .pending
            .get(&sequence)
            .map(|pending| pending.first_delivery);
        match first_delivery {
            Some(consumer) => {
                self.acknowledge(SequencePair {
                    consumer,
                    stream: sequence,
                });
            }
            None => {
                self.exhausted.remove(&sequence);
            }
        }
    }

    /// Moves the ack floor after delivery `acked` was acknowledged, as nats-server
    /// does: to the last delivery once nothing waits; else only when `acked` was the
    /// delivery right above the floor, then up to the next one waiting. So an
    /// acknowledgement out of order leaves the floor where it is.
    fn move_floor(&mut self, acked: SequencePair) {
        if self.pending.is_empty() {
            self.floor = self.delivered();
        } else if acked.consumer == self.floor.consumer + 1 {
            self.floor = acked;
            if let Some((sequence, next)) = self.pending.range(acked.stream + 1..).next() {
                self.floor = SequencePair {
                    consumer: next.first_delivery - 1,
                    stream: sequence - 1,
                };
            }
        }
    }

    /// The stream purged what this consumer reads below `start`: it moves past it, and
    /// forgets the deliveries of messages gone, moving its ack floor above them (as the
    /// server's consumer purge does). A consumer reading more than was purged gets
    /// the stream's first sequence as `start`.
    pub(super) fn purged(&mut self, start: u64, messages: &dyn Messages) {
        self.next = self.next.max(start);
        self.delivered_stream = self.delivered_stream.max(start.saturating_sub(1));
        let gone = |sequence: u64| sequence < start || messages.subject_of(sequence).is_none();
        self.initial.retain(|sequence| !gone(*sequence));
        self.exhausted.retain(|sequence, _| !gone(*sequence));
        // The server moves the floor only when the purge reached above it.
        let raise = self.floor.stream < start;
        if raise {
            self.floor.stream = start - 1;
        }
        let floor = &mut self.floor;
        self.pending.retain(|sequence, pending| {
            let forgotten = gone(*sequence);
            if forgotten && raise {
                floor.consumer = floor.consumer.max(pending.first_delivery);
            }
            !forgotten
        });
        if self.pending.is_empty() {
            self.floor = self.delivered();
        }
    }

    /// Delivers `sequence` again: at once, or after `delay`. As the server does, a
    /// delay is counted as if the delivery had been made `delay` minus `ack_wait`
    /// from now, so with a backoff the wait is `delay` plus this delivery's step
    /// minus `ack_wait` (a delay of `ack_wait` follows the backoff).
    pub(super) fn nak(&mut self, sequence: u64, delay: Option<Duration>, now: Instant) {
        let Some(pending) = self.pending.get(&sequence) else {
            return;
        };
        let wait = match delay {
            None => Duration::ZERO,
            Some(delay) => {
                (delay + self.ack_wait(pending.deliveries)).saturating_sub(self.config.ack_wait)
            }
        };
        if let Some(pending) = self.pending.get_mut(&sequence) {
            pending.deadline = now + wait;
        }
    }

    /// Work on `sequence` goes on: its wait (its backoff step) starts again.
    pub(super) fn in_progress(&mut self, sequence: u64, now: Instant) {
        let Some(deliveries) = self
            .pending
            .get(&sequence)
            .map(|pending| pending.deliveries)
        else {
            return;
        };
        let wait = self.ack_wait(deliveries);
        if let Some(pending) = self.pending.get_mut(&sequence) {
            pending.deadline = now + wait;
        }
    }

    /// The earliest redelivery, to wake a fetch that waits.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.pending.values().map(|pending| pending.deadline).min()
    }

    /// Messages matching the consumer that it has not delivered yet.
    pub(super) fn undelivered(&self, messages: &dyn Messages) -> u64 {
        let initial = self.initial.len() as u64;
        let rest = messages
            .sequences_from(self.next)
            .filter(|sequence| {
                messages
                    .subject_of(*sequence)
                    .is_some_and(|subject| filters_match(&self.config, subject))
            })
            .count() as u64;
        initial + rest
    }

    /// The ack floor: the consumer and stream sequence up to which everything was
    /// acknowledged, as the server reports it.
    pub(super) fn ack_floor(&self) -> SequencePair {
        self.floor
    }

    /// The last delivery's consumer sequence and the last stream sequence delivered.
    pub(super) fn delivered(&self) -> SequencePair {
        SequencePair {
            consumer: self.consumer_sequence,
            stream: self.delivered_stream,
        }
    }

    pub(super) fn redelivered(&self) -> u64 {
        let pending = self.pending.values().map(|pending| pending.deliveries);
        pending
            .chain(self.exhausted.values().copied())
            .filter(|deliveries| *deliveries > 1)
            .count() as u64
    }
}

fn filters_match(config: &ConsumerConfig, subject: &str) -> bool {
    config.filter_subjects.is_empty()
        || config
            .filter_subjects
            .iter()
            .any(|filter| matches(filter, subject))
}

/// `config` with what the server fills in: `max_ack_pending`, an ephemeral consumer's
/// inactive threshold, and with a backoff its first step as `ack_wait`.
fn resolved(mut config: ConsumerConfig) -> ConsumerConfig {
    if config.ack_policy != ConsumerAckPolicy::None {
        config.max_ack_pending = Some(config.max_ack_pending.unwrap_or(DEFAULT_MAX_ACK_PENDING));
    }
    if let Some(first) = config.backoff.first() {
        config.ack_wait = *first;
    }
    if config.durable.is_none() && config.inactive_threshold.is_none() {
        config.inactive_threshold = Some(DEFAULT_INACTIVE_THRESHOLD);
    }
    config
}
