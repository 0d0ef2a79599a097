//! Stream subscribers through a push consumer (`.push()`, `push = true`): the ack
//! policies' effects, workers without duplicates, a durable shared by two instances,
//! messages received and unhandled at shutdown going to the next instance at once.

use std::time::Duration;

use faststream_kv::jetstream::{AckPolicy, ConsumerConfig, MessageInfo, StreamConfig};
use faststream_kv::prelude::*;
use faststream_kv::subscriber::{OnStream, Subscriber};
use faststream_kv::testing::TestApp;

use super::run;
use crate::support::{Env, Log, consumer_gone, eventually, eventually_async};

/// Logs `<body> <delivery>`; fails on a body of `fail`.
async fn on_order(body: String, info: MessageInfo, Ctx(log): Ctx<Log>) -> Result<(), Error> {
    log.push(format!("{body} {}", info.delivered));
    if body == "fail" {
        return Err(Error::msg("refused"));
    }
    Ok(())
}

async fn slow(body: String, Ctx(log): Ctx<Log>) {
    tokio::time::sleep(Duration::from_millis(50)).await;
    log.push(body);
}

fn app(env: &Env, log: &Log, subscriber: Subscriber<OnStream>) -> App {
    let app = App::new(env.broker())
        .on_startup(async |cx: Lifecycle| {
            cx.broker()
                .stream("ORDERS")
                .declare(StreamConfig {
                    subjects: vec!["orders.>".to_owned()],
                    ..StreamConfig::default()
                })
                .await?;
            Ok::<_, Error>(())
        })
        .subscriber(subscriber);
    app.context().insert(log.clone());
    app
}

fn pushed(ack: AckPolicy) -> Subscriber<OnStream> {
    Subscriber::stream("ORDERS", "orders.*", on_order)
        .consumer(ConsumerConfig {
            ack_wait: Duration::from_secs(1),
            max_deliver: Some(3),
            ..ConsumerConfig::durable("billing")
        })
        .ack_policy(ack)
        .push()
}

async fn ack_pending(app: &TestApp) -> Result<u64, Error> {
    let stream = app.broker().stream("ORDERS").await?;
    Ok(stream.consumer_info("billing").await?.ack_pending)
}

fn sorted_numbers(log: &Log) -> Vec<u32> {
    let mut numbers: Vec<u32> = log
        .entries()
        .iter()
        .map(|entry| entry.parse().unwrap_or(u32::MAX))
        .collect();
    numbers.sort_unstable();
    numbers
}

#[test]
fn a_push_subscriber_acks_successes_and_terms_failures() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let app = TestApp::start(app(&env, &log, pushed(AckPolicy::RejectOnError))).await?;
        app.broker().stream_publish("orders.eu", "ok").await?;
        app.broker().stream_publish("orders.us", "fail").await?;
        eventually("both handled", || log.len() == 2).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(log.entries(), ["ok 1", "fail 1"]);
        assert_eq!(ack_pending(&app).await?, 0);
        app.stop().await
    })
}

#[test]
fn a_push_subscriber_naks_failures_under_nack_on_error() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let policy = AckPolicy::NackOnError { delay: None };
        let app = TestApp::start(app(&env, &log, pushed(policy))).await?;
        app.broker().stream_publish("orders.us", "fail").await?;
        eventually("delivered until max_deliver", || log.len() == 3).await;
        assert_eq!(log.entries(), ["fail 1", "fail 2", "fail 3"]);
        app.stop().await
    })
}

#[test]
fn push_workers_handle_messages_at_once_without_duplicates() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let subscriber = Subscriber::stream("ORDERS", "orders.*", slow)
            .durable("billing")
            .max_workers(16)
            .push();
        let app = TestApp::start(app(&env, &log, subscriber)).await?;
        let started = std::time::Instant::now();
        for index in 0..64 {
            app.broker()
                .stream_publish("orders.eu", index.to_string())
                .await?;
        }
        eventually("all handled", || log.len() == 64).await;
        // One at a time would take 3.2 s.
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(sorted_numbers(&log), (0..64).collect::<Vec<_>>());
        eventually_async("all acknowledged", async || {
            ack_pending(&app).await.is_ok_and(|pending| pending == 0)
        })
        .await;
        app.stop().await
    })
}

