//! Running a subscriber: the consume loop, worker concurrency, replies, panic isolation
//! and the graceful drain at shutdown.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::{FutureExt, StreamExt};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tower::{Service, ServiceExt};
use tracing::Instrument;

use super::incoming::Incoming;
use super::{Route, Source, SubscriberSettings};
use crate::broker::Broker;
use crate::error::{Error, Result};
use crate::message::Message;
use crate::response::Reply;

/// Subscribes (or starts the Key-Value watch) and spawns the consume loop. The
/// subscription exists on the server when this returns (the caller flushes once for all
/// subscribers).
pub(crate) async fn start(
    broker: &Broker,
    subject: &str,
    route: Route,
    settings: SubscriberSettings,
    stop: watch::Receiver<bool>,
) -> Result<JoinHandle<()>> {
    let name: Arc<str> = settings.name.into();
    let incoming = match (&settings.source, &settings.queue) {
        (Source::Subject, Some(queue)) => {
            Incoming::Subscription(broker.queue_subscribe(subject, queue).await?)
        }
        (Source::Subject, None) => Incoming::Subscription(broker.subscribe(subject).await?),
        (Source::KvWatch { bucket, options }, _) => {
            let kv = broker.key_value(bucket.as_str()).await?;
            let watch = kv.watch(subject).options(options.clone()).await?;
            Incoming::kv_watch(watch, Arc::clone(&name))
        }
    };
    let worker = Worker {
        broker: broker.clone(),
        route,
        name,
    };
    Ok(tokio::spawn(consume(
        incoming,
        worker,
        settings.max_workers,
        stop,
    )))
}

/// What handling one message needs.
struct Worker {
    broker: Broker,
    route: Route,
    name: Arc<str>,
}

async fn consume(
    mut subscription: Incoming,
    mut worker: Worker,
    max_workers: usize,
    mut stop: watch::Receiver<bool>,
) {
    let workers = Arc::new(Semaphore::new(max_workers));
    loop {
        let next = tokio::select! {
            biased;
            _ = stop.wait_for(|stopped| *stopped) => break,
            next = subscription.next() => next,
        };
        match next {
            Some(message) => worker.dispatch(message, &workers, max_workers).await,
            None => return wait_idle(&workers, max_workers).await,
        }
    }
    // Graceful drain: no new messages, but those already received are still handled.
    if let Err(error) = subscription.drain().await {
        tracing::warn!(handler = %worker.name, %error, "could not drain the subscription");
    }
    while let Some(message) = subscription.next().await {
        worker.dispatch(message, &workers, max_workers).await;
    }
    wait_idle(&workers, max_workers).await;
}

impl Worker {
    /// Handles `message` inline (one worker) or on a spawned task (several).
    async fn dispatch(&mut self, message: Message, workers: &Arc<Semaphore>, max_workers: usize) {
        let subject = message.subject_raw().clone();
        let reply_to = message.reply_subject().cloned();
        let correlation_id = reply_to
            .as_ref()
            .and_then(|_| message.correlation_id().map(str::to_owned));
        let span = tracing::info_span!("message", handler = %self.name, subject = %subject);
        let handled = match self.route.ready().await {
            Ok(route) => Ok(route.call(message)),
            Err(error) => Err(Error::from_middleware(error)),
        };
        let outcome = Outcome {
            broker: self.broker.clone(),
            name: Arc::clone(&self.name),
            subject,
            reply_to,
            correlation_id,
        };
        let task = async move {
            let result = match handled {
                Ok(future) => match AssertUnwindSafe(future).catch_unwind().await {
                    Ok(result) => result.map_err(Error::from_middleware),
                    Err(panic) => Err(Error::Panic(panic_message(panic.as_ref()))),
                },
                Err(error) => Err(error),
            };
            outcome.deliver(result).await;
        }
        .instrument(span);
        if max_workers == 1 {
            task.await;
        } else {
            let Ok(permit) = Arc::clone(workers).acquire_owned().await else {
                return;
            };
            tokio::spawn(async move {
                task.await;
                drop(permit);
            });
        }
    }
}

/// Waits for spawned handlers still running.
async fn wait_idle(workers: &Semaphore, max_workers: usize) {
    let permits = u32::try_from(max_workers).unwrap_or(u32::MAX);
    let _all_idle = workers.acquire_many(permits).await;
}

/// Where a message's result goes: the reply subject, and the log.
struct Outcome {
    broker: Broker,
    name: Arc<str>,
    subject: async_nats::Subject,
    reply_to: Option<async_nats::Subject>,
    correlation_id: Option<String>,
}

impl Outcome {
    async fn deliver(self, result: Result<Reply>) {
        let reply = match result {
            Ok(reply) => reply,
            Err(error) => {
                if error.status_code() < 500 {
                    tracing::warn!(handler = %self.name, subject = %self.subject, %error, "message rejected");
                } else {
                    tracing::error!(handler = %self.name, subject = %self.subject, %error, "handler failed");
                }
                Reply::error(&error)
            }
        };
        let Some(reply_to) = self.reply_to else {
            return;
        };
        if let Err(error) = self
            .broker
            .send_reply(reply_to, reply, self.correlation_id.as_deref())
            .await
        {
            tracing::error!(handler = %self.name, subject = %self.subject, %error, "could not send the reply");
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}
