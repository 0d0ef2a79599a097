//! Failed stream messages come back without a hot loop: a nak without a delay of its
//! own waits a delay growing with the delivery count, or the consumer's backoff step
//! (the server counts a nak's delay from `ack_wait`); `max_deliver` ends it. Each
//! failure is logged once, saying what happens next, with the stream sequence and the
//! delivery count; the last delivery's failure is an error.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use faststream_kv::ConnectionEvent;
use faststream_kv::jetstream::{AckPolicy, ConsumerConfig, MessageInfo, StreamConfig, nak_delay};
use faststream_kv::prelude::*;
use faststream_kv::subscriber::{OnStream, Subscriber};
use faststream_kv::testing::TestApp;
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::time::Instant;
use tracing::Level;

use super::run;
use crate::span_recorder::SpanRecorder;
use crate::support::{Env, eventually, on_one_thread};

/// When each delivery of a message came, in order.
#[derive(Clone, Default)]
struct Deliveries(Arc<Mutex<Vec<(u64, Instant)>>>);

impl Deliveries {
    fn all(&self) -> Vec<(u64, Instant)> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The time between consecutive deliveries.
    fn gaps(&self) -> Vec<Duration> {
        let all = self.all();
        all.windows(2).map(|pair| pair[1].1 - pair[0].1).collect()
    }
}

/// Records the delivery, and fails.
async fn failing(info: MessageInfo, Ctx(deliveries): Ctx<Deliveries>) -> Result<(), Error> {
    deliveries
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((info.delivered, Instant::now()));
    Err(Error::msg("unknown SKU"))
}

fn app(env: &Env, deliveries: &Deliveries, subscribers: Vec<Subscriber<OnStream>>) -> App {
    let app = App::new(env.broker()).on_startup(async |cx: Lifecycle| {
        let config = StreamConfig {
            subjects: vec!["orders.>".to_owned()],
            ..StreamConfig::default()
        };
        cx.broker().stream("ORDERS").declare(config).await?;
        Ok::<_, Error>(())
    });
    app.context().insert(deliveries.clone());
    subscribers.into_iter().fold(app, App::subscriber)
}

fn failing_on(subject: &str, policy: AckPolicy, consumer: ConsumerConfig) -> Subscriber<OnStream> {
    let name = consumer.durable.clone().expect("a durable");
    Subscriber::stream("ORDERS", subject, failing)
        .durable(name)
        .consumer(consumer)
        .ack_policy(policy)
}

