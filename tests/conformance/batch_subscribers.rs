//! Batch handlers (`.batches(n)`, `batch = n`): a `Batch<T>` of what the consumer
//! delivered, up to n; settled as a whole by the ack policy, or message by message
//! under `Manual`; undecodable messages terminated and left out.

use std::time::Duration;

use faststream_kv::error::StartupProblemKind;
use faststream_kv::extract::Batch;
use faststream_kv::jetstream::{AckPolicy, ConsumerConfig, StreamConfig};
use faststream_kv::prelude::*;
use faststream_kv::subscriber::{OnStream, Subscriber};
use faststream_kv::testing::TestApp;

use super::run;
use crate::support::{Env, Log, eventually, eventually_async};

#[derive(Deserialize)]
struct Order {
    id: u32,
}

async fn declare(broker: &Broker) -> Result<(), Error> {
    broker
        .stream("ORDERS")
        .declare(StreamConfig {
            subjects: vec!["orders.>".to_owned()],
            ..StreamConfig::default()
        })
        .await?;
    Ok(())
}

async fn publish_orders(broker: &Broker, ids: impl IntoIterator<Item = u32>) -> Result<(), Error> {
    for id in ids {
        broker
            .stream_publish("orders.eu", format!(r#"{{"id": {id}}}"#))
            .await?;
    }
    Ok(())
}

fn app(env: &Env, log: &Log, subscriber: Subscriber<OnStream>) -> App {
    let app = App::new(env.broker()).subscriber(subscriber);
    app.context().insert(log.clone());
    app
}

fn consumer() -> ConsumerConfig {
    ConsumerConfig {
        ack_wait: Duration::from_secs(1),
        max_deliver: Some(2),
        ..ConsumerConfig::durable("billing")
    }
}

async fn ack_pending(app: &TestApp) -> Result<u64, Error> {
    let stream = app.broker().stream("ORDERS").await?;
    Ok(stream.consumer_info("billing").await?.ack_pending)
}

/// Logs `batch <size>` and each id; takes a moment, so that more messages come in
/// meanwhile.
async fn sized(orders: Batch<Order>, Ctx(log): Ctx<Log>) {
    tokio::time::sleep(Duration::from_millis(50)).await;
    log.push(format!("batch {}", orders.len()));
    for order in orders.iter() {
        log.push(order.id.to_string());
    }
}

fn ids(log: &Log) -> Vec<u32> {
    let mut ids: Vec<u32> = log
        .entries()
        .iter()
        .filter_map(|entry| entry.parse().ok())
        .collect();
    ids.sort_unstable();
    ids
}

fn batch_sizes(log: &Log) -> Vec<usize> {
    log.entries()
        .iter()
        .filter_map(|entry| entry.strip_prefix("batch ")?.parse().ok())
        .collect()
}

#[test]
fn a_batch_handler_gets_what_was_delivered_up_to_its_size() -> Result<(), Error> {
    run(async |env: Env| {
        for push in [false, true] {
            let broker = env.broker();
            declare(&broker).await?;
            broker.stream("ORDERS").await?.purge().await?;
            publish_orders(&broker, 0..25).await?;
            let log = Log::default();
            let subscriber = Subscriber::stream("ORDERS", "orders.*", sized)
                .consumer(ConsumerConfig::durable(if push {
                    "pushed"
                } else {
                    "pulled"
                }))
                .batches(10);
            let subscriber = if push { subscriber.push() } else { subscriber };
            let app = TestApp::start(app(&env, &log, subscriber)).await?;
            eventually("all handled", || ids(&log).len() == 25).await;
            assert_eq!(ids(&log), (0..25).collect::<Vec<_>>(), "push: {push}");
            let sizes = batch_sizes(&log);
            assert!(
                sizes.iter().all(|size| (1..=10).contains(size)),
                "{sizes:?}"
            );
            assert!(sizes.iter().any(|size| *size > 1), "{sizes:?}");
            app.stop().await?;
        }
        Ok(())
    })
}

/// Logs each batch as its ids and their delivery (`0 1 2 1`: ids 0, 1, 2, delivered
/// once); fails a batch holding id 0 on its first delivery.
async fn failing(orders: Batch<Order>, Ctx(log): Ctx<Log>) -> Result<(), Error> {
    let delivered = orders.ackers()[0].info().delivered;
    let ids: Vec<String> = orders.iter().map(|order| order.id.to_string()).collect();
    log.push(format!("{} {delivered}", ids.join(" ")));
    let first_time = delivered == 1 && orders.iter().any(|order| order.id == 0);
    if first_time {
        return Err(Error::msg("refused"));
    }
    Ok(())
}

#[test]
fn a_failed_batch_is_settled_as_a_whole() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        declare(&broker).await?;
        publish_orders(&broker, 0..5).await?;
        let log = Log::default();
        let subscriber = Subscriber::stream("ORDERS", "orders.*", failing)
            .consumer(consumer())
            .ack_policy(AckPolicy::NackOnError { delay: None })
            .batches(5);
        let app = TestApp::start(app(&env, &log, subscriber)).await?;
        eventually("the batch delivered again", || {
            log.entries()
                .iter()
                .any(|entry| entry.ends_with(" 2") && entry.split(' ').any(|id| id == "0"))
        })
        .await;
        eventually_async("all acknowledged", async || {
            ack_pending(&app).await.is_ok_and(|pending| pending == 0)
        })
        .await;
        // The failed batch is the one that held order 0 on its first delivery (a batch
        // is what had arrived: the five may have come in more than one).
        let entries = log.entries();
        let failed = entries
            .iter()
            .find(|entry| entry.split(' ').any(|id| id == "0") && entry.ends_with(" 1"))
            .expect("the failed batch");
        let again: Vec<&str> = (entries.iter())
            .filter(|entry| entry.ends_with(" 2"))
            .flat_map(|entry| entry.split(' ').rev().skip(1))
            .collect();
        for id in failed.split(' ').rev().skip(1) {
            assert!(
                again.contains(&id),
                "every message of the failed batch again: {entries:?}"
            );
        }
        app.stop().await
    })
}

