//! Starting a stream subscriber's source: its stream declared (if it declares it), its
//! consumer created, the messages pulled or pushed, how they are settled, and what
//! watches the consumer (its loss, the server giving up on a message).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use futures::future::BoxFuture;

use super::acking::Acking;
use super::consumer_check::{ConsumerCheck, Redeclare, Reporting};
use super::fetching::{Fetched, Fetching};
use super::handling_time::HandlingTime;
use super::incoming::Incoming;
use super::max_deliveries::{ConsumerName, MaxDeliveriesWatch};
use super::metrics::SubscriberMetrics;
use super::pushed::Pushed;
use super::{Delivery, Source};
use crate::broker::Broker;
use crate::error::Result;
use crate::jetstream::{
    AckPolicy, ConsumerAckPolicy, ConsumerConfig, DEFAULT_MAX_ACK_PENDING, Stream,
};

/// A started stream source.
pub(super) struct StreamStarted {
    pub(super) incoming: Incoming,
    pub(super) acking: Acking,
    /// Set while the consumer is gone and not declared again.
    pub(super) missing: Arc<AtomicBool>,
    pub(super) max_deliveries: Option<MaxDeliveriesWatch>,
}

/// The subscriber `name`, consuming `subject` as `source` (a [`Source::Stream`]) says,
/// with `max_workers` workers.
pub(super) async fn start(
    broker: &Broker,
    name: &Arc<str>,
    subject: &str,
    source: &Source,
    max_workers: usize,
    metrics: Option<Arc<SubscriberMetrics>>,
) -> Result<StreamStarted> {
    let Source::Stream {
        stream: stream_name,
        consumer,
        ack,
        delivery,
        batches,
        declare,
        keep_alive,
    } = source
    else {
        unreachable!("a stream source");
    };
    let mut config = ConsumerConfig::clone(consumer);
    if config.filter_subjects.is_empty() {
        config.filter_subjects = vec![subject.to_owned()];
    }
    let stream_name: Arc<str> = stream_name.as_str().into();
    let stream = declared(broker, &stream_name, subject, *declare).await?;
    let ack_wait = config.shortest_ack_wait();
    // Only pulls are sized by how long handlers take: a push subscriber's are not timed.
    let handling = matches!(delivery, Delivery::Pull { .. }).then(HandlingTime::default);
    let acking = Acking::new(*ack, name, &config, handling.clone(), metrics)
        .keep_alive(keep_alive.then_some(ack_wait / 2));
    let nak_when_dropped = *ack != AckPolicy::Manual;
    // A consumer that waits for no acknowledgement has no limit unless one is set.
    let max_ack_pending = match (config.max_ack_pending, config.ack_policy) {
        (Some(max), _) => max,
        (None, ConsumerAckPolicy::None) => u64::MAX,
        (None, _) => DEFAULT_MAX_ACK_PENDING,
    };
    let missing = Arc::new(AtomicBool::new(false));
    let mut max_deliveries = None;
    // The server's word that it gave up on a message, watched only when it may.
    let mut watch_max_deliveries = async |consumer: &str| -> Result<_> {
        if config.max_deliver.is_none() {
            return Ok(None);
        }
        let consumer = ConsumerName::new(consumer);
        let (subscriber, stream) = (Arc::clone(name), Arc::clone(&stream_name));
        let watch = MaxDeliveriesWatch::start(broker, subscriber, stream, consumer.clone());
        max_deliveries = Some(watch.await?);
        Ok(Some(consumer))
    };
    let reporting = |consumer_name| Reporting {
        subscriber: Arc::clone(name),
        stream: Arc::clone(&stream_name),
        broker: broker.clone(),
        missing: Arc::clone(&missing),
        consumer_name,
    };
    let incoming = match *delivery {
        Delivery::Pull { batch, max_wait } => {
            let consumer = stream.create_consumer(config.clone()).await?;
            let redeclare = redeclare(
                broker,
                &stream_name,
                subject,
                *declare,
                &config,
                |stream, config| Box::pin(async move { stream.create_consumer(config).await }),
            );
            let fetching = Fetching {
                max_ack_pending: usize::try_from(max_ack_pending).unwrap_or(usize::MAX),
                check: ConsumerCheck::new(
                    reporting(watch_max_deliveries(consumer.name()).await?),
                    redeclare,
                ),
                consumer,
                // A worker holds a whole batch.
                max_workers: max_workers * batches.unwrap_or(1),
                batch,
                max_wait,
                ack_wait,
                handling: handling.unwrap_or_default(),
                nak_when_dropped,
                name: Arc::clone(name),
            };
            Incoming::Stream(Box::new(Fetched::new(fetching)))
        }
        Delivery::Push => {
            let consumer = stream.create_push_consumer(config.clone()).await?;
            let redeclare = redeclare(
                broker,
                &stream_name,
                subject,
                *declare,
                &config,
                |stream, config| Box::pin(async move { stream.create_push_consumer(config).await }),
            );
            let reporting = reporting(watch_max_deliveries(consumer.name()).await?);
            let check = ConsumerCheck::new(reporting, redeclare);
            let messages = consumer.messages().await?;
            let pushed = Pushed::new(
                consumer,
                messages,
                nak_when_dropped,
                Arc::clone(name),
                check,
            );
            Incoming::Pushed(Box::new(pushed))
        }
    };
    let incoming = match batches {
        Some(size) => Incoming::Batched(Box::new(super::batching::Batched::new(incoming, *size))),
        None => incoming,
    };
    Ok(StreamStarted {
        incoming,
        acking,
        missing,
        max_deliveries,
    })
}

/// Stream `name`, declared with `subject` first if the subscriber declares it.
async fn declared(broker: &Broker, name: &str, subject: &str, declare: bool) -> Result<Stream> {
    let binding = broker.stream(name);
    if declare {
        binding.with_subject(subject).await
    } else {
        binding.await
    }
}

/// Declares a stream subscriber's consumer again from `config` with `create`, and its
/// stream first (with the subscriber's subject) if the subscriber declares it.
fn redeclare<C: Send + 'static>(
    broker: &Broker,
    stream: &Arc<str>,
    subject: &str,
    declare: bool,
    config: &ConsumerConfig,
    create: fn(Stream, ConsumerConfig) -> BoxFuture<'static, Result<C>>,
) -> Redeclare<C> {
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
            let stream = declared(&broker, &stream, &subject, declare).await?;
            create(stream, config).await
        })
    })
}
