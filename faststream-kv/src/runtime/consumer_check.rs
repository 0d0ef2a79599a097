//! Looking at a stream subscriber's consumer after a sign that it may be gone (a lost
//! or failed pull, a push subscription that ended or stayed silent), and declaring it
//! again from the subscriber's configuration if it is: an operator deleted it, or its
//! stream. The loss is reported as [`ConnectionEvent::ConsumerGone`] and shown in the
//! app's health while the consumer cannot be declared again. It is declared again
//! only if it is still gone a moment later: a server that just restarted may answer
//! "not found" before JetStream has recovered it, and a consumer declared anew would
//! lose its state.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;

use super::max_deliveries::ConsumerName;
use crate::broker::Broker;
use crate::connection_event::ConnectionEvent;
use crate::error::{Error, Result};
use crate::jetstream::{Consumer, ConsumerInfo, PushConsumer};

/// How long a consumer must stay gone before it is declared again.
const STILL_GONE: Duration = Duration::from_secs(1);

/// Declares a stream subscriber's consumer (and its stream, if the subscriber declares
/// it) again, from the subscriber's own configuration.
pub(crate) type Redeclare<C> = Arc<dyn Fn() -> BoxFuture<'static, Result<C>> + Send + Sync>;

/// A consumer handle the check can look at.
pub(crate) trait Declared: Clone + Send + Sync + 'static {
    fn name(&self) -> &str;
    fn info(&self) -> impl Future<Output = Result<ConsumerInfo>> + Send;
}

impl Declared for Consumer {
    fn name(&self) -> &str {
        Consumer::name(self)
    }

    fn info(&self) -> impl Future<Output = Result<ConsumerInfo>> + Send {
        Consumer::info(self)
    }
}

impl Declared for PushConsumer {
    fn name(&self) -> &str {
        PushConsumer::name(self)
    }

    fn info(&self) -> impl Future<Output = Result<ConsumerInfo>> + Send {
        PushConsumer::info(self)
    }
}

/// What a finished check found.
pub(crate) enum Checked<C> {
    /// The consumer is there, or could not be declared again (logged; a later sign
    /// checks again).
    Unchanged,
    /// It was gone, and this one was declared in its place.
    Redeclared(C),
}

/// Who is told of a stream subscriber's consumer's loss, and how.
#[derive(Clone)]
pub(crate) struct Reporting {
    /// The subscriber's name.
    pub(crate) subscriber: Arc<str>,
    pub(crate) stream: Arc<str>,
    /// Where the loss is reported.
    pub(crate) broker: Broker,
    /// Set while the consumer is gone and not declared again (the app's health reads
    /// it).
    pub(crate) missing: Arc<AtomicBool>,
    /// The name its max-deliveries advisories are watched for, if they are.
    pub(crate) consumer_name: Option<ConsumerName>,
}

/// What the check of one subscriber's consumer needs, and the check under way.
pub(crate) struct ConsumerCheck<C> {
    redeclare: Redeclare<C>,
    reporting: Reporting,
    under_way: Option<BoxFuture<'static, Option<Result<C>>>>,
}

impl<C: Declared> ConsumerCheck<C> {
    pub(crate) fn new(reporting: Reporting, redeclare: Redeclare<C>) -> Self {
        Self {
            redeclare,
            reporting,
            under_way: None,
        }
    }

    /// Looks at `consumer`, unless a look is under way.
    pub(crate) fn start(&mut self, consumer: &C) {
        if self.under_way.is_some() {
            return;
        }
        let (consumer, redeclare) = (consumer.clone(), Arc::clone(&self.redeclare));
        let check = async move {
            let gone = async || {
                matches!(
                    consumer.info().await,
                    Err(Error::ConsumerNotFound { .. } | Error::StreamNotFound { .. })
                )
            };
            if !gone().await {
                return None;
            }
            tokio::time::sleep(STILL_GONE).await;
            if !gone().await {
                return None;
            }
            Some(redeclare().await)
        };
        self.under_way = Some(check.boxed());
    }

    /// Drives the check under way; `Pending` without one.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Checked<C>> {
        let Some(check) = &mut self.under_way else {
            return Poll::Pending;
        };
        let Poll::Ready(found) = Pin::new(check).poll(cx) else {
            return Poll::Pending;
        };
        self.under_way = None;
        let Some(redeclared) = found else {
            return Poll::Ready(Checked::Unchanged);
        };
        let reporting = &self.reporting;
        let declared_again = redeclared.is_ok();
        let was_missing = reporting.missing.swap(!declared_again, Ordering::AcqRel);
        if declared_again || !was_missing {
            reporting.broker.report(ConnectionEvent::ConsumerGone {
                subscriber: reporting.subscriber.to_string(),
                stream: reporting.stream.to_string(),
                declared_again,
            });
        }
        Poll::Ready(match redeclared {
            Ok(consumer) => {
                if let Some(name) = &reporting.consumer_name {
                    name.set(consumer.name());
                }
                Checked::Redeclared(consumer)
            }
            Err(error) => {
                tracing::error!(handler = %reporting.subscriber, %error, "consumer gone: could not declare it again");
                Checked::Unchanged
            }
        })
    }
}
