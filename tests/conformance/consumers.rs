//! Pull consumers: durable ones that resume where they stopped, acknowledgements (ack,
//! nak, term, in progress, double ack), redelivery after `ack_wait` up to
//! `max_deliver`, `max_ack_pending`, deliver policies and filters, work-queue and
//! interest retention.

use std::time::Duration;

use faststream_kv::error::JsErrorCode;
use faststream_kv::jetstream::{
    ConsumerAckPolicy, ConsumerConfig, ConsumerInfo, DeliverPolicy, JsMessage, Retention, Stream,
    StreamConfig,
};
use faststream_kv::prelude::*;

use super::run;
use crate::support::Env;

pub(super) const WAIT: Duration = Duration::from_millis(300);

pub(super) async fn orders(broker: &Broker, messages: usize) -> Result<Stream, Error> {
    orders_with(broker, Retention::Limits, messages).await
}

async fn orders_with(
    broker: &Broker,
    retention: Retention,
    messages: usize,
) -> Result<Stream, Error> {
    let stream = broker
        .create_stream(StreamConfig {
            subjects: vec!["orders.>".to_owned()],
            retention,
            ..StreamConfig::new("ORDERS")
        })
        .await?;
    for index in 1..=messages {
        let region = if index % 2 == 0 { "eu" } else { "us" };
        broker
            .stream_publish(&format!("orders.{region}.{index}"), index.to_string())
            .await?;
    }
    Ok(stream)
}

/// A consumer's ack floor: its consumer and stream sequence.
pub(super) fn floor(info: &ConsumerInfo) -> (u64, u64) {
    (info.ack_floor.consumer, info.ack_floor.stream)
}

pub(super) fn sequences(messages: &[JsMessage]) -> Vec<u64> {
    messages
        .iter()
        .map(|message| message.info().stream_sequence)
        .collect()
}

#[test]
fn a_durable_consumer_resumes_after_what_it_acknowledged() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker, 5).await?;
        let consumer = stream
            .create_consumer(ConsumerConfig::durable("billing"))
            .await?;
        assert_eq!(consumer.name(), "billing");
        let first = consumer.fetch(3, WAIT).await?;
        assert_eq!(sequences(&first), [1, 2, 3]);
        let info = first[0].info();
        assert_eq!((&*info.stream, &*info.consumer), ("ORDERS", "billing"));
        assert_eq!(
            (info.consumer_sequence, info.delivered, info.pending),
            (1, 1, 4)
        );
        assert_eq!(first[0].message().subject(), "orders.us.1");
        assert_eq!(first[0].message().payload().as_ref(), b"1");
        for message in &first {
            message.ack_sync().await?;
        }
        // What is there comes at once, without waiting for a full batch.
        let asked = std::time::Instant::now();
        let second = consumer.fetch(10, Duration::from_secs(20)).await?;
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "{:?}",
            asked.elapsed()
        );
        assert_eq!(sequences(&second), [4, 5]);
        for message in &second {
            message.ack_sync().await?;
        }
        assert!(consumer.fetch(10, WAIT).await?.is_empty());

        // Another app, later: the durable goes on after what was acknowledged.
        let other = env.broker();
        let resumed = other.stream("ORDERS").await?.consumer("billing").await?;
        other.stream_publish("orders.eu.6", "6").await?;
        let next = resumed.fetch(10, WAIT).await?;
        assert_eq!(sequences(&next), [6]);
        next[0].ack_sync().await?;
        let info = resumed.info().await?;
        assert_eq!(
            (info.pending, info.ack_pending, floor(&info)),
            (0, 0, (6, 6))
        );
        assert_eq!(info.config.max_ack_pending, Some(1000));
        assert_eq!(info.config.ack_wait, Duration::from_secs(30));
        Ok(())
    })
}