#[test]
fn undecodable_messages_of_a_batch_are_terminated_and_left_out() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        declare(&broker).await?;
        publish_orders(&broker, [1]).await?;
        broker.stream_publish("orders.eu", "not json").await?;
        publish_orders(&broker, [3]).await?;
        let log = Log::default();
        let subscriber = Subscriber::stream("ORDERS", "orders.*", sized)
            .consumer(consumer())
            .batches(10);
        let app = TestApp::start(app(&env, &log, subscriber)).await?;
        eventually("both handled", || ids(&log).len() == 2).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(ids(&log), [1, 3], "nothing delivered again");
        assert_eq!(ack_pending(&app).await?, 0);
        app.stop().await
    })
}

/// Acks even ids; naks odd ones on their first delivery.
async fn by_hand(orders: Batch<Order>, Ctx(log): Ctx<Log>) -> Result<(), Error> {
    for (order, acker) in orders.into_parts() {
        log.push(format!("{} {}", order.id, acker.info().delivered));
        if order.id % 2 == 1 && acker.info().delivered == 1 {
            acker.nak(None).await?;
        } else {
            acker.ack().await?;
        }
    }
    Ok(())
}

#[test]
fn a_manual_batch_handler_settles_each_message() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        declare(&broker).await?;
        publish_orders(&broker, 0..6).await?;
        let log = Log::default();
        let subscriber = Subscriber::stream("ORDERS", "orders.*", by_hand)
            .consumer(consumer())
            .ack_policy(AckPolicy::Manual)
            .batches(6);
        let app = TestApp::start(app(&env, &log, subscriber)).await?;
        eventually("the odd ones again", || log.len() == 9).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut entries = log.entries();
        entries.sort();
        let expected = [
            "0 1", "1 1", "1 2", "2 1", "3 1", "3 2", "4 1", "5 1", "5 2",
        ];
        assert_eq!(entries, expected);
        assert_eq!(ack_pending(&app).await?, 0);
        app.stop().await
    })
}

#[test]
fn a_batch_outside_a_batch_subscriber_is_a_startup_error() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let subscriber = Subscriber::stream("ORDERS", "orders.*", sized);
        match app(&env, &log, subscriber).start().await {
            Err(Error::Startup { problems, .. }) => {
                assert_eq!(problems[0].kind, StartupProblemKind::BatchOutsideBatches);
            }
            other => panic!("expected a startup error, got {:?}", other.map(|_| ())),
        }
        Ok(())
    })
}

#[subscriber("orders.*", stream = "ORDERS", durable = "macro", batch = 4)]
async fn declared(orders: Batch<Order>, Ctx(log): Ctx<Log>) {
    log.push(format!("batch {}", orders.len()));
    for order in orders.iter() {
        log.push(order.id.to_string());
    }
}

#[test]
fn the_subscriber_macro_declares_batch_handlers() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        declare(&broker).await?;
        publish_orders(&broker, 0..8).await?;
        let log = Log::default();
        let app = App::new(env.broker()).subscriber(declared);
        app.context().insert(log.clone());
        let app = TestApp::start(app).await?;
        eventually("all handled", || ids(&log).len() == 8).await;
        assert!(batch_sizes(&log).iter().all(|size| *size <= 4));
        app.stop().await
    })
}
