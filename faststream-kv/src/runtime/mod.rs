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

use crate::broker::Broker;
use crate::error::Result;
use crate::kv::WatchOptions;
use consume::Consumer;
use incoming::Incoming;

/// Where a subscriber's messages come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// Messages on the subjects matching the pattern, optionally as a member of a queue
    /// group.
    Subject { queue: Option<String> },
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
) -> Result<JoinHandle<u64>> {
    let name: Arc<str> = settings.name.into();
    let incoming = match &settings.source {
        Source::Subject { queue: Some(queue) } => {
            Incoming::Subscription(broker.queue_subscribe(subject, queue).await?)
        }
        Source::Subject { queue: None } => Incoming::Subscription(broker.subscribe(subject).await?),
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
    Ok(route.consume(consumer))
}
