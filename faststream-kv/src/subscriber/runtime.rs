//! Running a subscriber: the consume loop, worker concurrency, replies, panic isolation
//! and the graceful drain at shutdown.

use std::future::Future;
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
    mut incoming: Incoming,
    mut worker: Worker,
    max_workers: usize,
    mut stop: watch::Receiver<bool>,
) {
    let workers = Arc::new(Semaphore::new(max_workers));
    // Messages first; the stop signal is awaited only when none is ready, and checked
    // (one atomic load) between messages so that a busy subscriber still stops.
    let mut stopping = *stop.borrow_and_update();
    while !stopping {
        // A message that is already there is taken without building the select below.
        let next = match incoming.next().now_or_never() {
            Some(next) => Some(next),
            None => tokio::select! {
                biased;
                next = incoming.next() => Some(next),
                _ = stop.changed() => None,
            },
        };
        stopping = match next {
            Some(Some(message)) => {
                worker.dispatch(message, &workers, max_workers).await;
                stop_requested(&mut stop)
            }
            Some(None) => return wait_idle(&workers, max_workers).await,
            // `changed` marked the new value seen: read it as it is.
            None => stop.has_changed().is_err() || *stop.borrow(),
        };
    }
    // Graceful drain: no new messages, but those already received are still handled.
    if let Err(error) = incoming.drain().await {
        tracing::warn!(handler = %worker.name, %error, "could not drain the subscription");
    }
    while let Some(message) = incoming.next().await {
        worker.dispatch(message, &workers, max_workers).await;
    }
    wait_idle(&workers, max_workers).await;
}

impl Worker {
    /// Handles `message` inline (one worker) or on a spawned task (several).
    async fn dispatch(&mut self, message: Message, workers: &Arc<Semaphore>, max_workers: usize) {
        let outcome = Outcome::of(&message);
        let span = tracing::info_span!("message", handler = %self.name, subject = %outcome.subject);
        // Only the (boxed, small) handler future is moved around from here on.
        let handled = match self.route.ready().await {
            Ok(route) => Ok(route.call(message).instrument(span)),
            Err(error) => Err(Error::from_middleware(error)),
        };
        if max_workers == 1 {
            return complete(handled, outcome, &self.broker, &self.name).await;
        }
        let Ok(permit) = Arc::clone(workers).acquire_owned().await else {
            return;
        };
        let (broker, name) = (self.broker.clone(), Arc::clone(&self.name));
        tokio::spawn(async move {
            complete(handled, outcome, &broker, &name).await;
            drop(permit);
        });
    }
}

/// Runs the handler, logs a failure, and answers a request.
async fn complete<F>(handled: Result<F>, outcome: Outcome, broker: &Broker, name: &str)
where
    F: Future<Output = Result<Reply, crate::error::BoxError>>,
{
    let result = run(handled).await;
    if let Some(reply) = outcome.settle(name, result) {
        reply.send(broker, name).await;
    }
}

/// Whether the app asked subscribers to stop (or the app is gone); an atomic load
/// unless the signal changed.
fn stop_requested(stop: &mut watch::Receiver<bool>) -> bool {
    match stop.has_changed() {
        Ok(false) => false,
        Ok(true) => *stop.borrow_and_update(),
        Err(_) => true,
    }
}

/// Runs the handler, turning a panic into [`Error::Panic`].
async fn run<F>(handled: Result<F>) -> Result<Reply>
where
    F: Future<Output = Result<Reply, crate::error::BoxError>>,
{
    match AssertUnwindSafe(handled?).catch_unwind().await {
        Ok(result) => result.map_err(Error::from_middleware),
        Err(panic) => Err(Error::Panic(panic_message(panic.as_ref()))),
    }
}

/// Waits for spawned handlers still running.
async fn wait_idle(workers: &Semaphore, max_workers: usize) {
    let permits = u32::try_from(max_workers).unwrap_or(u32::MAX);
    let _all_idle = workers.acquire_many(permits).await;
}

/// Where a message's result goes: the reply subject, and the log.
struct Outcome {
    subject: async_nats::Subject,
    reply_to: Option<async_nats::Subject>,
    correlation_id: Option<String>,
}

impl Outcome {
    fn of(message: &Message) -> Self {
        let reply_to = message.reply_subject().cloned();
        let correlation_id = reply_to
            .as_ref()
            .and_then(|_| message.correlation_id().map(str::to_owned));
        Self {
            subject: message.subject_raw().clone(),
            reply_to,
            correlation_id,
        }
    }

    /// Logs a failure; the reply to send, if the message was a request. Nothing here
    /// awaits, so a message without reply subject adds no future to the dispatch.
    fn settle(self, name: &str, result: Result<Reply>) -> Option<PendingReply> {
        let reply = match result {
            Ok(reply) => reply,
            Err(error) => {
                if error.status_code() < 500 {
                    tracing::warn!(handler = %name, subject = %self.subject, %error, "message rejected");
                } else {
                    tracing::error!(handler = %name, subject = %self.subject, %error, "handler failed");
                }
                Reply::error(&error)
            }
        };
        Some(PendingReply {
            reply_to: self.reply_to?,
            reply,
            correlation_id: self.correlation_id,
            subject: self.subject,
        })
    }
}

/// A reply on its way to a request's reply subject.
struct PendingReply {
    reply_to: async_nats::Subject,
    reply: Reply,
    correlation_id: Option<String>,
    subject: async_nats::Subject,
}

impl PendingReply {
    /// Sends it (boxed: the send future is large and only requests need it).
    async fn send(self, broker: &Broker, name: &str) {
        let sent =
            Box::pin(broker.send_reply(self.reply_to, self.reply, self.correlation_id.as_deref()));
        if let Err(error) = sent.await {
            tracing::error!(handler = %name, subject = %self.subject, %error, "could not send the reply");
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
