//! Running subscribers: where a subscriber's messages come from, the consume loop that
//! calls its service, and where each result goes (the log, a request's reply).

mod acking;
mod batching;
mod consume;
mod consumer_check;
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
mod stream_source;
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
use crate::jetstream::{AckPolicy, ConsumerConfig};
use crate::kv::WatchOptions;
use crate::pending::PendingLimits;
use crate::publisher::Publisher;
use crate::subject::Pattern;
use consume::Consumer;
use finishing::Finishing;
use incoming::{Incoming, InitialData};
use lanes::Lanes;
use metrics::SubscriberMetrics;
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
        Source::Stream { .. } => {
            let started = stream_source::start(
                broker,
                &name,
                subject,
                &settings.source,
                settings.max_workers,
                metrics.clone(),
            )
            .await?;
            acking = Some(started.acking);
            stream_missing = Some(started.missing);
            max_deliveries = started.max_deliveries;
            started.incoming
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