#[test]
fn a_nak_redelivers_and_a_term_never_does() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker, 2).await?;
        let consumer = stream
            .create_consumer(ConsumerConfig {
                ack_wait: Duration::from_secs(1),
                ..ConsumerConfig::durable("worker")
            })
            .await?;
        let batch = consumer.fetch(2, WAIT).await?;
        batch[0].nak(None).await?;
        batch[1].term().await?;
        let again = consumer.fetch(2, Duration::from_secs(2)).await?;
        assert_eq!(sequences(&again), [1]);
        assert_eq!(again[0].info().delivered, 2);
        again[0].ack_sync().await?;
        // Past the ack wait: the termed message stays away.
        assert!(
            consumer
                .fetch(2, Duration::from_millis(1500))
                .await?
                .is_empty()
        );
        Ok(())
    })
}

/// Only the first settlement of a message is sent; a second is an error, as nats.go's
/// `ErrMsgAlreadyAckd`, and `in_progress` after it sends nothing.
#[test]
fn a_message_is_settled_once() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker, 1).await?;
        let consumer = stream
            .create_consumer(ConsumerConfig::durable("worker"))
            .await?;
        let batch = consumer.fetch(1, WAIT).await?;
        batch[0].ack().await?;
        for again in [
            batch[0].ack().await,
            batch[0].nak(None).await,
            batch[0].term().await,
            batch[0].ack_sync().await,
        ] {
            assert!(
                matches!(
                    again,
                    Err(Error::AlreadySettled {
                        stream_sequence: 1,
                        ..
                    })
                ),
                "{again:?}"
            );
        }
        batch[0].in_progress().await?;
        Ok(())
    })
}

#[test]
fn an_unacknowledged_message_comes_back_until_max_deliver() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker, 1).await?;
        let consumer = stream
            .create_consumer(ConsumerConfig {
                ack_wait: Duration::from_secs(1),
                max_deliver: Some(2),
                ..ConsumerConfig::durable("flaky")
            })
            .await?;
        assert_eq!(consumer.fetch(1, WAIT).await?[0].info().delivered, 1);
        let again = consumer.fetch(1, Duration::from_secs(3)).await?;
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].info().delivered, 2);
        assert!(consumer.fetch(1, Duration::from_secs(2)).await?.is_empty());
        // Given up on: no longer pending, still redelivered, and the ack floor stays
        // below it until an acknowledgement leaves nothing pending.
        let info = consumer.info().await?;
        assert_eq!(
            (
                floor(&info),
                info.ack_pending,
                info.redelivered,
                info.pending
            ),
            ((0, 0), 0, 1, 0)
        );
        broker.stream_publish("orders.eu.2", "2").await?;
        consumer.fetch(1, WAIT).await?[0].ack_sync().await?;
        let info = consumer.info().await?;
        assert_eq!((floor(&info), info.redelivered), ((3, 2), 1));
        Ok(())
    })
}

#[test]
fn in_progress_keeps_a_slow_message_from_coming_back() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker, 1).await?;
        let consumer = stream
            .create_consumer(ConsumerConfig {
                ack_wait: Duration::from_secs(1),
                ..ConsumerConfig::durable("slow")
            })
            .await?;
        let message = consumer.fetch(1, WAIT).await?.remove(0);
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            message.in_progress().await?;
        }
        assert!(
            consumer
                .fetch(1, Duration::from_millis(200))
                .await?
                .is_empty()
        );
        message.ack_sync().await?;
        assert!(
            consumer
                .fetch(1, Duration::from_millis(1200))
                .await?
                .is_empty()
        );
        Ok(())
    })
}

#[test]
fn max_ack_pending_bounds_what_is_delivered() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker, 5).await?;
        let consumer = stream
            .create_consumer(ConsumerConfig {
                max_ack_pending: Some(2),
                ..ConsumerConfig::durable("bounded")
            })
            .await?;
        let batch = consumer.fetch(5, WAIT).await?;
        assert_eq!(sequences(&batch), [1, 2]);
        batch[0].ack_sync().await?;
        assert_eq!(sequences(&consumer.fetch(5, WAIT).await?), [3]);
        assert_eq!(consumer.info().await?.ack_pending, 2);
        Ok(())
    })
}

