//! Consumer info as nats-server reports it, every figure first read from a live
//! server: what was delivered, who waits, and the ack floor, which the server moves
//! only when the delivery right above it is acknowledged, to the last delivery once
//! nothing waits, and never when `max_deliver` gives up on a message.

use std::time::Duration;

use faststream_kv::jetstream::{Consumer, ConsumerConfig, DeliverPolicy, StreamConfig};
use faststream_kv::prelude::*;

use super::consumers::{WAIT, floor, orders, sequences};
use super::run;
use crate::support::Env;

/// Where a consumer stands, as nats-server reports it (every figure first read from a
/// live server): the last delivery's consumer sequence and the last stream sequence
/// delivered, the ack floor, the pull requests waiting.
#[test]
fn consumer_info_says_what_was_delivered_and_who_waits() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker, 5).await?;
        let consumer = stream.create_consumer(ConsumerConfig::durable("c")).await?;
        let stands = async || {
            let info = consumer.info().await?;
            let delivered = info.delivered;
            Ok::<_, Error>((delivered.consumer, delivered.stream, floor(&info)))
        };
        assert_eq!(stands().await?, (0, 0, (0, 0)));
        let three = consumer.fetch(3, WAIT).await?;
        assert_eq!(stands().await?, (3, 3, (0, 0)));
        // Acknowledged out of order: the floor stays.
        three[1].ack_sync().await?;
        assert_eq!(stands().await?, (3, 3, (0, 0)));
        // The delivery above it: the floor moves up to the next one waiting.
        three[0].ack_sync().await?;
        assert_eq!(stands().await?, (3, 3, (2, 2)));
        three[2].nak(None).await?;
        // A nak is not acknowledged: give it time to reach the server before the pull.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let again = consumer.fetch(1, WAIT).await?;
        assert_eq!(again[0].info().stream_sequence, 3);
        assert_eq!(stands().await?, (4, 3, (2, 2)));
        // Nothing left waiting: the floor is the last delivery.
        again[0].ack_sync().await?;
        assert_eq!(stands().await?, (4, 3, (4, 3)));
        let rest = consumer.fetch(2, WAIT).await?;
        rest[1].ack_sync().await?;
        assert_eq!(stands().await?, (6, 5, (4, 3)));
        rest[0].ack_sync().await?;
        assert_eq!(stands().await?, (6, 5, (6, 5)));

        let waiting = consumer.clone();
        let pull = tokio::spawn(async move { waiting.fetch(1, Duration::from_secs(2)).await });
        crate::support::eventually_async("a pull waits", async || {
            consumer.info().await.is_ok_and(|info| info.waiting == 1)
        })
        .await;
        assert!(pull.await.expect("the pull ends")?.is_empty());
        assert_eq!(consumer.info().await?.waiting, 0);
        Ok(())
    })
}

/// A filtered consumer's delivered stream sequence stays on the last it delivered
/// when a fetch finds nothing more; each deliver policy starts it where the server does.
#[test]
fn the_delivered_stream_sequence_starts_where_the_consumer_does() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker, 5).await?;
        let filtered = stream
            .create_consumer(ConsumerConfig {
                filter_subjects: vec!["orders.eu.2".to_owned()],
                ..ConsumerConfig::durable("filtered")
            })
            .await?;
        let fetched = filtered.fetch(1, WAIT).await?;
        fetched[0].ack_sync().await?;
        assert!(filtered.fetch(1, WAIT).await?.is_empty());
        let info = filtered.info().await?;
        assert_eq!((info.delivered.stream, floor(&info)), (2, (1, 2)));
        for (name, deliver, expected) in [
            ("new", DeliverPolicy::New, 5),
            ("last", DeliverPolicy::Last, 4),
            ("start", DeliverPolicy::ByStartSequence(3), 2),
        ] {
            let config = ConsumerConfig {
                deliver,
                ..ConsumerConfig::durable(name)
            };
            let info = stream.create_consumer(config).await?.info().await?;
            assert_eq!(
                (info.delivered.stream, floor(&info)),
                (expected, (0, expected)),
                "{name}"
            );
        }
        Ok(())
    })
}

