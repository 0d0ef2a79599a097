//! The options of a subscriber on a JetStream stream: its consumer, its ack policy and
//! how messages come.

use std::time::Duration;

use super::{AnySubscriber, Common, IntoSubscriber, OnStream, Subscriber};
use crate::handler::Handler;
use crate::jetstream::{AckPolicy, ConsumerConfig, DeliverPolicy};
use crate::runtime::{Delivery, Source};

impl Subscriber<OnStream> {
    /// A subscriber running `handler` on the messages of JetStream stream `stream`
    /// whose subjects match `pattern` (the consumer's filter; `Path` extracts its
    /// captures), through a pull consumer: ephemeral unless
    /// [`durable`](Self::durable) names it. Each message is settled as the
    /// [ack policy](Self::ack_policy) says (default
    /// [`AckPolicy::RejectOnError`]); the
    /// handler may extract [`Acker`](crate::jetstream::Acker) and
    /// [`MessageInfo`](crate::jetstream::MessageInfo). At startup, after the
    /// `on_startup` hooks, the stream is [declared](Self::declare) and the consumer
    /// created (or, durable, updated).
    ///
    /// ```
    /// use faststream_kv::prelude::*;
    /// use faststream_kv::subscriber::Subscriber;
    ///
    /// async fn bill(Path(region): Path<String>, body: String) {
    ///     println!("{region}: {body}");
    /// }
    ///
    /// let subscriber = Subscriber::stream("ORDERS", "orders.{region}.created", bill)
    ///     .durable("billing")
    ///     .max_workers(8);
    /// ```
    pub fn stream<H: Handler<Args>, Args: 'static>(
        stream: impl Into<String>,
        pattern: &str,
        handler: H,
    ) -> Self {
        Self {
            common: Common::new(pattern, handler),
            kind: OnStream::new(stream.into()),
        }
    }

    /// A durable consumer of this name: it resumes where it stopped after a restart,
    /// and several instances of the app share its messages.
    pub fn durable(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.tune(move |config| config.durable = Some(name.clone()))
    }

    /// The consumer's whole configuration. The options set by this builder's other
    /// calls ([`durable`](Self::durable), [`ack_wait`](Self::ack_wait), ...) stay set
    /// whether they come before or after it. Without filter subjects, the consumer's
    /// filter is the pattern's subject.
    ///
    /// ```
    /// use std::time::Duration;
    /// use faststream_kv::jetstream::ConsumerConfig;
    /// use faststream_kv::subscriber::Subscriber;
    ///
    /// async fn bill(body: String) {}
    ///
    /// let subscriber = Subscriber::stream("ORDERS", "orders.>", bill)
    ///     .durable("billing")
    ///     .consumer(ConsumerConfig {
    ///         ack_wait: Duration::from_secs(10),
    ///         ..ConsumerConfig::ephemeral()
    ///     });
    /// ```
    pub fn consumer(mut self, config: ConsumerConfig) -> Self {
        self.kind.consumer = config;
        self.kind.tuning.apply(&mut self.kind.consumer);
        self
    }

    /// Where the consumer starts (default [`DeliverPolicy::All`]); a durable that
    /// exists already keeps its place.
    pub fn deliver(self, policy: DeliverPolicy) -> Self {
        self.tune(move |config| config.deliver = policy)
    }

    /// How long a delivered message may go unacknowledged before the server delivers
    /// it again (default [`DEFAULT_ACK_WAIT`](crate::jetstream::DEFAULT_ACK_WAIT)).
    /// With a [`backoff`](Self::backoff), the server takes its first step instead.
    pub fn ack_wait(self, ack_wait: Duration) -> Self {
        self.tune(move |config| config.ack_wait = ack_wait)
    }

    /// Deliveries of a message before the server gives up on it (default: no limit).
    /// The last failure is logged at ERROR, and the server's max-deliveries advisory
    /// comes as a [`ConnectionEvent`](crate::ConnectionEvent).
    pub fn max_deliver(self, max_deliver: u64) -> Self {
        self.tune(move |config| config.max_deliver = Some(max_deliver))
    }

    /// Messages delivered and not yet acknowledged at most, across every instance
    /// sharing the consumer (default 1000). The subscriber never asks for more.
    pub fn max_ack_pending(self, max_ack_pending: u64) -> Self {
        self.tune(move |config| config.max_ack_pending = Some(max_ack_pending))
    }

    /// The delays before each redelivery (the last one repeats): the server waits
    /// `steps[n]` for the acknowledgement of a message's `n+1`-th delivery, and a
    /// failed message nak'd by [`AckPolicy::NackOnError`] comes back on the same
    /// schedule. A [`max_deliver`](Self::max_deliver) must be at least the number
    /// of steps (the server refuses the consumer otherwise).
    pub fn backoff(self, steps: impl IntoIterator<Item = Duration>) -> Self {
        let steps: Vec<Duration> = steps.into_iter().collect();
        self.tune(move |config| config.backoff.clone_from(&steps))
    }

    /// How long the server keeps the consumer while nobody consumes from it (default:
    /// a durable forever, an ephemeral 5 s).
    pub fn inactive_threshold(self, threshold: Duration) -> Self {
        self.tune(move |config| config.inactive_threshold = Some(threshold))
    }

    /// Consumes only the messages on these subjects (default: the pattern's subject),
    /// each of which the pattern must cover — checked at startup — so that `Path`
    /// extracts its captures from every message.
    ///
    /// ```
    /// use faststream_kv::prelude::*;
    /// use faststream_kv::subscriber::Subscriber;
    ///
    /// async fn bill(Path(region): Path<String>) {}
    ///
    /// let subscriber = Subscriber::stream("ORDERS", "orders.{region}", bill)
    ///     .filter_subjects(["orders.eu", "orders.us"]);
    /// ```
    pub fn filter_subjects<S: Into<String>>(self, subjects: impl IntoIterator<Item = S>) -> Self {
        let subjects: Vec<String> = subjects.into_iter().map(Into::into).collect();
        self.tune(move |config| config.filter_subjects.clone_from(&subjects))
    }

    fn tune(mut self, change: impl Fn(&mut ConsumerConfig) + Send + Sync + 'static) -> Self {
        self.kind.tuning.set(&mut self.kind.consumer, change);
        self
    }

    /// When messages are acknowledged.
    pub fn ack_policy(mut self, policy: AckPolicy) -> Self {
        self.kind.ack = policy;
        self
    }

    /// Asks for up to `batch` messages at once, each pull request waiting on the server
    /// up to `max_wait`, with idle heartbeats every half of it, as nats.go's `Consume`
    /// does (defaults [`DEFAULT_FETCH_BATCH`](super::DEFAULT_FETCH_BATCH),
    /// [`DEFAULT_FETCH_WAIT`](super::DEFAULT_FETCH_WAIT)). Each message is
    /// handed on as it arrives.
    ///
    /// Beyond one message per worker, the subscriber holds (at most `batch`) only as
    /// many as its workers get through, at their average handling time, within a
    /// quarter of the consumer's `ack_wait`, and never asks for more than the
    /// consumer's `max_ack_pending`: fast handlers get the next messages while they
    /// work through the last, slow ones ask only for what a free worker starts at
    /// once, so no message waits in the client until it is delivered again. A message
    /// is never in two handlers at once: one delivered again while its handler runs
    /// (past `ack_wait`, without [`keep_alive`](Self::keep_alive)) is left to that
    /// handler, and the server told that work on it goes on. A pull lost with the
    /// connection, or whose heartbeats stop, is asked for again at once.
    pub fn pull(mut self, batch: usize, max_wait: Duration) -> Self {
        self.kind.delivery = Delivery::Pull {
            batch: batch.max(1),
            max_wait,
        };
        self
    }

    /// Consumes through a push consumer instead of a pull one (FastStream's default):
    /// the server sends messages as they come, up to the consumer's `max_ack_pending`
    /// (default 1000) unacknowledged, which bounds what waits for a worker — with
    /// slow handlers, set it low enough that they get through it within `ack_wait`. A
    /// durable one is delivered to a queue group of its name, so instances of the app
    /// share its messages. Messages received and unhandled at shutdown are nak'd, as
    /// fetched ones are. A consumer deleted under the app is noticed within seconds
    /// (when nothing came for a while, the consumer is looked at) and declared again,
    /// as a pull subscriber's is.
    pub fn push(mut self) -> Self {
        self.kind.delivery = Delivery::Push;
        self
    }

    /// Hands the handler up to `max` messages at once, as a
    /// [`Batch<T>`](crate::extract::Batch) (FastStream's `PullSub(batch=True)`): the
    /// messages delivered and not handled yet, at least one, without waiting for
    /// more. The ack policy settles every message of a batch by the handler's
    /// result; `max_workers` handlers each get their own batches. Other extractors
    /// see the batch's first message's subject and headers.
    pub fn batches(mut self, max: usize) -> Self {
        self.kind.batches = Some(max.max(1));
        self
    }

    /// Whether the subscriber declares its stream at startup (default `true`, as
    /// FastStream's `JStream(declare=True)`): the stream is created with the pattern's
    /// subject when it is missing, and the subject is added to an existing stream none
    /// of whose subjects covers it (nothing else about the stream changes). With
    /// `false`, for a stream managed elsewhere, the stream must exist with the subject
    /// once the `on_startup` hooks have run.
    pub fn declare(mut self, declare: bool) -> Self {
        self.kind.declare = declare;
        self
    }

    /// Keeps a message whose handler runs long from being delivered again: while the
    /// handler runs, the consumer is told the work goes on (`in_progress`) every half of
    /// its `ack_wait` (or of its shortest backoff step), so the `ack_wait` starts again.
    /// Not needed with [`AckPolicy::AckFirst`];
    /// stops once the handler settled its message.
    pub fn keep_alive(mut self) -> Self {
        self.kind.keep_alive = true;
        self
    }

    /// The stream consumed.
    pub fn consumed_stream(&self) -> &str {
        &self.kind.stream
    }
}

impl IntoSubscriber for Subscriber<OnStream> {
    fn into_subscriber(self) -> AnySubscriber {
        AnySubscriber {
            common: self.common,
            source: Source::Stream {
                stream: self.kind.stream,
                consumer: Box::new(self.kind.consumer),
                ack: self.kind.ack,
                delivery: self.kind.delivery,
                batches: self.kind.batches,
                declare: self.kind.declare,
                keep_alive: self.kind.keep_alive,
            },
        }
    }
}
