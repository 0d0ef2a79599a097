//! Running a subscriber: the consume loop, worker concurrency, replies, panic isolation
//! and the graceful drain at shutdown.

use std::future::{Future, poll_fn};
use std::panic::{self, AssertUnwindSafe};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures::StreamExt;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::ReusableBoxFuture;
use tracing::Span;

use super::dispatch::Dispatch;
use super::incoming::Incoming;
use super::{Route, Source, SubscriberSettings};
use crate::broker::Broker;
use crate::error::{BoxError, Error, Result};
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
    let consumer = Consumer {
        incoming,
        broker: broker.clone(),
        name,
        max_workers: settings.max_workers,
        stop,
    };
    Ok(route.consume(consumer))
}

/// A subscriber's consume loop before it is spawned: everything but the service.
pub(crate) struct Consumer {
    incoming: Incoming,
    broker: Broker,
    name: Arc<str>,
    max_workers: usize,
    stop: watch::Receiver<bool>,
}

impl Consumer {
    /// Spawns the consume loop calling `service`.
    pub(crate) fn spawn<D: Dispatch>(self, service: D) -> JoinHandle<()> {
        tokio::spawn(consume(self, service))
    }
}

/// What the consume loop does next.
///
/// No larger than a [`Message`]: it is moved for every message, and moves of more than
/// 128 bytes are `memcpy` calls. (Three variants without data would not fit in the
/// message's niche, hence the nested [`Control`].)
enum Step {
    Handle(Message),
    Control(Control),
}

enum Control {
    /// Nothing to do yet: wait for a message or the stop signal.
    Wait,
    /// The app asked subscribers to stop: drain, then handle what was received.
    Stop,
    /// The subscription ended.
    End,
}

const _: () = assert!(std::mem::size_of::<Step>() <= std::mem::size_of::<Message>());

impl From<Option<Message>> for Step {
    fn from(next: Option<Message>) -> Self {
        next.map_or(Step::Control(Control::End), Step::Handle)
    }
}

async fn consume<D: Dispatch>(consumer: Consumer, mut service: D) {
    let Consumer {
        mut incoming,
        broker,
        name,
        max_workers,
        mut stop,
    } = consumer;
    let workers = Arc::new(Semaphore::new(max_workers));
    // The replies this loop sends one at a time share one box (a reply's send future is
    // over a kilobyte, and allocating that much per request took malloc's slow path).
    let mut sending = ReplySlot::default();
    // Registered with the stop signal once, not again for every wait: a subscriber that
    // keeps up with its messages waits for nearly every one of them.
    let mut stop_requested = pin!(wait_for_stop(stop.clone()));
    let mut draining = false;
    // Messages taken since the loop last waited or yielded.
    let mut taken = 0;
    // A stop requested before the loop started counts as a change.
    stop.mark_changed();
    loop {
        // Before the next step is taken, so that no step is kept across this await.
        if taken == MESSAGES_PER_TURN {
            taken = 0;
            tokio::task::yield_now().await;
        }
        let step = if draining {
            incoming.next().await.into()
        } else {
            match ready_step(&mut incoming, &mut stop) {
                Step::Control(Control::Wait) => {
                    taken = 0;
                    // Never polled once it has completed: that returns `Stop`, and a
                    // draining loop does not come back here.
                    wait_step(&mut incoming, stop_requested.as_mut()).await
                }
                step => {
                    taken += 1;
                    step
                }
            }
        };
        // Per message, only the handler's future and small ones are built here: a
        // nested future is moved whole into this loop's state, and moves of large
        // values are `memcpy` calls.
        match step {
            Step::Handle(message) => {
                let outcome = Outcome::of(&message);
                let span =
                    tracing::info_span!("message", handler = %name, subject = message.subject());
                if let Err(error) = poll_fn(|cx| service.poll_ready(cx)).await {
                    if let Some(reply) = outcome.settle(&name, Err(error)) {
                        sending.send(reply, &broker, &name).await;
                    }
                } else if max_workers == 1 {
                    // Built in place and polled where it is: handler futures are large.
                    let result = run(pin!(service.call_in_place(message)), &span).await;
                    if let Some(reply) = outcome.settle(&name, result) {
                        sending.send(reply, &broker, &name).await;
                    }
                } else if let Ok(permit) = Arc::clone(&workers).acquire_owned().await {
                    let future = service.call(message);
                    let (broker, name) = (broker.clone(), Arc::clone(&name));
                    tokio::spawn(async move {
                        let result = run(pin!(future), &span).await;
                        if let Some(reply) = outcome.settle(&name, result) {
                            Box::pin(reply.send(&broker, &name)).await;
                        }
                        drop(permit);
                    });
                }
            }
            // Graceful drain: no new messages, but those already received are handled.
            Step::Control(Control::Stop) => {
                draining = true;
                if let Err(error) = incoming.drain().await {
                    tracing::warn!(handler = %name, %error, "could not drain the subscription");
                }
            }
            Step::Control(Control::End) => break,
            // Not from `wait_step`; the next turn would wait.
            Step::Control(Control::Wait) => {}
        }
    }
    wait_idle(&workers, max_workers).await;
}

/// How many messages that are already there the consume loop handles before it yields
/// to the scheduler.
///
/// Tokio's cooperative budget would make it yield after 128: a received message counts
/// as one operation. When the worker has nothing else to run, each of those yields
/// polls the IO driver and wakes another worker, which was about 15% of a message's
/// time in the `drain` benchmark. So messages that are there are taken outside the
/// budget ([`ready_step`]), and the loop yields itself, less often. A handler's own
/// awaits still count against the budget, and a loop that waits for a message yields
/// anyway.
const MESSAGES_PER_TURN: u32 = 512;