#[test]
fn two_instances_share_a_durable_push_subscriber() -> Result<(), Error> {
    run(async |env: Env| {
        let (one_log, other_log) = (Log::default(), Log::default());
        let subscriber = || {
            Subscriber::stream("ORDERS", "orders.*", slow)
                .durable("billing")
                .max_workers(4)
                .push()
        };
        let one = TestApp::start(app(&env, &one_log, subscriber())).await?;
        let other = TestApp::start(app(&env, &other_log, subscriber())).await?;
        for index in 0..40 {
            one.broker()
                .stream_publish("orders.eu", index.to_string())
                .await?;
        }
        eventually("all handled", || one_log.len() + other_log.len() == 40).await;
        assert!(
            !one_log.is_empty() && !other_log.is_empty(),
            "both took some"
        );
        let all = Log::default();
        for entry in one_log.entries().into_iter().chain(other_log.entries()) {
            all.push(entry);
        }
        assert_eq!(sorted_numbers(&all), (0..40).collect::<Vec<_>>());
        one.stop().await?;
        other.stop().await
    })
}

/// At shutdown, messages the server pushed and no handler started are nak'd: the next
/// instance gets them at once, not after the consumer's `ack_wait` (30 s here).
#[test]
fn pushed_messages_left_at_shutdown_go_to_the_next_instance_at_once() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let subscriber = || {
            Subscriber::stream("ORDERS", "orders.*", slow)
                .durable("billing")
                .push()
        };
        let first = TestApp::start(app(&env, &log, subscriber())).await?;
        for index in 0..20 {
            first
                .broker()
                .stream_publish("orders.eu", index.to_string())
                .await?;
        }
        eventually("the first one handled", || !log.is_empty()).await;
        first.stop().await?;
        assert!(log.len() < 20, "the first instance handled them all");
        let asked = std::time::Instant::now();
        let second = TestApp::start(app(&env, &log, subscriber())).await?;
        eventually("the rest handled", || log.len() >= 20).await;
        assert!(
            asked.elapsed() < Duration::from_secs(20),
            "{:?}",
            asked.elapsed()
        );
        let mut numbers = sorted_numbers(&log);
        numbers.dedup();
        assert_eq!(numbers, (0..20).collect::<Vec<_>>());
        second.stop().await
    })
}

#[subscriber("orders.{region}", stream = "ORDERS", durable = "macro", push = true)]
async fn declared(Path(region): Path<String>, info: MessageInfo, Ctx(log): Ctx<Log>) {
    log.push(format!("{region} {} {}", info.consumer, info.delivered));
}

#[test]
fn the_subscriber_macro_declares_push_subscribers() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let app = App::new(env.broker()).subscriber(declared);
        app.context().insert(log.clone());
        let app = TestApp::start(app).await?;
        app.broker().stream_publish("orders.eu", "x").await?;
        eventually("handled", || log.len() == 1).await;
        assert_eq!(log.entries(), ["eu macro 1"]);
        let stream = app.broker().stream("ORDERS").await?;
        assert!(
            stream
                .create_consumer(ConsumerConfig::durable("macro"))
                .await
                .is_err(),
            "a push consumer"
        );
        app.stop().await
    })
}

/// A push durable deleted under a running subscriber (by an operator) is noticed,
/// though its subscription hears nothing of it: declared again from the subscriber's
/// configuration, reported as an event, and consumption goes on. An ephemeral one
/// (with heartbeats and flow control on a server) delivers as a durable does.
#[test]
fn a_deleted_push_durable_is_declared_again_and_consumption_goes_on() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let app = TestApp::start(app(&env, &log, pushed(AckPolicy::Ack))).await?;
        let mut events = app.broker().events();
        app.broker().stream_publish("orders.eu", "first").await?;
        eventually("the first handled", || log.len() == 1).await;
        let stream = app.broker().stream("ORDERS").await?;
        stream.delete_consumer("billing").await?;
        assert_eq!(
            consumer_gone(&mut events).await,
            Some(("on_order".to_owned(), "ORDERS".to_owned(), true))
        );
        stream.consumer_info("billing").await?;
        app.broker().stream_publish("orders.eu", "second").await?;
        eventually("the next handled", || {
            log.entries().contains(&"second 1".to_owned())
        })
        .await;
        assert!(app.running().health().is_alive());
        app.stop().await
    })
}

#[test]
fn an_ephemeral_push_subscriber_delivers_every_message() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let subscriber = Subscriber::stream("ORDERS", "orders.*", on_order).push();
        let app = TestApp::start(app(&env, &log, subscriber)).await?;
        // Large enough for the server to ask for flow control on the way.
        let payload = "x".repeat(16 * 1024);
        for _ in 0..200 {
            app.broker()
                .stream_publish("orders.eu", payload.clone())
                .await?;
        }
        eventually("all handled", || log.len() == 200).await;
        app.stop().await
    })
}