/// A redelivery keeps the consumer sequence of its first delivery, which is what moves
/// the floor; a message a limit removes while it waits is settled as terminated.
#[test]
fn the_ack_floor_follows_first_deliveries_and_removals() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker, 2).await?;
        let consumer = stream
            .create_consumer(ConsumerConfig {
                ack_wait: Duration::from_secs(1),
                ..ConsumerConfig::durable("slow")
            })
            .await?;
        assert_eq!(sequences(&consumer.fetch(2, WAIT).await?), [1, 2]);
        // Both come back (consumer sequences 3 and 4), then a third message (5).
        let mut again = consumer.fetch(2, Duration::from_secs(3)).await?;
        broker.stream_publish("orders.us.3", "3").await?;
        again.extend(consumer.fetch(1, WAIT).await?);
        assert_eq!(sequences(&again), [1, 2, 3]);
        let info = consumer.info().await?;
        assert_eq!((floor(&info), info.redelivered), ((0, 0), 2));
        again[1].ack_sync().await?;
        assert_eq!(floor(&consumer.info().await?), (0, 0));
        // The first delivery of 1 was right above the floor: the floor goes up to the
        // one below the next waiting (3, first delivered as 5).
        again[0].ack_sync().await?;
        assert_eq!(floor(&consumer.info().await?), (4, 2));
        again[2].ack_sync().await?;
        assert_eq!(floor(&consumer.info().await?), (5, 3));

        let limited = broker
            .create_stream(StreamConfig {
                subjects: vec!["limited.>".to_owned()],
                max_messages: Some(2),
                ..StreamConfig::new("LIMITED")
            })
            .await?;
        for index in 1..=2 {
            broker
                .stream_publish(&format!("limited.{index}"), "x")
                .await?;
        }
        let consumer = limited
            .create_consumer(ConsumerConfig::durable("c"))
            .await?;
        assert_eq!(sequences(&consumer.fetch(2, WAIT).await?), [1, 2]);
        broker.stream_publish("limited.3", "x").await?;
        // The removed message is settled.
        ack_pending_reaches(&consumer, 1).await;
        assert_eq!(floor(&consumer.info().await?), (1, 1));
        Ok(())
    })
}

/// Given up on at `max_deliver` when its wait ends, pulled or not; the floor stays,
/// and a late acknowledgement of it changes nothing.
#[test]
fn max_deliver_gives_up_without_moving_the_floor() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker, 2).await?;
        let consumer = stream
            .create_consumer(ConsumerConfig {
                ack_wait: Duration::from_secs(1),
                max_deliver: Some(1),
                ..ConsumerConfig::durable("once")
            })
            .await?;
        let first = consumer.fetch(2, WAIT).await?;
        assert_eq!(sequences(&first), [1, 2]);
        // Both are given up on.
        ack_pending_reaches(&consumer, 0).await;
        let info = consumer.info().await?;
        assert_eq!((floor(&info), info.redelivered), ((0, 0), 0));
        first[1].ack_sync().await?;
        assert_eq!(floor(&consumer.info().await?), (0, 0));
        broker.stream_publish("orders.us.3", "3").await?;
        consumer.fetch(1, WAIT).await?[0].ack_sync().await?;
        assert_eq!(floor(&consumer.info().await?), (3, 3));
        Ok(())
    })
}

/// Waits until `count` of `consumer`'s deliveries wait for an acknowledgement.
async fn ack_pending_reaches(consumer: &Consumer, count: u64) {
    let what = format!("{count} deliveries waiting for an acknowledgement");
    crate::support::eventually_async(&what, async || {
        let info = consumer.info().await;
        info.is_ok_and(|info| info.ack_pending == count)
    })
    .await;
}