/// The next step without waiting: `Stop` once the app asked subscribers to stop (an
/// atomic load unless the signal changed), a message that is already there (taken
/// outside tokio's cooperative budget, see [`MESSAGES_PER_TURN`]), else `Wait`.
fn ready_step(incoming: &mut Incoming, stop: &mut watch::Receiver<bool>) -> Step {
    let stop_requested = match stop.has_changed() {
        Ok(false) => false,
        Ok(true) => *stop.borrow_and_update(),
        Err(_) => true,
    };
    if stop_requested {
        return Step::Control(Control::Stop);
    }
    // Polled with a waker that does nothing: on `Pending` the caller waits in
    // `wait_step`, which polls again with the task's waker.
    let next = pin!(tokio::task::coop::unconstrained(incoming.next()));
    match next.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(next) => next.into(),
        Poll::Pending => Step::Control(Control::Wait),
    }
}

/// Waits for the next message or the stop signal, whichever comes first.
async fn wait_step(incoming: &mut Incoming, stop_requested: Pin<&mut impl Future>) -> Step {
    tokio::select! {
        biased;
        next = incoming.next() => next.into(),
        _ = stop_requested => Step::Control(Control::Stop),
    }
}

/// Completes once the app asks subscribers to stop (or is gone).
async fn wait_for_stop(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// The handler's result: its future polled where it is (not moved), inside the
/// message's span, a panic turned into [`Error::Panic`]. Errors stay boxed, as the
/// service returns them, until [`Outcome::settle`] needs one: a handled message's result
/// is passed on as it is.
fn run<'a, F>(
    mut future: Pin<&'a mut F>,
    span: &'a Span,
) -> impl Future<Output = Result<Reply, BoxError>> + 'a
where
    F: Future<Output = Result<Reply, BoxError>>,
{
    poll_fn(move |cx| {
        let _entered = span.enter();
        match panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(panic) => Poll::Ready(Err(Error::Panic(panic_message(panic.as_ref())).into())),
        }
    })
}

/// Waits for spawned handlers still running.
async fn wait_idle(workers: &Semaphore, max_workers: usize) {
    let permits = u32::try_from(max_workers).unwrap_or(u32::MAX);
    let _all_idle = workers.acquire_many(permits).await;
}

/// Where a message's result goes: the log, and a request's reply.
struct Outcome {
    /// The message's subject, for the log; kept only when failures are logged (a NATS
    /// subject's first clone allocates).
    subject: Option<async_nats::Subject>,
    /// Boxed: most messages are not requests, and the consume loop's state stays small.
    request: Option<Box<Request>>,
}

/// Where a request's reply goes.
struct Request {
    reply_to: async_nats::Subject,
    correlation_id: Option<String>,
}

impl Outcome {
    fn of(message: &Message) -> Self {
        let request = message.reply_subject().map(|reply_to| {
            Box::new(Request {
                reply_to: reply_to.clone(),
                correlation_id: message.correlation_id().map(str::to_owned),
            })
        });
        let logged = tracing::enabled!(tracing::Level::WARN);
        Self {
            subject: logged.then(|| message.subject_raw().clone()),
            request,
        }
    }

    /// Logs a failure; the reply to send, if the message was a request.
    ///
    /// The failure logging is kept out of line, so the common case (a handled message
    /// that is not a request: nothing to log, nothing to send) stays a few instructions.
    #[inline]
    fn settle(self, name: &str, result: Result<Reply, BoxError>) -> Option<PendingReply> {
        let reply = match result {
            Ok(reply) => reply,
            Err(error) => self.log_failure(name, &Error::from_middleware(error)),
        };
        Some(PendingReply {
            request: self.request?,
            reply,
            subject: self.subject,
        })
    }

    /// Logs a failed message; the error reply for it.
    #[cold]
    fn log_failure(&self, name: &str, error: &Error) -> Reply {
        if error.status_code() < 500 {
            tracing::warn!(handler = %name, subject = self.subject.as_deref(), %error, "message rejected");
        } else {
            tracing::error!(handler = %name, subject = self.subject.as_deref(), %error, "handler failed");
        }
        Reply::error(error)
    }
}

/// A reply on its way to a request's reply subject.
struct PendingReply {
    request: Box<Request>,
    reply: Reply,
    subject: Option<async_nats::Subject>,
}

impl PendingReply {
    /// Sends it (to be boxed: the future is large, and only requests need it).
    async fn send(self, broker: &Broker, name: &str) {
        let Request {
            reply_to,
            correlation_id,
        } = *self.request;
        let sent = broker.send_reply(reply_to, self.reply, correlation_id.as_deref());
        if let Err(error) = sent.await {
            tracing::error!(handler = %name, subject = self.subject.as_deref(), %error, "could not send the reply");
        }
    }
}

/// One box for the replies a consume loop sends one after another, allocated for the
/// first and reused for the others.
#[derive(Default)]
struct ReplySlot<'a>(Option<ReusableBoxFuture<'a, ()>>);

impl<'a> ReplySlot<'a> {
    /// Sends `reply` in the box.
    async fn send(&mut self, reply: PendingReply, broker: &'a Broker, name: &'a str) {
        let sending = reply.send(broker, name);
        let slot = match &mut self.0 {
            Some(slot) => {
                slot.set(sending);
                slot
            }
            None => self.0.insert(ReusableBoxFuture::new(sending)),
        };
        slot.await;
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
