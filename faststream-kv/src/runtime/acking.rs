//! A stream subscriber's ack policy around its service, in the consume loop itself (no
//! box per message): the message's [`Acker`] (or a batch's) taken from its
//! extensions, acknowledged before the handler (`AckFirst`) or settled after it by its
//! result; a payload that cannot be decoded is terminated whatever the policy, and a
//! panic counts as a failure (then goes on to the consume loop); a result that could not
//! be published is nak'd whatever the policy. A nak without a delay of its own waits
//! the consumer's backoff step, or a delay growing with the delivery count, so a
//! failing message never loops hot. Each failure is logged once, saying what happens to
//! its message next. With keep-alive, a running handler's message is kept in progress.

use std::future::poll_fn;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};

use super::consume::poll_caught;
use super::dispatch::Dispatch;
use super::handling_time::HandlingTime;
use super::metrics::SubscriberMetrics;
use super::outcome::{PendingReply, Reported, Settle};
use crate::error::{BoxError, Error};
use crate::jetstream::store::AckKind;
use crate::jetstream::{AckPolicy, Acker, BatchParts, ConsumerConfig, nak_delay};
use crate::message::Message;
use crate::response::Reply;

/// How a stream subscriber settles its messages: the policy, the keep-alive, where
/// handling times go. Wraps the subscriber's service where the consume loop is spawned
/// ([`Acking::around`]), so that a bare handler is still called in place.
#[derive(Clone)]
pub(crate) struct Acking {
    policy: AckPolicy,
    /// How often a running handler's message is kept in progress, if at all.
    keep_alive: Option<Duration>,
    /// Where handler durations go, if anyone reads them.
    handling: Option<HandlingTime>,
    /// Where settlements are counted.
    metrics: Option<Arc<SubscriberMetrics>>,
    /// How the consumer redelivers.
    redelivery: Arc<Redelivery>,
}

/// What the consumer's configuration says of redeliveries, and whose they are.
struct Redelivery {
    /// The subscriber's name, for the log.
    name: Arc<str>,
    /// Deliveries after which the server gives up on a message.
    max_deliver: Option<u64>,
    /// The consumer's backoff steps (the last repeats), if it has some.
    backoff: Vec<Duration>,
}

impl Redelivery {
    /// The delay a nak asks for after the `delivered`-th delivery failed, when the
    /// policy names none: the server counts a nak's delay from `ack_wait` (the first
    /// backoff step), so a delay of that step redelivers on the backoff's schedule.
    fn nak_delay(&self, delivered: u64) -> Duration {
        self.backoff
            .first()
            .copied()
            .unwrap_or_else(|| nak_delay(delivered))
    }

    /// How long after a nak with `delay` the `delivered`-th delivery comes back.
    fn wait(&self, delivered: u64, delay: Duration) -> Duration {
        match self.backoff.as_slice() {
            [] => delay,
            steps => {
                let index = usize::try_from(delivered.saturating_sub(1)).unwrap_or(usize::MAX);
                (delay + steps[index.min(steps.len() - 1)]).saturating_sub(steps[0])
            }
        }
    }

    /// Whether the `delivered`-th delivery was the last the server makes.
    fn exhausted(&self, delivered: u64) -> bool {
        self.max_deliver.is_some_and(|max| delivered >= max)
    }
}

impl Acking {
    /// Settles as `policy` says the messages of subscriber `name`, whose consumer is
    /// configured by `config`.
    pub(super) fn new(
        policy: AckPolicy,
        name: &Arc<str>,
        config: &ConsumerConfig,
        handling: Option<HandlingTime>,
        metrics: Option<Arc<SubscriberMetrics>>,
    ) -> Self {
        Self {
            policy,
            keep_alive: None,
            handling,
            metrics,
            redelivery: Arc::new(Redelivery {
                name: Arc::clone(name),
                max_deliver: config.max_deliver,
                backoff: config.backoff.clone(),
            }),
        }
    }

    /// Keeps running handlers' messages in progress `every` so often (not needed when
    /// they are acknowledged first).
    pub(super) fn keep_alive(self, every: Option<Duration>) -> Self {
        let keep_alive = every.filter(|_| self.policy != AckPolicy::AckFirst);
        Self { keep_alive, ..self }
    }

    /// `service` with its messages settled as this says.
    pub(super) fn around<D: Dispatch>(self, service: D) -> Acked<D> {
        Acked {
            service,
            acking: self,
        }
    }