#[test]
fn deliver_policies_and_filters_choose_where_to_start() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker, 5).await?;
        let start = async |name: &str, deliver: DeliverPolicy, filters: &[&str]| {
            let consumer = stream
                .create_consumer(ConsumerConfig {
                    deliver,
                    filter_subjects: filters.iter().map(|filter| (*filter).to_owned()).collect(),
                    ..ConsumerConfig::durable(name)
                })
                .await?;
            Ok::<_, Error>(sequences(&consumer.fetch(10, WAIT).await?))
        };
        assert_eq!(
            start("all", DeliverPolicy::All, &[]).await?,
            [1, 2, 3, 4, 5]
        );
        assert_eq!(start("last", DeliverPolicy::Last, &[]).await?, [5]);
        assert!(start("new", DeliverPolicy::New, &[]).await?.is_empty());
        assert_eq!(
            start("from3", DeliverPolicy::ByStartSequence(3), &[]).await?,
            [3, 4, 5]
        );
        assert_eq!(
            start("eu", DeliverPolicy::All, &["orders.eu.*"]).await?,
            [2, 4]
        );
        assert_eq!(
            start("two", DeliverPolicy::All, &["orders.eu.2", "orders.us.5"]).await?,
            [2, 5]
        );
        broker.stream_publish("orders.eu.2", "again").await?;
        assert_eq!(
            start(
                "per_subject",
                DeliverPolicy::LastPerSubject,
                &["orders.eu.*"]
            )
            .await?,
            [4, 6]
        );
        Ok(())
    })
}

#[test]
fn a_work_queue_lets_go_of_what_was_acknowledged() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders_with(&broker, Retention::WorkQueue, 3).await?;
        let consumer = stream
            .create_consumer(ConsumerConfig::durable("work"))
            .await?;
        let batch = consumer.fetch(3, WAIT).await?;
        batch[1].term().await?;
        // Confirmed after the term, sent before it on the same connection.
        batch[0].ack_sync().await?;
        let state = stream.info().await?.state;
        assert_eq!((state.messages, state.first_sequence), (1, 3));
        Ok(())
    })
}

#[test]
fn interest_retention_keeps_messages_until_their_consumers_acknowledge() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders_with(&broker, Retention::Interest, 0).await?;
        let consumer = stream
            .create_consumer(ConsumerConfig::durable("interested"))
            .await?;
        broker.stream_publish("orders.eu.1", "1").await?;
        assert_eq!(stream.info().await?.state.messages, 1);
        consumer.fetch(1, WAIT).await?[0].ack_sync().await?;
        assert_eq!(stream.info().await?.state.messages, 0);

        // Deleting a consumer drops what no remaining one needs.
        let us = stream
            .create_consumer(ConsumerConfig {
                filter_subjects: vec!["orders.us.*".to_owned()],
                ..ConsumerConfig::durable("us")
            })
            .await?;
        for subject in ["orders.eu.2", "orders.us.3"] {
            broker.stream_publish(subject, "x").await?;
        }
        assert_eq!(stream.info().await?.state.messages, 2);
        stream.delete_consumer("interested").await?;
        assert_eq!(stream.info().await?.state.messages, 1);
        assert_eq!(sequences(&us.fetch(5, WAIT).await?), [3]);
        Ok(())
    })
}

