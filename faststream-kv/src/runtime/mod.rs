//! Running subscribers: where a subscriber's messages come from, the consume loop that
//! calls its service, and where each result goes (the log, a request's reply).

mod consume;
mod dispatch;
mod incoming;
mod outcome;
mod route;

use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use route::Route;

use crate::backend::pending_queue::StatsHandle;
use crate::broker::Broker;
use crate::error::Result;
use crate::kv::WatchOptions;
use crate::pending::{PendingLimits, SubscriberStats};
use consume::Consumer;
use incoming::Incoming;

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
}

/// How a running subscriber consumes.
pub(crate) struct Settings {
    pub(crate) source: Source,
    pub(crate) name: Box<str>,
    pub(crate) max_workers: usize,
}

/// A started subscriber: its consume loop, which ends with the number of messages it
/// left unhandled, and the counts of its subscription (a Key-Value watch has none: it
/// is flow-controlled, nothing is dropped).
pub(crate) struct Started {
    pub(crate) consumer: JoinHandle<u64>,
    pub(crate) pending: Option<PendingCounts>,
}

/// Where a subject subscriber's counts are read.
pub(crate) struct PendingCounts {
    name: Arc<str>,
    subject: String,
    handle: StatsHandle,
}

impl PendingCounts {
    pub(crate) fn read(&self) -> SubscriberStats {
        SubscriberStats {
            name: self.name.to_string(),
            subject: self.subject.clone(),
            limits: self.handle.limits(),
            counts: self.handle.get(),
        }
    }
}

/// Subscribes (or starts the Key-Value watch) and spawns the consume loop, which ends
/// after `stop` with the number of messages it left unhandled after `give_up`. The
/// subscription exists on the server when this returns (the caller flushes once for all
/// subscribers).
pub(crate) async fn start(
    broker: &Broker,
    subject: &str,
    route: Route,
    settings: Settings,
    stop: watch::Receiver<bool>,
    give_up: watch::Receiver<bool>,
) -> Result<Started> {
    let name: Arc<str> = settings.name.into();
    let mut pending = None;
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
            Incoming::kv_watch(watch, Arc::clone(&name))
        }
    };
    let consumer = Consumer {
        incoming,
        broker: broker.clone(),
        name,
        max_workers: settings.max_workers,
        stop,
        give_up,
    };
    Ok(Started {
        consumer: route.consume(consumer),
        pending,
    })
}