    /// `handled`'s result, with the messages of `settles` settled before or after it.
    ///
    /// Not an `async fn`, which would move `handled` (a handler's future, often a
    /// kilobyte) into a local of its own and then into each future awaiting it: here it
    /// is pinned once where the block keeps it, and polled there.
    #[expect(
        clippy::manual_async_fn,
        reason = "an `async fn` would move `handled` once more"
    )]
    fn settle<'a, F>(
        &'a self,
        settles: Option<Settles>,
        handled: F,
    ) -> impl Future<Output = Result<Reply, BoxError>> + 'a
    where
        F: Future<Output = Result<Reply, BoxError>> + 'a,
    {
        async move {
            let mut handled = pin!(handled);
            let Some(settles) = settles else {
                return handled.await;
            };
            self.settle_after(settles, poll_fn(|cx| poll_caught(handled.as_mut(), cx)))
                .await
        }
    }

    /// `handled`'s result (a panic in it already an [`Error::Panic`]), with the messages
    /// of `settles` settled before or after it: a panic is settled and logged as a
    /// failure here, then goes on as one.
    async fn settle_after(
        &self,
        settles: Settles,
        handled: impl Future<Output = Result<Reply, BoxError>>,
    ) -> Result<Reply, BoxError> {
        let ackers = settles.ackers();
        let (policy, keep_alive) = (self.policy, self.keep_alive);
        if policy == AckPolicy::AckFirst {
            for acker in ackers {
                self.settle_one(acker, AckKind::Ack).await;
            }
        }
        let timed = (self.handling.as_ref())
            .filter(|handling| handling.sample())
            .map(|handling| (handling, Instant::now()));
        let result = match keep_alive {
            Some(every) => kept_alive(handled, ackers, every).await,
            None => handled.await,
        };
        if let Some((handling, started)) = timed {
            handling.record(started.elapsed());
        }
        let verdict = match &result {
            Ok(_) => Verdict::Handled,
            Err(error) if is_undecodable(error) => Verdict::Undecodable,
            Err(error) if is_unpublished(error) => Verdict::Unpublished,
            Err(_) => Verdict::Failed,
        };
        let failure = result.as_ref().err().map(|error| Error::describe(error).1);
        for acker in ackers {
            let settlement = if acker.is_settled() {
                None
            } else {
                match (&verdict, policy) {
                    (_, AckPolicy::AckFirst) => None,
                    (Verdict::Undecodable, _) => Some(AckKind::Term),
                    (_, AckPolicy::Manual) => None,
                    (Verdict::Unpublished, _)
                    | (Verdict::Failed, AckPolicy::NackOnError { delay: None }) => {
                        let delay = self.redelivery.nak_delay(acker.info().delivered);
                        Some(AckKind::Nak(Some(delay)))
                    }
                    (Verdict::Failed, AckPolicy::RejectOnError) => Some(AckKind::Term),
                    (Verdict::Handled, _) | (Verdict::Failed, AckPolicy::Ack) => Some(AckKind::Ack),
                    (Verdict::Failed, AckPolicy::NackOnError { delay }) => {
                        Some(AckKind::Nak(delay))
                    }
                }
            };
            if let Some(failure) = &failure {
                self.log_failure(acker, failure, settlement);
            }
            if let Some(kind) = settlement {
                self.settle_one(acker, kind).await;
            }
        }
        result.map_err(|error| -> BoxError { Box::new(Reported(error)) })
    }

    /// Logs the failure of the handler of `acker`'s message, and what `settlement`
    /// (`None`: none by the policy) does with it next.
    #[cold]
    fn log_failure(&self, acker: &Acker, error: &str, settlement: Option<AckKind>) {
        let redelivery = &self.redelivery;
        let info = acker.info();
        let delivered = info.delivered;
        // One line per failure, at `$level`, with the message's place.
        macro_rules! failed {
            ($level:ident, $($message:tt)+) => {
                tracing::$level!(
                    handler = %redelivery.name,
                    stream = %info.stream,
                    consumer = %info.consumer,
                    sequence = info.stream_sequence,
                    delivered,
                    %error,
                    $($message)+
                )
            };
        }
        let next = match settlement {
            Some(AckKind::Nak(_)) if redelivery.exhausted(delivered) => {
                failed!(
                    error,
                    "message failed on its last delivery (max_deliver): the server delivers it no more"
                );
                return;
            }
            Some(AckKind::Nak(delay)) => {
                let wait = delay.map_or(Duration::ZERO, |delay| redelivery.wait(delivered, delay));
                let of = redelivery
                    .max_deliver
                    .map_or_else(String::new, |max| format!(" of {max}"));
                format!("delivered again in {wait:?} (delivery {}{of})", delivered + 1)
            }
            Some(AckKind::Term) if self.policy == AckPolicy::RejectOnError => {
                "terminated: never delivered again (ack policy reject_on_error)".to_owned()
            }
            Some(AckKind::Term) => "terminated: its payload cannot be decoded".to_owned(),
            Some(AckKind::Ack) => {
                "acknowledged all the same (ack policy ack): not delivered again".to_owned()
            }
            Some(AckKind::Progress) | None => match self.policy {
                AckPolicy::AckFirst => "acknowledged before it ran (ack_first): not delivered again".to_owned(),
                _ if acker.is_settled() => "settled by the handler".to_owned(),
                _ => "left unsettled by the handler (manual ack policy): delivered again after ack_wait".to_owned(),
            },
        };
        failed!(warn, "message failed, {next}");
    }
}