/// An ephemeral consumer nobody pulls from goes after its inactive threshold, also
/// from the stream's count; one whose pulls wait on the server stays.
#[test]
fn an_inactive_ephemeral_consumer_goes_and_a_pulled_one_stays() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker, 0).await?;
        let threshold = Duration::from_millis(500);
        let ephemeral = || ConsumerConfig {
            inactive_threshold: Some(threshold),
            ..ConsumerConfig::ephemeral()
        };
        let idle = stream.create_consumer(ephemeral()).await?;
        let pulled = stream.create_consumer(ephemeral()).await?;
        assert_eq!(stream.info().await?.state.consumers, 2);
        // One pull waiting twice the threshold.
        assert!(pulled.fetch(1, threshold * 2).await?.is_empty());
        assert_eq!(stream.info().await?.state.consumers, 1);
        assert!(matches!(
            idle.info().await,
            Err(Error::ConsumerNotFound { .. })
        ));
        pulled.info().await?;
        Ok(())
    })
}

#[test]
fn a_durable_changes_what_the_server_lets_it_change() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker, 0).await?;
        stream
            .create_consumer(ConsumerConfig::durable("billing"))
            .await?;
        let slower = ConsumerConfig {
            ack_wait: Duration::from_secs(60),
            ..ConsumerConfig::durable("billing")
        };
        let updated = stream.create_consumer(slower).await?;
        assert_eq!(
            updated.info().await?.config.ack_wait,
            Duration::from_secs(60)
        );
        let moved = ConsumerConfig {
            deliver: DeliverPolicy::New,
            ack_wait: Duration::from_secs(60),
            ..ConsumerConfig::durable("billing")
        };
        assert!(matches!(
            stream.create_consumer(moved).await,
            Err(Error::ConsumerExists { .. })
        ));
        assert_eq!(stream.info().await?.state.consumers, 1);
        Ok(())
    })
}

#[test]
fn deleted_consumers_are_not_found() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker, 1).await?;
        let consumer = stream
            .create_consumer(ConsumerConfig::durable("gone"))
            .await?;
        stream.delete_consumer("gone").await?;
        assert!(matches!(
            stream.consumer("gone").await,
            Err(Error::ConsumerNotFound { .. })
        ));
        assert!(matches!(
            consumer.fetch(1, WAIT).await,
            Err(Error::ConsumerNotFound { .. })
        ));
        let ephemeral = stream.create_consumer(ConsumerConfig::ephemeral()).await?;
        assert!(!ephemeral.name().is_empty());
        assert_eq!(sequences(&ephemeral.fetch(5, WAIT).await?), [1]);
        Ok(())
    })
}

#[test]
fn a_work_queue_stream_refuses_consumers_that_would_share_messages() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders_with(&broker, Retention::WorkQueue, 0).await?;
        let filtered = |name: &str, filter: &str| ConsumerConfig {
            filter_subjects: vec![filter.to_owned()],
            ..ConsumerConfig::durable(name)
        };
        stream
            .create_consumer(filtered("eu", "orders.eu.>"))
            .await?;
        stream
            .create_consumer(filtered("us", "orders.us.>"))
            .await?;
        // The same consumer again is no second one.
        stream
            .create_consumer(filtered("eu", "orders.eu.>"))
            .await?;
        let refusals = [
            filtered("all", "orders.>"),
            ConsumerConfig::durable("unfiltered"),
            ConsumerConfig {
                deliver: DeliverPolicy::New,
                ..filtered("new", "orders.ap.>")
            },
        ];
        for config in refusals {
            let name = config.durable.clone();
            let created = stream.create_consumer(config).await;
            assert!(
                matches!(created, Err(Error::WorkQueueConsumer { .. })),
                "{name:?}: {created:?}"
            );
        }
        Ok(())
    })
}