#[test]
fn a_nak_without_a_delay_waits_longer_with_each_delivery() -> Result<(), Error> {
    run(async |env: Env| {
        let deliveries = Deliveries::default();
        let consumer = ConsumerConfig {
            max_deliver: Some(3),
            ..ConsumerConfig::durable("retry")
        };
        let policy = AckPolicy::NackOnError { delay: None };
        let subscriber = failing_on("orders.retry", policy, consumer);
        let app = TestApp::start(app(&env, &deliveries, vec![subscriber])).await?;
        app.broker().stream_publish("orders.retry", "sku-9").await?;
        eventually("three deliveries", || deliveries.all().len() == 3).await;
        let gaps = deliveries.gaps();
        for (delivered, gap) in (1..).zip(&gaps) {
            let delay = nak_delay(delivered);
            assert!(
                *gap >= delay && *gap < delay + Duration::from_millis(700),
                "delivery {} came {gap:?} after the one before, not {delay:?}",
                delivered + 1
            );
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(deliveries.all().len(), 3, "max_deliver ends it");
        app.stop().await
    })
}

#[test]
fn a_nak_without_a_delay_follows_the_consumer_backoff() -> Result<(), Error> {
    run(async |env: Env| {
        let deliveries = Deliveries::default();
        let steps = [Duration::from_millis(200), Duration::from_millis(900)];
        let consumer = ConsumerConfig {
            ack_wait: steps[0],
            backoff: steps.to_vec(),
            max_deliver: Some(3),
            ..ConsumerConfig::durable("backoff")
        };
        let policy = AckPolicy::NackOnError { delay: None };
        let subscriber = failing_on("orders.backoff", policy, consumer);
        let app = TestApp::start(app(&env, &deliveries, vec![subscriber])).await?;
        app.broker()
            .stream_publish("orders.backoff", "sku-9")
            .await?;
        eventually("three deliveries", || deliveries.all().len() == 3).await;
        let gaps = deliveries.gaps();
        for (step, gap) in steps.iter().zip(&gaps) {
            assert!(
                gap >= step && *gap < *step + Duration::from_millis(600),
                "gaps {gaps:?}, not the backoff {steps:?}"
            );
        }
        app.stop().await
    })
}

#[test]
fn each_failure_is_logged_once_with_what_happens_next() -> Result<(), Error> {
    run(async |env: Env| {
        let deliveries = Deliveries::default();
        let retried = failing_on(
            "orders.retry",
            AckPolicy::NackOnError { delay: None },
            ConsumerConfig {
                max_deliver: Some(2),
                ..ConsumerConfig::durable("retry")
            },
        );
        let rejected = failing_on(
            "orders.reject",
            AckPolicy::RejectOnError,
            ConsumerConfig::durable("reject"),
        );
        let app = app(&env, &deliveries, vec![retried, rejected]);
        let recorder = SpanRecorder::new(Level::WARN);
        let events = recorder.clone();
        let seen = deliveries.clone();
        on_one_thread(async move {
            let _default = tracing::subscriber::set_default(recorder);
            let app = TestApp::start(app).await?;
            app.broker().stream_publish("orders.retry", "a").await?;
            app.broker().stream_publish("orders.reject", "b").await?;
            eventually("three deliveries", || seen.all().len() == 3).await;
            // Whatever would come after the last: nothing does.
            tokio::time::sleep(Duration::from_millis(700)).await;
            app.stop().await
        })
        .await?;
        let failures: Vec<(Level, String)> = events
            .events()
            .into_iter()
            .filter(|(_, text)| text.contains("failed"))
            .collect();
        assert_eq!(failures.len(), 3, "one line per failure: {failures:?}");
        let line = |needle: &str| {
            failures
                .iter()
                .find(|(_, text)| text.contains(needle))
                .unwrap_or_else(|| panic!("no line with {needle:?} in {failures:?}"))
                .clone()
        };
        let (level, retry) = line("delivered again in 250ms (delivery 2 of 2)");
        assert_eq!(level, Level::WARN);
        for field in ["sequence=1", "delivered=1", "consumer=retry", "unknown SKU"] {
            assert!(retry.contains(field), "{field} in {retry}");
        }
        let (level, last) = line("last delivery (max_deliver)");
        assert_eq!(level, Level::ERROR);
        assert!(last.contains("delivered=2"), "{last}");
        let (level, terminated) = line("terminated: never delivered again");
        assert_eq!(level, Level::WARN);
        assert!(terminated.contains("sequence=2"), "{terminated}");
        Ok(())
    })
}

/// What the app's events say about the messages its consumers gave up on.
async fn given_up(events: &mut BoxStream<'static, ConnectionEvent>) -> Option<(String, u64, u64)> {
    let wait = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = events.next().await {
            if let ConnectionEvent::MaxDeliveries {
                subscriber,
                stream,
                consumer,
                stream_sequence,
                deliveries,
                ..
            } = event
            {
                assert_eq!(
                    (subscriber.as_str(), stream.as_str()),
                    ("failing", "ORDERS")
                );
                return Some((consumer, stream_sequence, deliveries));
            }
        }
        None
    });
    wait.await.ok().flatten()
}

/// The server's max-deliveries advisory comes as an event, whether the last handler
/// failed or the last delivery's `ack_wait` ran out; a dead-letter stream stores it.
#[test]
fn giving_up_at_max_deliver_is_reported_as_an_event() -> Result<(), Error> {
    run(async |env: Env| {
        let deliveries = Deliveries::default();
        let nak = failing_on(
            "orders.nak",
            AckPolicy::NackOnError {
                delay: Some(Duration::ZERO),
            },
            ConsumerConfig {
                max_deliver: Some(2),
                ..ConsumerConfig::durable("nak")
            },
        );
        // Never settled: the server waits out `ack_wait`.
        let unsettled = failing_on(
            "orders.unsettled",
            AckPolicy::Manual,
            ConsumerConfig {
                max_deliver: Some(1),
                ack_wait: Duration::from_millis(300),
                ..ConsumerConfig::durable("unsettled")
            },
        );
        let app = app(&env, &deliveries, vec![nak, unsettled]).on_startup(async |cx: Lifecycle| {
            let config = StreamConfig {
                subjects: vec!["$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.*".to_owned()],
                ..StreamConfig::default()
            };
            cx.broker().stream("DEAD_LETTERS").declare(config).await?;
            Ok::<_, Error>(())
        });
        let app = TestApp::start(app).await?;
        let mut events = app.broker().events();
        app.broker().stream_publish("orders.nak", "a").await?;
        assert_eq!(given_up(&mut events).await, Some(("nak".to_owned(), 1, 2)));
        app.broker().stream_publish("orders.unsettled", "b").await?;
        assert_eq!(
            given_up(&mut events).await,
            Some(("unsettled".to_owned(), 2, 1))
        );

        let dead_letters = app.broker().stream("DEAD_LETTERS").await?;
        let first = dead_letters
            .message(1)
            .await?
            .expect("the first advisory stored");
        assert_eq!(
            first.subject,
            "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.nak"
        );
        let advisory: serde_json::Value =
            serde_json::from_slice(&first.payload).expect("the advisory is JSON");
        assert_eq!(
            advisory["type"],
            "io.nats.jetstream.advisory.v1.max_deliver"
        );
        assert_eq!(advisory["stream_seq"], 1);
        assert_eq!(advisory["deliveries"], 2);
        assert!(
            advisory["timestamp"]
                .as_str()
                .is_some_and(|time| time.ends_with('Z'))
        );
        app.stop().await
    })
}
