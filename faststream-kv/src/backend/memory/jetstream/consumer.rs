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
    /// The ack floor where a message given up on held it: the server's floor moves
    /// only with acknowledgements, past it once nothing is pending.
    floor_held: Option<u64>,
    last_active: Instant,
}

pub(super) struct Pending {
    /// How many times it was delivered.
    pub(super) deliveries: u64,
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
        let mut state = Self {
            config: config.clone(),
            push,
            initial,
            next,
            consumer_sequence: 0,
            delivered_stream: match config.deliver {
                DeliverPolicy::LastPerSubject => 0,
                _ => next - 1,
            },
            waiting: 0,
            pending: BTreeMap::new(),
            exhausted: BTreeMap::new(),
            floor_held: None,
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
        let mut taken = Vec::new();
        let max_deliver = self.config.max_deliver.unwrap_or(u64::MAX);
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
            if messages.subject_of(sequence).is_none() {
                self.pending.remove(&sequence);
                continue;
            }
            let deliveries = self
                .pending
                .get(&sequence)
                .map_or(0, |pending| pending.deliveries);
            if deliveries >= max_deliver {
                let floor = self.ack_floor();
                self.floor_held.get_or_insert(floor);
                self.pending.remove(&sequence);
                self.exhausted.insert(sequence, deliveries);
                given_up.push((sequence, deliveries));
                continue;
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
            return Delivery {
                stream_sequence: sequence,
                consumer_sequence: self.consumer_sequence,
                deliveries: 1,
            };
        }
        let pending = self.pending.entry(sequence).or_insert(Pending {
            deliveries: 0,
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

    /// Settles delivery `sequence`: `true` if it was waiting for that.
    pub(super) fn acknowledge(&mut self, sequence: u64) -> bool {
        self.exhausted.remove(&sequence);
        let acknowledged = self.pending.remove(&sequence).is_some();
        // Acknowledging one acknowledges those delivered before it.
        if acknowledged && self.config.ack_policy == ConsumerAckPolicy::All {
            self.pending.retain(|pending, _| *pending > sequence);
            self.exhausted.retain(|exhausted, _| *exhausted > sequence);
        }
        if acknowledged && self.pending.is_empty() {
            self.floor_held = None;
        }
        acknowledged
    }

    /// The stream purged what this consumer reads below `start`: it moves past it, and
    /// forgets the deliveries of messages gone (as the server's consumer purge does).
    pub(super) fn purged(&mut self, start: u64, messages: &dyn Messages) {
        self.next = self.next.max(start);
        self.delivered_stream = self.delivered_stream.max(start.saturating_sub(1));
        let kept = |sequence: &u64| *sequence >= start && messages.subject_of(*sequence).is_some();
        self.initial.retain(kept);
        self.pending.retain(|sequence, _| kept(sequence));
        self.exhausted.retain(|sequence, _| kept(sequence));
        self.floor_held = None;
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

    /// The stream sequence below which nothing waits for this consumer.
    pub(super) fn ack_floor(&self) -> u64 {
        let floor = match self.pending.keys().next() {
            Some(first) => first - 1,
            None => self.delivered_stream,
        };
        self.floor_held.map_or(floor, |held| held.min(floor))
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