/// The server refuses consumers whose filters contain one another, and last-per-subject
/// without a filter, with its error codes; both backends answer alike.
#[test]
fn refused_consumer_configurations_are_typed_by_code() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker, 2).await?;
        let refusal = |config: ConsumerConfig| {
            let stream = stream.clone();
            async move {
                match stream.create_consumer(config).await {
                    Err(Error::JetStream {
                        code, description, ..
                    }) => (code, description),
                    other => panic!("expected a refusal, got {other:?}"),
                }
            }
        };
        for filters in [
            ["orders.>", "orders.eu.*"],
            ["orders.*.1", "orders.*.1"],
            ["orders.eu.2", "orders.*.2"],
        ] {
            let (code, description) = refusal(ConsumerConfig {
                filter_subjects: filters.map(str::to_owned).to_vec(),
                ..ConsumerConfig::durable("overlapping")
            })
            .await;
            assert_eq!(code, JsErrorCode::CONSUMER_OVERLAPPING_SUBJECT_FILTERS);
            assert_eq!(description, "consumer subject filters cannot overlap");
        }
        // Filters that overlap without containing one another are allowed.
        stream
            .create_consumer(ConsumerConfig {
                filter_subjects: vec!["orders.*.1".to_owned(), "orders.eu.*".to_owned()],
                ..ConsumerConfig::durable("crossing")
            })
            .await?;
        let (code, description) = refusal(ConsumerConfig {
            deliver: DeliverPolicy::LastPerSubject,
            ..ConsumerConfig::durable("last")
        })
        .await;
        assert_eq!(code, JsErrorCode::CONSUMER_INVALID_POLICY);
        assert_eq!(
            description,
            "consumer delivery policy is deliver last per subject, but optional filter subject is not set"
        );
        Ok(())
    })
}

/// A filtered `Last` consumer starts at the last message its filter matches, not at the
/// stream's last message.
#[test]
fn a_filtered_last_consumer_starts_at_its_filters_last_message() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        // orders.us.1, orders.eu.2, orders.us.3, orders.eu.4
        let stream = orders(&broker, 4).await?;
        let consumer = stream
            .create_consumer(ConsumerConfig {
                deliver: DeliverPolicy::Last,
                filter_subjects: vec!["orders.us.*".to_owned()],
                ..ConsumerConfig::ephemeral()
            })
            .await?;
        assert_eq!(sequences(&consumer.fetch(10, WAIT).await?), [3]);
        let nothing_yet = stream
            .create_consumer(ConsumerConfig {
                deliver: DeliverPolicy::Last,
                filter_subjects: vec!["orders.asia.*".to_owned()],
                ..ConsumerConfig::ephemeral()
            })
            .await?;
        assert!(nothing_yet.fetch(10, WAIT).await?.is_empty());
        broker.stream_publish("orders.asia.5", "5").await?;
        assert_eq!(sequences(&nothing_yet.fetch(10, WAIT).await?), [5]);
        Ok(())
    })
}

/// With a backoff, the server takes its first step as the consumer's `ack_wait`, and an
/// unacknowledged message comes back on the backoff's schedule.
#[test]
fn a_backoff_sets_when_messages_come_back() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker, 1).await?;
        let steps = vec![Duration::from_millis(200), Duration::from_secs(60)];
        let consumer = stream
            .create_consumer(ConsumerConfig {
                backoff: steps.clone(),
                max_deliver: Some(3),
                ..ConsumerConfig::durable("backing_off")
            })
            .await?;
        let config = consumer.info().await?.config;
        assert_eq!((config.ack_wait, config.backoff), (steps[0], steps.clone()));
        let first = consumer.fetch(1, WAIT).await?;
        assert_eq!(first[0].info().delivered, 1);
        // Back after the first step (200 ms), well before the 30 s default ack_wait.
        let again = consumer.fetch(1, Duration::from_secs(3)).await?;
        assert_eq!(again[0].info().delivered, 2);
        // The second step is a minute: in progress or not, it stays away meanwhile.
        again[0].in_progress().await?;
        assert!(
            consumer
                .fetch(1, Duration::from_millis(600))
                .await?
                .is_empty()
        );
        Ok(())
    })
}