impl Acking {
    /// Settles `acker`'s message as `kind` says, counting it (logged if it could not be
    /// sent).
    async fn settle_one(&self, acker: &Acker, kind: AckKind) {
        let settled = match kind {
            AckKind::Progress => acker.in_progress().await,
            kind => acker.settle(kind).await,
        };
        if let (Ok(()), Some(metrics)) = (&settled, &self.metrics) {
            match kind {
                AckKind::Ack => metrics.acked(),
                AckKind::Nak(_) => metrics.nacked(),
                AckKind::Term => metrics.terminated(),
                AckKind::Progress => {}
            }
        }
        send(acker, settled);
    }
}

/// What a message settles: its own delivery, or a batch's.
pub(crate) enum Settles {
    One(Acker),
    Batch(Arc<BatchParts>),
}

impl Settles {
    fn of(message: &Message) -> Option<Self> {
        match Acker::of(message) {
            Some(acker) => Some(Self::One(acker)),
            None => BatchParts::of(message).map(Self::Batch),
        }
    }

    fn ackers(&self) -> &[Acker] {
        match self {
            Self::One(acker) => std::slice::from_ref(acker),
            Self::Batch(parts) => &parts.ackers,
        }
    }
}

/// What the handler's result means for its message.
enum Verdict {
    Handled,
    Failed,
    Undecodable,
    /// Handled, but the result could not be published: handled again, whatever the
    /// policy says of failures.
    Unpublished,
}

/// A subscriber's service whose messages are settled by their ack policy.
pub(crate) struct Acked<D> {
    service: D,
    acking: Acking,
}

/// A message handled in place, with what it settles.
pub(crate) struct AckedInPlace<P> {
    in_place: P,
    settles: Option<Settles>,
}

impl<P: Settle> Settle for AckedInPlace<P> {
    #[inline]
    fn settle(self, name: &str, result: Result<Reply, BoxError>) -> Option<PendingReply> {
        self.in_place.settle(name, result)
    }
}

impl<D: Dispatch> Dispatch for Acked<D> {
    type InPlace = AckedInPlace<D::InPlace>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.service.poll_ready(cx)
    }

    fn call(
        &mut self,
        message: Message,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'static {
        let settles = Settles::of(&message);
        let handled = self.service.call(message);
        let acking = self.acking.clone();
        async move { acking.settle(settles, handled).await }
    }

    fn begin(&mut self, message: Message) -> Self::InPlace {
        AckedInPlace {
            settles: Settles::of(&message),
            in_place: self.service.begin(message),
        }
    }

    fn call_in_place<'a>(
        &'a mut self,
        in_place: &'a mut Self::InPlace,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'a {
        let handled = self.service.call_in_place(&mut in_place.in_place);
        self.acking.settle(in_place.settles.take(), handled)
    }
}

/// `work`'s output; until it is there, the messages of `ackers` are kept in progress
/// `every` so often.
async fn kept_alive<F: Future>(work: F, ackers: &[Acker], every: Duration) -> F::Output {
    let mut work = pin!(work);
    let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            output = &mut work => return output,
            _ = ticks.tick() => {
                for acker in ackers {
                    send(acker, acker.in_progress().await);
                }
            }
        }
    }
}

fn is_undecodable(error: &BoxError) -> bool {
    matches!(error.downcast_ref::<Error>(), Some(Error::Decode { .. }))
}

fn is_unpublished(error: &BoxError) -> bool {
    matches!(error.downcast_ref::<Error>(), Some(Error::Publish { .. }))
}

/// Logs a settlement that could not be sent: the message comes back after `ack_wait`.
fn send(acker: &Acker, sent: crate::error::Result<()>) {
    if let Err(error) = sent {
        let info = acker.info();
        tracing::warn!(
            stream = %info.stream,
            consumer = %info.consumer,
            sequence = info.stream_sequence,
            %error,
            "could not settle a stream message"
        );
    }
}
