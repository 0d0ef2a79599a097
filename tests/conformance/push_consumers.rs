//! Push consumers: the server sends their messages as they come, up to
//! `max_ack_pending` unacknowledged; acknowledgements as for pull consumers; a
//! durable's subscriptions share its messages; a consumer stays pull or push.

use std::time::Duration;

use faststream_kv::jetstream::{ConsumerConfig, JsMessage, PushMessages, Stream, StreamConfig};
use faststream_kv::prelude::*;
use futures::StreamExt;

use super::run;
use crate::support::Env;

const QUIET: Duration = Duration::from_millis(300);

async fn orders(broker: &Broker) -> Result<Stream, Error> {
    broker
        .create_stream(StreamConfig {
            subjects: vec!["orders.>".to_owned()],
            ..StreamConfig::new("ORDERS")
        })
        .await
}

async fn publish(broker: &Broker, count: usize) -> Result<(), Error> {
    for index in 1..=count {
        broker
            .stream_publish(&format!("orders.eu.{index}"), index.to_string())
            .await?;
    }
    Ok(())
}

/// The next message, failing after a while.
async fn next(messages: &mut PushMessages) -> JsMessage {
    tokio::time::timeout(Duration::from_secs(10), messages.next())
        .await
        .expect("a message within 10 s")
        .expect("the deliveries go on")
}

/// Nothing more arrives for a while.
async fn assert_quiet(messages: &mut PushMessages) {
    if let Ok(Some(message)) = tokio::time::timeout(QUIET, messages.next()).await {
        panic!("unexpected delivery: {message:?}");
    }
}

#[test]
fn a_push_consumer_delivers_as_messages_come_and_again_after_a_nak() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker).await?;
        let consumer = stream
            .create_push_consumer(ConsumerConfig::durable("billing"))
            .await?;
        assert_eq!(consumer.name(), "billing");
        let mut messages = consumer.messages().await?;
        publish(&broker, 3).await?;
        let first = next(&mut messages).await;
        let second = next(&mut messages).await;
        let third = next(&mut messages).await;
        let sequences: Vec<u64> = [&first, &second, &third]
            .iter()
            .map(|message| message.info().stream_sequence)
            .collect();
        assert_eq!(sequences, [1, 2, 3]);
        assert_eq!(first.message().payload().as_ref(), b"1");
        first.ack().await?;
        third.ack_sync().await?;
        second.nak(None).await?;
        let again = next(&mut messages).await;
        assert_eq!(
            (again.info().stream_sequence, again.info().delivered),
            (2, 2)
        );
        again.ack_sync().await?;
        assert_quiet(&mut messages).await;
        let info = stream.consumer_info("billing").await?;
        assert_eq!((info.ack_pending, info.pending), (0, 0));
        // Nothing waits: the floor is the last delivery, the second's redelivery.
        let floor = info.ack_floor;
        assert_eq!((floor.consumer, floor.stream), (4, 3));
        Ok(())
    })
}

#[test]
fn a_push_consumer_holds_back_beyond_max_ack_pending() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker).await?;
        let consumer = stream
            .create_push_consumer(ConsumerConfig {
                max_ack_pending: Some(2),
                ..ConsumerConfig::durable("billing")
            })
            .await?;
        let mut messages = consumer.messages().await?;
        publish(&broker, 5).await?;
        let first = next(&mut messages).await;
        let _second = next(&mut messages).await;
        assert_quiet(&mut messages).await;
        assert_eq!(consumer.info().await?.ack_pending, 2);
        first.ack_sync().await?;
        let third = next(&mut messages).await;
        assert_eq!(third.info().stream_sequence, 3);
        assert_quiet(&mut messages).await;
        Ok(())
    })
}

#[test]
fn subscriptions_of_one_durable_share_its_messages() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker).await?;
        let consumer = stream
            .create_push_consumer(ConsumerConfig::durable("billing"))
            .await?;
        // Another instance declares the same durable.
        let again = stream
            .create_push_consumer(ConsumerConfig::durable("billing"))
            .await?;
        let mut one = consumer.messages().await?;
        let mut other = again.messages().await?;
        broker.flush().await?;
        publish(&broker, 40).await?;
        let mut sequences = Vec::new();
        while sequences.len() < 40 {
            let message = tokio::select! {
                message = next(&mut one) => message,
                message = next(&mut other) => message,
            };
            sequences.push(message.info().stream_sequence);
            message.ack().await?;
        }
        assert_quiet(&mut one).await;
        assert_quiet(&mut other).await;
        sequences.sort_unstable();
        assert_eq!(sequences, (1..=40).collect::<Vec<_>>());
        Ok(())
    })
}

#[test]
fn a_stopped_subscription_gets_nothing_more() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker).await?;
        let consumer = stream
            .create_push_consumer(ConsumerConfig::durable("billing"))
            .await?;
        let mut messages = consumer.messages().await?;
        publish(&broker, 1).await?;
        next(&mut messages).await.ack_sync().await?;
        messages.stop().await;
        let ended = tokio::time::timeout(Duration::from_secs(5), messages.next()).await;
        assert!(matches!(ended, Ok(None)), "the deliveries end");
        publish(&broker, 2).await?;
        tokio::time::sleep(QUIET).await;
        assert_eq!(
            consumer.info().await?.pending,
            2,
            "kept for the next subscriber"
        );
        let mut resumed = consumer.messages().await?;
        assert_eq!(next(&mut resumed).await.info().stream_sequence, 2);
        Ok(())
    })
}

#[test]
fn a_consumer_stays_pull_or_push() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker).await?;
        stream
            .create_consumer(ConsumerConfig::durable("pulled"))
            .await?;
        let pushed = stream
            .create_push_consumer(ConsumerConfig::durable("pulled"))
            .await;
        assert!(
            matches!(pushed, Err(Error::ConsumerExists { ref consumer, .. }) if consumer == "pulled"),
            "{pushed:?}"
        );
        stream
            .create_push_consumer(ConsumerConfig::durable("pushed"))
            .await?;
        let pulled = stream
            .create_consumer(ConsumerConfig::durable("pushed"))
            .await;
        assert!(
            matches!(pulled, Err(Error::ConsumerExists { ref consumer, .. }) if consumer == "pushed"),
            "{pulled:?}"
        );
        Ok(())
    })
}