/// A purge moves the consumers reading what it purged past it: what they were
/// delivered and had not acknowledged is forgotten, the ack floor follows.
#[test]
fn a_purge_moves_consumers_past_what_it_removed() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        // orders.us.1, orders.eu.2, orders.us.3, orders.eu.4
        let stream = orders(&broker, 4).await?;
        let all = stream
            .create_consumer(ConsumerConfig::durable("all"))
            .await?;
        let us = stream
            .create_consumer(ConsumerConfig {
                filter_subjects: vec!["orders.us.*".to_owned()],
                ..ConsumerConfig::durable("us")
            })
            .await?;
        assert_eq!(sequences(&us.fetch(1, WAIT).await?), [1]);
        assert_eq!(sequences(&all.fetch(2, WAIT).await?), [1, 2]);
        stream.purge_subject("orders.us.>", 0).await?;
        let info = us.info().await?;
        assert_eq!(
            (floor(&info), info.ack_pending, info.pending),
            ((1, 4), 0, 0),
            "{info:?}"
        );
        // Wider than the purge: it forgets only what is gone.
        let info = all.info().await?;
        assert_eq!(
            (floor(&info), info.ack_pending, info.pending),
            ((1, 1), 1, 1),
            "{info:?}"
        );
        stream.purge().await?;
        let info = all.info().await?;
        assert_eq!(
            (floor(&info), info.ack_pending, info.pending),
            ((2, 4), 0, 0),
            "{info:?}"
        );
        broker.stream_publish("orders.us.5", "5").await?;
        assert_eq!(sequences(&us.fetch(5, WAIT).await?), [5]);
        assert_eq!(sequences(&all.fetch(5, WAIT).await?), [5]);
        Ok(())
    })
}

/// A consumer that waits for no acknowledgement counts what it delivered as
/// acknowledged; one that acknowledges all takes an acknowledgement for those delivered
/// before it too; a work queue takes neither (the server's codes, read live).
#[test]
fn ack_policies_none_and_all_are_the_servers() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = orders(&broker, 5).await?;
        let none = stream
            .create_consumer(ConsumerConfig {
                ack_policy: ConsumerAckPolicy::None,
                ..ConsumerConfig::durable("none")
            })
            .await?;
        let info = none.info().await?;
        assert_eq!(
            (info.config.ack_policy, info.config.max_ack_pending),
            (ConsumerAckPolicy::None, None)
        );
        assert_eq!(sequences(&none.fetch(3, WAIT).await?), [1, 2, 3]);
        let info = none.info().await?;
        assert_eq!(
            (info.ack_pending, floor(&info), info.pending),
            (0, (3, 3), 2)
        );

        let all = stream
            .create_consumer(ConsumerConfig {
                ack_policy: ConsumerAckPolicy::All,
                ..ConsumerConfig::durable("all")
            })
            .await?;
        assert_eq!(all.info().await?.config.max_ack_pending, Some(1000));
        let four = all.fetch(4, WAIT).await?;
        four[2].ack_sync().await?;
        let info = all.info().await?;
        assert_eq!((info.ack_pending, floor(&info)), (1, (3, 3)));
        four[3].nak(None).await?;
        // A nak is not acknowledged: give it time to reach the server before the pull.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let next = all.fetch(2, WAIT).await?;
        let delivered: Vec<_> = (next.iter())
            .map(|message| (message.info().stream_sequence, message.info().delivered))
            .collect();
        assert_eq!(delivered, [(4, 2), (5, 1)]);

        let work = broker
            .create_stream(StreamConfig {
                subjects: vec!["work.>".to_owned()],
                retention: Retention::WorkQueue,
                ..StreamConfig::new("WORK")
            })
            .await?;
        for ack_policy in [ConsumerAckPolicy::None, ConsumerAckPolicy::All] {
            let refused = work
                .create_consumer(ConsumerConfig {
                    ack_policy,
                    ..ConsumerConfig::durable("worker")
                })
                .await;
            assert!(
                matches!(refused, Err(Error::WorkQueueConsumer { .. })),
                "{ack_policy:?}: {:?}",
                refused.map(|_| ())
            );
        }
        Ok(())
    })
}
