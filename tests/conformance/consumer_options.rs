//! A stream subscriber's consumer options, where users write them: in `#[subscriber]`
//! and in the builder, whose calls compose in any order. What the consumer runs with
//! is read back from the server's consumer info.

use std::time::Duration;

use tokio::time::Instant;

use faststream_kv::error::StartupProblemKind;
use faststream_kv::jetstream::{ConsumerConfig, ConsumerInfo, DeliverPolicy, StreamConfig};
use faststream_kv::prelude::*;
use faststream_kv::subscriber::{IntoSubscriber, Subscriber};
use faststream_kv::testing::TestApp;

use super::run;
use crate::support::{Env, Log, eventually};

fn app(env: &Env, log: &Log, subscriber: impl IntoSubscriber) -> App {
    let app = App::new(env.broker())
        .on_startup(async |cx: Lifecycle| {
            let config = StreamConfig {
                subjects: vec!["orders.>".to_owned()],
                ..StreamConfig::default()
            };
            cx.broker().stream("ORDERS").declare(config).await?;
            Ok::<_, Error>(())
        })
        .subscriber(subscriber);
    app.context().insert(log.clone());
    app
}

async fn consumer(app: &TestApp, name: &str) -> Result<ConsumerInfo, Error> {
    app.broker()
        .stream("ORDERS")
        .await?
        .consumer_info(name)
        .await
}

async fn logged(Path(region): Path<String>, Ctx(log): Ctx<Log>) {
    log.push(region);
}

#[subscriber(
    "orders.{region}.created",
    stream = "ORDERS",
    durable = "shipping",
    deliver = "new",
    backoff = ["1s", "1m30s"],
    max_deliver = 5,
    max_ack_pending = 16,
    inactive_threshold = "1h",
    filter_subjects = ["orders.eu.created", "orders.us.created"]
)]
async fn ship(Path(region): Path<String>, Ctx(log): Ctx<Log>) {
    log.push(region);
}

#[test]
fn the_subscriber_macro_sets_the_consumer_options() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let broker = env.broker();
        broker
            .stream("ORDERS")
            .declare(StreamConfig {
                subjects: vec!["orders.>".to_owned()],
                ..StreamConfig::default()
            })
            .await?;
        // Before the consumer: `deliver = "new"` skips it.
        broker.stream_publish("orders.eu.created", "old").await?;
        let app = TestApp::start(app(&env, &log, ship)).await?;
        let config = consumer(&app, "shipping").await?.config;
        assert_eq!(config.deliver, DeliverPolicy::New);
        // The server waits the first backoff step for an acknowledgement.
        assert_eq!(config.ack_wait, Duration::from_secs(1));
        assert_eq!(
            config.backoff,
            [Duration::from_secs(1), Duration::from_secs(90)]
        );
        assert_eq!(config.max_deliver, Some(5));
        assert_eq!(config.max_ack_pending, Some(16));
        assert_eq!(config.inactive_threshold, Some(Duration::from_secs(3600)));
        assert_eq!(
            config.filter_subjects,
            ["orders.eu.created", "orders.us.created"]
        );

        for region in ["asia", "us", "eu"] {
            let subject = format!("orders.{region}.created");
            app.broker().stream_publish(&subject, "new").await?;
        }
        eventually("both filtered regions handled", || log.len() == 2).await;
        let info = consumer(&app, "shipping").await?;
        assert_eq!((info.pending, info.ack_pending), (0, 0));
        assert_eq!(log.entries(), ["us", "eu"]);
        app.stop().await
    })
}

#[subscriber(
    "orders.{region}",
    stream = "ORDERS",
    durable = "replay",
    start_sequence = 2
)]
async fn replay(Path(region): Path<String>, Ctx(log): Ctx<Log>) {
    log.push(region);
}

#[test]
fn the_subscriber_macro_starts_at_a_sequence() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let app = TestApp::start(app(&env, &log, replay)).await?;
        for region in ["eu", "us", "asia"] {
            let subject = format!("orders.{region}");
            app.broker().stream_publish(&subject, "x").await?;
        }
        eventually("from the second on", || log.len() == 2).await;
        assert_eq!(log.entries(), ["us", "asia"]);
        let config = consumer(&app, "replay").await?.config;
        assert_eq!(config.deliver, DeliverPolicy::ByStartSequence(2));
        app.stop().await
    })
}

/// `durable` and `consumer` in either order give the same durable consumer, with the
/// configuration's options and the ones set one by one.
#[test]
fn durable_and_consumer_compose_in_either_order() -> Result<(), Error> {
    run(async |env: Env| {
        let base = ConsumerConfig {
            ack_wait: Duration::from_secs(7),
            max_deliver: Some(4),
            ..ConsumerConfig::ephemeral()
        };
        let subscribers = [
            (
                "before",
                Subscriber::stream("ORDERS", "orders.{region}", logged)
                    .durable("before")
                    .max_ack_pending(3)
                    .consumer(base.clone()),
            ),
            (
                "after",
                Subscriber::stream("ORDERS", "orders.{region}", logged)
                    .consumer(base.clone())
                    .max_ack_pending(3)
                    .durable("after"),
            ),
        ];
        for (durable, subscriber) in subscribers {
            let app = TestApp::start(app(&env, &Log::default(), subscriber)).await?;
            let config = consumer(&app, durable).await?.config;
            assert_eq!(config.durable.as_deref(), Some(durable));
            assert_eq!(config.ack_wait, Duration::from_secs(7));
            assert_eq!(config.max_deliver, Some(4));
            assert_eq!(config.max_ack_pending, Some(3));
            app.stop().await?;
        }
        Ok(())
    })
}

#[test]
fn a_filter_outside_the_pattern_is_a_startup_error() -> Result<(), Error> {
    run(async |env: Env| {
        let subscriber = Subscriber::stream("ORDERS", "orders.{region}.created", logged)
            .filter_subjects(["orders.eu.created", "orders.eu.shipped"]);
        match app(&env, &Log::default(), subscriber).start().await {
            Err(Error::Startup { problems, .. }) => {
                let [problem] = problems.as_slice() else {
                    panic!("one problem expected: {problems:?}");
                };
                assert!(
                    matches!(
                        &problem.kind,
                        StartupProblemKind::FilterOutsidePattern { filter, .. }
                            if filter == "orders.eu.shipped"
                    ),
                    "{problem}"
                );
            }
            other => panic!("expected a startup error, got {:?}", other.map(|_| ())),
        }
        Ok(())
    })
}

#[subscriber(
    "orders.{region}",
    stream = "ORDERS",
    durable = "retry",
    ack_policy = "nack_on_error",
    nak_delay = "1s",
    max_deliver = 2
)]
async fn refused(Path(region): Path<String>, Ctx(log): Ctx<Log>) -> Result<(), Error> {
    log.push(region);
    Err(Error::msg("refused"))
}

#[test]
fn the_subscriber_macro_sets_the_nak_delay() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let app = TestApp::start(app(&env, &log, refused)).await?;
        app.broker().stream_publish("orders.eu", "x").await?;
        eventually("handled", || log.len() == 1).await;
        let failed = Instant::now();
        eventually("delivered again", || log.len() == 2).await;
        let waited = failed.elapsed();
        assert!(waited >= Duration::from_millis(900), "{waited:?}");
        app.stop().await
    })
}
