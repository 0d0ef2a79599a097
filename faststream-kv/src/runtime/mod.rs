//! Running subscribers: where a subscriber's messages come from, the consume loop that
//! calls its service, and where each result goes (the log, a request's reply).

mod acking;
mod batching;
mod consume;
mod dispatch;
mod fetching;
mod finishing;
mod handling_time;
mod incoming;
mod lanes;
mod max_deliveries;
mod message_span;
mod metrics;
mod ordering_key;
mod outcome;
mod progress;
mod pushed;
mod route;
mod workers;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use ordering_key::OrderingKey;
pub(crate) use progress::{PendingCounts, WatcherProgress};
pub use route::Route;

use crate::broker::Broker;
use crate::error::Result;
use crate::jetstream::{AckPolicy, ConsumerConfig, DEFAULT_MAX_ACK_PENDING};
use crate::kv::WatchOptions;
use crate::pending::PendingLimits;
use crate::publisher::Publisher;
use crate::subject::Pattern;
use acking::Acking;
use batching::Batched;
use consume::Consumer;
use fetching::{Fetched, Fetching, Redeclare};
use finishing::Finishing;
use handling_time::HandlingTime;
use incoming::{Incoming, InitialData};
use lanes::Lanes;
use max_deliveries::{ConsumerName, MaxDeliveriesWatch};
use metrics::SubscriberMetrics;
use pushed::Pushed;
use workers::Workers;

/// Where a subscriber's messages come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// Messages on the subjects matching the pattern, optionally as a member of a queue
    /// group, held up to `limits` while the handler is busy.
    Subject {
        queue: Option<String>,
        limits: PendingLimits,
    },
    /// Changes of the keys of `bucket` matching the pattern.
    KvWatch {
        bucket: String,
        options: WatchOptions,
    },
    /// Messages of `stream` (created or given the pattern's subject first if
    /// `declare`) on subjects matching the pattern, through a consumer delivering as
    /// `delivery` says, settled as `ack` says (kept in progress while the handler runs
    /// if `keep_alive`).
    Stream {
        stream: String,
        /// Boxed: the other sources are small.
        consumer: Box<ConsumerConfig>,
        ack: AckPolicy,
        delivery: Delivery,
        /// With a batch handler: the most messages one call gets.
        batches: Option<usize>,
        declare: bool,
        keep_alive: bool,
    },
}

/// How a stream subscriber's consumer delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// A pull consumer, asked for up to `batch` at once, ahead of the workers only
    /// what they get through well within `ack_wait`, each pull request waiting up to
    /// `max_wait`.
    Pull { batch: usize, max_wait: Duration },
    /// A push consumer: the server sends up to `max_ack_pending`.
    Push,
}

/// How a running subscriber consumes.
pub(crate) struct Settings {
    pub(crate) source: Source,
    pub(crate) name: Box<str>,
    pub(crate) max_workers: usize,
    /// With several workers: what keeps messages in order.
    pub(crate) ordering: Option<OrderingKey>,
    /// Where the handler's results are published.
    pub(crate) publishers: Arc<[Publisher]>,
    /// The level of each message's span (`None`: no span); the app's choice.
    pub(crate) span_level: Option<tracing::Level>,
    /// Whether it records metrics; the app's choice.
    pub(crate) metrics: bool,
}

/// A started subscriber: its consume loop, which ends with the number of messages it
/// left unhandled, and what it shows the app: a subject subscriber's pending counts (a
/// Key-Value watch has none: it is flow-controlled, nothing is dropped), a `kv_watch`
/// subscriber's progress through its initial data.
pub(crate) struct Started {
    pub(crate) name: Arc<str>,
    pub(crate) consumer: JoinHandle<u64>,
    pub(crate) pending: Option<PendingCounts>,
    pub(crate) watcher: Option<WatcherProgress>,
    /// A pull stream subscriber's: set while its consumer is gone.
    pub(crate) consumer_missing: Option<Arc<AtomicBool>>,
}

