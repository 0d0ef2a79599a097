//! A stream subscriber's ack policy around its service, in the consume loop itself (no
//! box per message): the message's [`Acker`] (or a batch's) taken from its
//! extensions, acknowledged before the handler (`AckFirst`) or settled after it by its
//! result; a payload that cannot be decoded is terminated whatever the policy, and a
//! panic counts as a failure (then goes on to the consume loop); a result that could not
//! be published is nak'd whatever the policy. With keep-alive, a
//! running handler's message is kept in progress.

use std::panic::{AssertUnwindSafe, resume_unwind};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt;
use tokio::time::{Instant, MissedTickBehavior};

use super::dispatch::Dispatch;
use super::handling_time::HandlingTime;
use super::metrics::SubscriberMetrics;
use super::outcome::{PendingReply, Settle};
use crate::error::{BoxError, Error};
use crate::jetstream::store::AckKind;
use crate::jetstream::{AckPolicy, Acker, BatchParts};
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
    /// Where handler durations go.
    handling: HandlingTime,
    /// Where settlements are counted.
    metrics: Option<Arc<SubscriberMetrics>>,
}

impl Acking {
    pub(super) fn new(
        policy: AckPolicy,
        handling: HandlingTime,
        metrics: Option<Arc<SubscriberMetrics>>,
    ) -> Self {
        Self {
            policy,
            keep_alive: None,
            handling,
            metrics,
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
    async fn settle<F>(&self, settles: Option<Settles>, handled: F) -> Result<Reply, BoxError>
    where
        F: Future<Output = Result<Reply, BoxError>>,
    {
        let Some(settles) = settles else {
            return handled.await;
        };
        let ackers = settles.ackers();
        let (policy, keep_alive) = (self.policy, self.keep_alive);
        if policy == AckPolicy::AckFirst {
            for acker in ackers {
                self.settle_one(acker, AckKind::Ack).await;
            }
        }
        let handled = AssertUnwindSafe(handled).catch_unwind();
        let started = Instant::now();
        let result = match keep_alive {
            Some(every) => kept_alive(handled, ackers, every).await,
            None => handled.await,
        };
        self.handling.record(started.elapsed());
        let verdict = match &result {
            Ok(Ok(_)) => Verdict::Handled,
            Ok(Err(error)) if is_undecodable(error) => Verdict::Undecodable,
            Ok(Err(error)) if is_unpublished(error) => Verdict::Unpublished,
            _ => Verdict::Failed,
        };
        for acker in ackers.iter().filter(|acker| !acker.is_settled()) {
            let settlement = match (&verdict, policy) {
                (_, AckPolicy::AckFirst) => None,
                (Verdict::Undecodable, _) => Some(AckKind::Term),
                (_, AckPolicy::Manual) => None,
                (Verdict::Unpublished, _) => Some(AckKind::Nak(None)),
                (Verdict::Failed, AckPolicy::RejectOnError) => Some(AckKind::Term),
                (Verdict::Handled, _) | (Verdict::Failed, AckPolicy::Ack) => Some(AckKind::Ack),
                (Verdict::Failed, AckPolicy::NackOnError { delay }) => Some(AckKind::Nak(delay)),
            };
            if let Some(kind) = settlement {
                self.settle_one(acker, kind).await;
            }
        }
        match result {
            Ok(result) => result,
            Err(panic) => resume_unwind(panic),
        }
    }
}

impl Acking {
    /// Settles `acker`'s message as `kind` says, counting it (logged if it could not be
    /// sent).
    async fn settle_one(&self, acker: &Acker, kind: AckKind) {
        let settled = match kind {
            AckKind::Ack => acker.ack().await,
            AckKind::Nak(delay) => acker.nak(delay).await,
            AckKind::Term => acker.term().await,
            AckKind::Progress => acker.in_progress().await,
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