/// Subscribes (or starts the Key-Value watch) and spawns the consume loop, which ends
/// after `stop` with the number of messages it left unhandled after `give_up`. The
/// subscription exists on the server when this returns (the caller flushes once for all
/// subscribers).
pub(crate) async fn start(
    broker: &Broker,
    pattern: &Pattern,
    route: Route,
    settings: Settings,
    stop: watch::Receiver<bool>,
    give_up: watch::Receiver<bool>,
) -> Result<Started> {
    let subject = pattern.subject();
    let name: Arc<str> = settings.name.into();
    let workers = Workers::new(settings.max_workers);
    let metrics = settings
        .metrics
        .then(|| Arc::new(SubscriberMetrics::new(&name)));
    let (mut pending, mut watcher, mut acking) = (None, None, None);
    let (mut stream_missing, mut max_deliveries) = (None, None);
    let incoming = match &settings.source {
        Source::Subject { queue, limits } => {
            let subscription = broker
                .subscribe_as(subject, queue.as_deref(), *limits, Arc::clone(&name))
                .await?;
            pending = Some(PendingCounts {
                name: Arc::clone(&name),
                subject: subject.to_owned(),
                handle: subscription.stats_handle(),
            });
            Incoming::Subscription(subscription)
        }
        Source::KvWatch { bucket, options } => {
            let kv = broker.key_value(bucket.as_str()).await?;
            let watch = kv.watch(subject).options(options.clone()).await?;
            let (loaded, progress) = watch::channel(false);
            watcher = Some(WatcherProgress {
                name: Arc::clone(&name),
                bucket: bucket.clone(),
                loaded: progress,
            });
            let initial = InitialData {
                loaded,
                workers: workers.clone(),
            };
            Incoming::kv_watch(watch, Arc::clone(&name), initial)
        }
        Source::Stream {
            stream,
            consumer,
            ack,
            delivery,
            batches,
            declare,
            keep_alive,
        } => {
            let mut config = ConsumerConfig::clone(consumer);
            if config.filter_subjects.is_empty() {
                config.filter_subjects = vec![subject.to_owned()];
            }
            let stream_name: Arc<str> = stream.as_str().into();
            let binding = broker.stream(stream.as_str());
            let stream = if *declare {
                binding.with_subject(subject).await?
            } else {
                binding.await?
            };
            let ack_wait = config.shortest_ack_wait();
            let keep_alive = keep_alive.then_some(ack_wait / 2);
            let handling = HandlingTime::default();
            acking = Some(
                Acking::new(*ack, &name, &config, handling.clone(), metrics.clone())
                    .keep_alive(keep_alive),
            );
            let nak_when_dropped = *ack != AckPolicy::Manual;
            let max_ack_pending = config.max_ack_pending.unwrap_or(DEFAULT_MAX_ACK_PENDING);
            // The server's word that it gave up on a message, watched only when it may.
            let mut watch_max_deliveries = async |consumer: &str| -> Result<_> {
                if config.max_deliver.is_none() {
                    return Ok(None);
                }
                let consumer = ConsumerName::new(consumer);
                let (subscriber, stream) = (Arc::clone(&name), Arc::clone(&stream_name));
                let watch = MaxDeliveriesWatch::start(broker, subscriber, stream, consumer.clone());
                max_deliveries = Some(watch.await?);
                Ok(Some(consumer))
            };
            let incoming = match *delivery {
                Delivery::Pull { batch, max_wait } => {
                    let missing = Arc::new(AtomicBool::new(false));
                    stream_missing = Some(Arc::clone(&missing));
                    let consumer = stream.create_consumer(config.clone()).await?;
                    let fetching = Fetching {
                        max_ack_pending: usize::try_from(max_ack_pending).unwrap_or(usize::MAX),
                        consumer_name: watch_max_deliveries(consumer.name()).await?,
                        consumer,
                        // A worker holds a whole batch.
                        max_workers: settings.max_workers * batches.unwrap_or(1),
                        batch,
                        max_wait,
                        ack_wait,
                        handling: handling.clone(),
                        nak_when_dropped,
                        name: Arc::clone(&name),
                        redeclare: redeclare(broker, &stream_name, subject, *declare, &config),
                        stream: stream_name,
                        missing: Arc::clone(&missing),
                        broker: broker.clone(),
                    };
                    Incoming::Stream(Box::new(Fetched::new(fetching)))
                }
                Delivery::Push => {
                    let consumer = stream.create_push_consumer(config.clone()).await?;
                    watch_max_deliveries(consumer.name()).await?;
                    let messages = consumer.messages().await?;
                    Incoming::Pushed(Box::new(Pushed::new(
                        messages,
                        nak_when_dropped,
                        Arc::clone(&name),
                    )))
                }
            };
            match batches {
                Some(size) => Incoming::Batched(Box::new(Batched::new(incoming, *size))),
                None => incoming,
            }
        }
    };
    let lanes = (settings.ordering)
        .filter(|_| settings.max_workers > 1)
        .map(|key| Lanes::new(key, pattern.clone()));
    let finishing = Finishing::new(broker, settings.publishers, pattern, &name);
    let consumer = Consumer {
        incoming,
        broker: broker.clone(),
        name: Arc::clone(&name),
        workers,
        stop,
        give_up,
        lanes,
        acking,
        finishing,
        span_level: settings.span_level,
        metrics,
        _max_deliveries: max_deliveries,
    };
    Ok(Started {
        name,
        consumer: route.consume(consumer),
        pending,
        watcher,
        consumer_missing: stream_missing,
    })
}

/// Declares a stream subscriber's consumer again from `config`, and its stream first
/// (with the subscriber's subject) if the subscriber declares it.
fn redeclare(
    broker: &Broker,
    stream: &Arc<str>,
    subject: &str,
    declare: bool,
    config: &ConsumerConfig,
) -> Redeclare {
    let (broker, stream, subject, config) = (
        broker.clone(),
        Arc::clone(stream),
        subject.to_owned(),
        config.clone(),
    );
    Arc::new(move || {
        let (broker, stream, subject, config) = (
            broker.clone(),
            Arc::clone(&stream),
            subject.clone(),
            config.clone(),
        );
        Box::pin(async move {
            let binding = broker.stream(&*stream);
            let stream = if declare {
                binding.with_subject(&subject).await?
            } else {
                binding.await?
            };
            stream.create_consumer(config).await
        })
    })
}
