//! Streams: declared (merging subjects), created, updated, bound, deleted, listed;
//! publishing with an acknowledgement, message-id dedup and expectations; limits with
//! discard old and new; purges, reads and deletes of stored messages.

use std::collections::BTreeMap;
use std::time::Duration;

use faststream_kv::error::{ConfigProblem, JsErrorCode, StreamLimit};
use faststream_kv::jetstream::{
    Discard, LastSequenceOf, PublishAck, PublishOptions, Retention, Rollup, Storage, StreamConfig,
};
use faststream_kv::prelude::*;
use futures::StreamExt;

use super::run;
use crate::support::{Env, eventually_async};

pub(super) fn orders() -> StreamConfig {
    StreamConfig {
        subjects: vec!["orders.>".to_owned()],
        ..StreamConfig::new("ORDERS")
    }
}

#[test]
fn declare_creates_then_merges_subjects_and_delete_removes() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = broker.stream("ORDERS").declare(orders()).await?;
        assert_eq!(stream.name(), "ORDERS");
        let refunds = StreamConfig {
            subjects: vec!["refunds.*".to_owned()],
            ..StreamConfig::default()
        };
        let merged = broker.stream("ORDERS").declare(refunds).await?;
        let mut subjects = merged.info().await?.config.subjects;
        subjects.sort();
        assert_eq!(subjects, ["orders.>", "refunds.*"]);
        // Declared again as it is: nothing changes.
        broker.stream("ORDERS").declare(orders()).await?;
        assert_eq!(
            broker
                .stream("ORDERS")
                .await?
                .info()
                .await?
                .config
                .subjects
                .len(),
            2
        );
        assert_eq!(broker.stream_names().await?, ["ORDERS"]);
        broker.delete_stream("ORDERS").await?;
        assert!(matches!(
            broker.stream("ORDERS").await,
            Err(Error::StreamNotFound { .. })
        ));
        assert!(matches!(
            stream.info().await,
            Err(Error::StreamNotFound { .. })
        ));
        assert!(matches!(
            broker.delete_stream("ORDERS").await,
            Err(Error::StreamNotFound { .. })
        ));
        Ok(())
    })
}

#[test]
fn create_is_idempotent_and_refuses_another_config_or_overlap() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        broker.create_stream(orders()).await?;
        broker.create_stream(orders()).await?;
        let other = StreamConfig {
            max_messages: Some(5),
            ..orders()
        };
        assert!(matches!(
            broker.create_stream(other).await,
            Err(Error::StreamExists { .. })
        ));
        let overlapping = StreamConfig {
            subjects: vec!["orders.eu.*".to_owned()],
            ..StreamConfig::new("EU")
        };
        assert!(matches!(
            broker.create_stream(overlapping).await,
            Err(Error::SubjectsOverlap { .. })
        ));
        Ok(())
    })
}

#[test]
fn configurations_are_checked_before_anything_is_sent() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        for name in ["a.b", "a b", "a>", ""] {
            let config = StreamConfig {
                name: name.to_owned(),
                ..orders()
            };
            assert!(matches!(
                broker.create_stream(config).await,
                Err(Error::InvalidStreamName { .. })
            ));
        }
        let invalid = async |config: StreamConfig| match broker.create_stream(config).await {
            Err(Error::InvalidConfig { problem, .. }) => problem,
            other => panic!("expected InvalidConfig, got {other:?}"),
        };
        assert_eq!(
            invalid(StreamConfig::new("NONE")).await,
            ConfigProblem::NoSubjects
        );
        let zero = StreamConfig {
            max_messages: Some(0),
            ..orders()
        };
        assert!(matches!(
            invalid(zero).await,
            ConfigProblem::ZeroLimit { .. }
        ));
        let overlapping = StreamConfig {
            subjects: vec!["orders.*".to_owned(), "orders.eu".to_owned()],
            ..orders()
        };
        match invalid(overlapping).await {
            ConfigProblem::OverlappingSubjects { first, second, .. } => {
                assert_eq!((first.as_str(), second.as_str()), ("orders.*", "orders.eu"));
            }
            other => panic!("expected OverlappingSubjects, got {other:?}"),
        }
        let bad_subject = StreamConfig {
            subjects: vec!["a..b".to_owned()],
            ..orders()
        };
        assert!(matches!(
            broker.create_stream(bad_subject).await,
            Err(Error::InvalidSubject { .. })
        ));
        Ok(())
    })
}

#[test]
fn publishes_are_acknowledged_stored_and_delivered() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = broker.create_stream(orders()).await?;
        let mut plain = broker.subscribe("orders.>").await?;
        broker.flush().await?;
        let first = broker.stream_publish("orders.eu.1", "one").await?;
        assert_eq!(
            (first.stream.as_str(), first.sequence, first.duplicate),
            ("ORDERS", 1, false)
        );
        let second = broker.stream_publish("orders.us.2", "two").await?;
        assert_eq!(second.sequence, 2);
        // A stream is one more subscriber: plain subscribers see the messages too.
        let seen = tokio::time::timeout(Duration::from_secs(5), plain.next())
            .await
            .map_err(Error::msg)?;
        assert_eq!(
            seen.map(|message| message.payload().clone()),
            Some("one".into())
        );
        // A plain publish is stored as well.
        broker.publish("orders.eu.3", "three").await?;
        broker.flush().await?;
        eventually_async(
            "the plain publish is stored",
            async || matches!(stream.info().await, Ok(info) if info.state.messages == 3),
        )
        .await;
        let stored = stream
            .message(1)
            .await?
            .ok_or_else(|| Error::msg("no message 1"))?;
        assert_eq!(
            (stored.subject.as_str(), stored.payload.as_ref()),
            ("orders.eu.1", &b"one"[..])
        );
        let last = stream.last_message("orders.eu.3").await?;
        assert_eq!(last.map(|message| message.sequence), Some(3));
        assert!(matches!(
            broker.stream_publish("elsewhere", "x").await,
            Err(Error::NoStream { subject, .. }) if subject == "elsewhere"
        ));
        Ok(())
    })
}

#[test]
fn a_request_to_a_stream_subject_gets_the_ack() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        broker.create_stream(orders()).await?;
        let reply = broker.request("orders.eu.1", "one").await?;
        let ack: serde_json::Value = serde_json::from_slice(reply.payload()).map_err(Error::msg)?;
        assert_eq!(ack["stream"], "ORDERS");
        assert_eq!(ack["seq"], 1);
        Ok(())
    })
}

/// The answers to plain publishes that a stream refuses, as nats-server 2.15 writes
/// them (read from a live server).
#[test]
fn a_request_to_a_stream_subject_gets_the_refusal() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        broker
            .create_stream(StreamConfig {
                subjects: vec!["full.>".to_owned()],
                max_messages: Some(1),
                discard: Discard::New,
                ..StreamConfig::new("FULL")
            })
            .await?;
        let answer = async |subject: &str, header: Option<(&str, &str)>| {
            let request = match header {
                Some((name, value)) => Reply::new("x").header(name, value),
                None => Reply::new("x"),
            };
            let reply = broker.request_with(subject, request, None).await?;
            serde_json::from_slice::<serde_json::Value>(reply.payload()).map_err(Error::msg)
        };
        let expected =
            |text: &str| serde_json::from_str::<serde_json::Value>(text).map_err(Error::msg);
        let id = Some(("Nats-Msg-Id", "m1"));
        assert_eq!(
            answer("full.a", id).await?,
            expected(r#"{"stream":"FULL","seq":1}"#)?
        );
        assert_eq!(
            answer("full.a", id).await?,
            expected(r#"{"stream":"FULL","seq":1,"duplicate":true}"#)?
        );
        assert_eq!(
            answer("full.b", None).await?,
            expected(
                r#"{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"},"stream":"FULL","seq":0}"#
            )?
        );
        assert_eq!(
            answer("full.c", Some(("Nats-Expected-Last-Msg-Id", "zz"))).await?,
            expected(
                r#"{"error":{"code":400,"err_code":10070,"description":"wrong last msg ID: m1"},"stream":"FULL","seq":0}"#
            )?
        );
        assert_eq!(
            answer("full.d", Some(("Nats-Expected-Stream", "OTHER"))).await?,
            expected(
                r#"{"error":{"code":400,"err_code":10060,"description":"expected stream does not match"},"stream":"FULL","seq":0}"#
            )?
        );
        assert_eq!(
            answer("full.e", Some(("Nats-Expected-Last-Sequence", "7"))).await?,
            expected(
                r#"{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 1"},"stream":"FULL","seq":0}"#
            )?
        );
        // The same refusals, typed.
        assert!(matches!(
            broker.stream_publish("full.f", "x").await,
            Err(Error::StreamFull { stream, limit: StreamLimit::Messages, .. }) if stream == "FULL"
        ));
        let options = PublishOptions::new().expected_last_message_id("zz");
        assert!(matches!(
            broker.stream_publish_with("full.g", "x", options).await,
            Err(Error::WrongLastMessageId { found: Some(found), .. }) if found == "m1"
        ));
        Ok(())
    })
}

#[test]
fn a_message_id_is_stored_once_within_the_window() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = broker.create_stream(orders()).await?;
        let once = || PublishOptions::new().message_id("order-1");
        let first = broker.stream_publish_with("orders.1", "a", once()).await?;
        let again = broker.stream_publish_with("orders.1", "a", once()).await?;
        assert!(!first.duplicate);
        assert!(again.duplicate);
        assert_eq!(again.sequence, first.sequence);
        assert_eq!(stream.info().await?.state.messages, 1);
        assert_eq!(
            stream.info().await?.config.duplicate_window,
            Some(Duration::from_secs(120))
        );
        Ok(())
    })
}

#[test]
fn expectations_are_checked_before_storing() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = broker.create_stream(orders()).await?;
        let publish = async |subject: &str, options: PublishOptions| {
            broker.stream_publish_with(subject, "x", options).await
        };
        publish("orders.a", PublishOptions::new().expected_last_sequence(0)).await?;
        assert!(matches!(
            publish("orders.a", PublishOptions::new().expected_last_sequence(5)).await,
            Err(Error::WrongLastSequence { expected: 5, .. })
        ));
        publish(
            "orders.b",
            PublishOptions::new().expected_last_subject_sequence(0),
        )
        .await?;
        publish(
            "orders.a",
            PublishOptions::new().expected_last_subject_sequence(1),
        )
        .await?;
        assert!(matches!(
            publish(
                "orders.b",
                PublishOptions::new().expected_last_subject_sequence(1)
            )
            .await,
            Err(Error::WrongLastSequence { expected: 1, .. })
        ));
        assert!(matches!(
            publish("orders.a", PublishOptions::new().expected_stream("OTHER")).await,
            Err(Error::WrongStream { .. })
        ));
        publish(
            "orders.a",
            PublishOptions::new()
                .expected_stream("ORDERS")
                .message_id("m1"),
        )
        .await?;
        publish(
            "orders.a",
            PublishOptions::new().expected_last_message_id("m1"),
        )
        .await?;
        assert!(matches!(
            publish(
                "orders.a",
                PublishOptions::new().expected_last_message_id("m1")
            )
            .await,
            Err(Error::WrongLastMessageId { .. })
        ));
        assert_eq!(stream.info().await?.state.last_sequence, 5);
        Ok(())
    })
}

/// A refused sequence expectation says whose last sequence was expected and what it
/// is, in the server's order: the subject's before the stream's, both before the
/// message id (a duplicate with a failed expectation is refused, not acknowledged).
#[test]
fn a_wrong_last_sequence_says_which_expectation_failed() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        broker.create_stream(orders()).await?;
        let publish = async |subject: &str, options: PublishOptions| {
            broker.stream_publish_with(subject, "x", options).await
        };
        let wrong = |result: Result<PublishAck, Error>| match result {
            Err(Error::WrongLastSequence {
                of,
                expected,
                found,
                ..
            }) => (of, expected, found),
            other => panic!("expected a wrong last sequence, got {other:?}"),
        };
        let subject = |subject: &str| LastSequenceOf::Subject(subject.to_owned());
        publish("orders.a", PublishOptions::new().message_id("m1")).await?;
        publish("orders.a", PublishOptions::new()).await?;

        let duplicate = PublishOptions::new()
            .message_id("m1")
            .expected_last_sequence(1);
        let refused = publish("orders.a", duplicate).await;
        assert_eq!(
            refused
                .as_ref()
                .map_err(ToString::to_string)
                .err()
                .as_deref(),
            Some(
                "publish to \"orders.a\" expected the last sequence of the stream to be 1, it is 2"
            )
        );
        assert_eq!(wrong(refused), (LastSequenceOf::Stream, 1, Some(2)));
        let both = PublishOptions::new()
            .expected_last_sequence(1)
            .expected_last_subject_sequence(5);
        assert_eq!(
            wrong(publish("orders.b", both).await),
            (subject("orders.b"), 5, Some(0))
        );
        let stream_only = PublishOptions::new()
            .expected_last_sequence(1)
            .expected_last_subject_sequence(0);
        assert_eq!(
            wrong(publish("orders.b", stream_only).await),
            (LastSequenceOf::Stream, 1, Some(2))
        );

        let other = PublishOptions::new().expected_last_subject_sequence_for("orders.a", 2);
        assert_eq!(publish("orders.c", other).await?.sequence, 3);
        let wildcard = PublishOptions::new().expected_last_subject_sequence_for("orders.*", 2);
        assert_eq!(
            wrong(publish("orders.c", wildcard).await),
            (subject("orders.*"), 2, Some(3))
        );
        let without_sequence =
            PublishOptions::new().header("Nats-Expected-Last-Subject-Sequence-Subject", "orders.a");
        match publish("orders.c", without_sequence).await {
            Err(Error::JetStream { code, .. }) => {
                assert_eq!(
                    code,
                    JsErrorCode::STREAM_EXPECTED_LAST_SEQ_PER_SUBJECT_INVALID
                );
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        Ok(())
    })
}

/// The stream's state as nats-server reports it (checked live): per-subject counts,
/// deleted sequences between the first and the last, first and last times (the last
/// kept through a purge); purges before a sequence, one past the end moving the
/// stream's sequences on; the last message by a wildcard subject.
#[test]
fn stream_state_counts_subjects_deletions_and_times() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = broker.create_stream(orders()).await?;
        let state = async || Ok::<_, Error>(stream.info().await?.state);
        let empty = state().await?;
        assert_eq!((empty.first_time, empty.last_time), (None, None));
        assert_eq!((empty.subjects, empty.deleted), (0, 0));
        for subject in ["a", "b", "a", "c", "a", "b"] {
            broker
                .stream_publish(&format!("orders.{subject}"), "x")
                .await?;
        }
        let six = state().await?;
        assert_eq!((six.subjects, six.deleted), (3, 0));
        let (first, last) = (
            six.first_time.expect("a first"),
            six.last_time.expect("a last"),
        );
        assert!(first <= last);
        let counts = |pairs: &[(&str, u64)]| {
            (pairs.iter())
                .map(|(subject, count)| (format!("orders.{subject}"), *count))
                .collect::<BTreeMap<_, _>>()
        };
        assert_eq!(
            stream.subject_counts(">").await?,
            counts(&[("a", 3), ("b", 2), ("c", 1)])
        );
        assert_eq!(
            stream.subject_counts("orders.a").await?,
            counts(&[("a", 3)])
        );
        assert_eq!(stream.subject_counts("orders.x").await?, counts(&[]));

        assert!(stream.delete_message(3).await?);
        assert_eq!(
            (state().await?.deleted, stream.deleted_sequences().await?),
            (1, vec![3])
        );
        assert_eq!(stream.purge_before(3).await?, 2);
        let purged = state().await?;
        assert_eq!((purged.first_sequence, purged.deleted), (4, 0));
        assert_eq!(stream.deleted_sequences().await?, Vec::<u64>::new());
        assert_eq!(
            stream.subject_counts(">").await?,
            counts(&[("a", 1), ("b", 1), ("c", 1)])
        );
        assert_eq!(stream.purge_subject_before("orders.a", 6).await?, 1);
        assert_eq!(stream.deleted_sequences().await?, [5]);
        assert_eq!(state().await?.subjects, 2);
        let last = stream
            .last_message("orders.*")
            .await?
            .expect("a last message");
        assert_eq!((last.subject.as_str(), last.sequence), ("orders.b", 6));

        assert_eq!(stream.purge_before(100).await?, 2);
        let compacted = state().await?;
        assert_eq!(
            (
                compacted.messages,
                compacted.first_sequence,
                compacted.last_sequence
            ),
            (0, 100, 99)
        );
        assert_eq!(
            (compacted.first_time, compacted.last_time),
            (None, six.last_time)
        );
        assert!(stream.last_message("orders.*").await?.is_none());
        assert_eq!(broker.stream_publish("orders.z", "y").await?.sequence, 100);
        Ok(())
    })
}

/// With `discard_new_per_subject`, a subject at its limit refuses a new message (the
/// server's 10077, "maximum messages per subject exceeded") instead of replacing its
/// oldest; a rollup still goes through. Without discard new or a per-subject limit the
/// configuration is refused before anything is sent.
#[test]
fn discard_new_per_subject_refuses_a_subject_at_its_limit() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let config = StreamConfig {
            discard: Discard::New,
            max_messages_per_subject: Some(2),
            discard_new_per_subject: true,
            allow_rollup: true,
            ..orders()
        };
        let stream = broker.create_stream(config.clone()).await?;
        assert!(stream.info().await?.config.discard_new_per_subject);
        broker.stream_publish("orders.a", "1").await?;
        broker.stream_publish("orders.a", "2").await?;
        assert!(matches!(
            broker.stream_publish("orders.a", "3").await,
            Err(Error::StreamFull { .. })
        ));
        assert_eq!(broker.stream_publish("orders.b", "1").await?.sequence, 3);
        let rollup = PublishOptions::new().rollup(Rollup::Subject);
        assert_eq!(
            broker
                .stream_publish_with("orders.a", "4", rollup)
                .await?
                .sequence,
            4
        );
        assert_eq!(stream.info().await?.state.messages, 2);

        let other = StreamConfig {
            subjects: vec!["other.>".to_owned()],
            ..StreamConfig::new("OTHER")
        };
        let other = StreamConfig {
            discard: Discard::New,
            max_messages_per_subject: Some(2),
            discard_new_per_subject: true,
            ..other
        };
        for (config, needs) in [
            (
                StreamConfig {
                    discard: Discard::Old,
                    ..other.clone()
                },
                "discard: Discard::New",
            ),
            (
                StreamConfig {
                    max_messages_per_subject: None,
                    ..other.clone()
                },
                "a max_messages_per_subject",
            ),
        ] {
            match broker.create_stream(config).await {
                Err(Error::InvalidConfig {
                    problem: ConfigProblem::DiscardNewPerSubject { needs: said, .. },
                    ..
                }) => assert_eq!(said, needs),
                other => panic!(
                    "expected a refused configuration, got {:?}",
                    other.map(|_| ())
                ),
            }
        }
        Ok(())
    })
}

/// A rollup replaces the subject's or the stream's earlier messages where the stream
/// allows it; the server refuses it elsewhere, and refuses a value it does not know,
/// with its error code.
#[test]
fn rollups_replace_or_are_refused_by_code() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let plain = broker.create_stream(orders()).await?;
        let refused = broker
            .stream_publish_with(
                "orders.a",
                "x",
                PublishOptions::new().rollup(Rollup::Subject),
            )
            .await;
        match refused {
            Err(Error::JetStream {
                code, description, ..
            }) => {
                assert_eq!(code, JsErrorCode::STREAM_ROLLUP_FAILED);
                assert_eq!(description, "rollup not permitted");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(plain.info().await?.state.messages, 0);

        let rolled = broker
            .create_stream(StreamConfig {
                subjects: vec!["rolled.>".to_owned()],
                allow_rollup: true,
                ..StreamConfig::new("ROLLED")
            })
            .await?;
        for subject in ["rolled.a", "rolled.a", "rolled.b"] {
            broker.stream_publish(subject, "x").await?;
        }
        let subject_rollup = PublishOptions::new().rollup(Rollup::Subject);
        broker
            .stream_publish_with("rolled.a", "last a", subject_rollup)
            .await?;
        assert_eq!(rolled.info().await?.state.messages, 2);
        let invalid = PublishOptions::new().header("Nats-Rollup", "everything");
        match broker.stream_publish_with("rolled.a", "x", invalid).await {
            Err(Error::JetStream {
                code, description, ..
            }) => {
                assert_eq!(code, JsErrorCode::STREAM_ROLLUP_FAILED);
                assert_eq!(description, r#"rollup value invalid: "everything""#);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        broker
            .stream_publish_with("rolled.c", "all", PublishOptions::new().rollup(Rollup::All))
            .await?;
        let state = rolled.info().await?.state;
        assert_eq!((state.messages, state.last_sequence), (1, 5));
        Ok(())
    })
}

#[test]
fn limits_discard_old_or_refuse_new() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let old = broker
            .create_stream(StreamConfig {
                subjects: vec!["old.>".to_owned()],
                max_messages: Some(3),
                max_messages_per_subject: Some(2),
                ..StreamConfig::new("OLD")
            })
            .await?;
        for index in 0..5 {
            broker.stream_publish(&format!("old.{index}"), "x").await?;
        }
        let state = old.info().await?.state;
        assert_eq!(
            (state.messages, state.first_sequence, state.last_sequence),
            (3, 3, 5)
        );
        for _ in 0..3 {
            broker.stream_publish("old.same", "x").await?;
        }
        let state = old.info().await?.state;
        assert_eq!(state.messages, 3);
        assert!(old.message(5).await?.is_some());
        assert!(
            old.message(6).await?.is_none(),
            "the subject keeps its newest two"
        );

        let new = broker
            .create_stream(StreamConfig {
                subjects: vec!["new.>".to_owned()],
                max_messages: Some(2),
                // Headers count too: the correlation id alone is some 66 bytes.
                max_message_size: Some(128),
                discard: Discard::New,
                storage: Storage::Memory,
                ..StreamConfig::new("NEW")
            })
            .await?;
        broker.stream_publish("new.1", "x").await?;
        broker.stream_publish("new.2", "x").await?;
        assert!(matches!(
            broker.stream_publish("new.3", "x").await,
            Err(Error::StreamFull { stream, .. }) if stream == "NEW"
        ));
        new.purge().await?;
        assert!(matches!(
            broker.stream_publish("new.4", vec![0u8; 200]).await,
            Err(Error::MessageTooLarge { max: 128, .. })
        ));
        assert_eq!(new.info().await?.state.messages, 0);

        // At its message limit, a discard-new stream still takes a message on a subject
        // at its own limit: it replaces that subject's oldest.
        let per_subject = broker
            .create_stream(StreamConfig {
                subjects: vec!["per.>".to_owned()],
                max_messages: Some(3),
                max_messages_per_subject: Some(2),
                discard: Discard::New,
                ..StreamConfig::new("PER")
            })
            .await?;
        for subject in ["per.a", "per.a", "per.b"] {
            broker.stream_publish(subject, "x").await?;
        }
        assert!(matches!(
            broker.stream_publish("per.c", "x").await,
            Err(Error::StreamFull { .. })
        ));
        let replaced = broker.stream_publish("per.a", "x").await?;
        let state = per_subject.info().await?.state;
        assert_eq!(
            (state.messages, state.first_sequence, replaced.sequence),
            (3, 2, 4)
        );
        Ok(())
    })
}

#[test]
fn messages_are_purged_read_and_deleted() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = broker.create_stream(orders()).await?;
        for subject in ["orders.a", "orders.a", "orders.a", "orders.b"] {
            broker.stream_publish(subject, "x").await?;
        }
        assert_eq!(stream.purge_subject("orders.a", 1).await?, 2);
        assert!(stream.message(3).await?.is_some());
        assert!(stream.delete_message(3).await?);
        assert!(!stream.delete_message(3).await?);
        assert_eq!(stream.purge().await?, 1);
        let state = stream.info().await?.state;
        assert_eq!(
            (state.messages, state.first_sequence, state.last_sequence),
            (0, 5, 4)
        );
        assert_eq!(broker.stream_publish("orders.c", "x").await?.sequence, 5);

        let locked = broker
            .create_stream(StreamConfig {
                subjects: vec!["locked".to_owned()],
                deny_delete: true,
                deny_purge: true,
                ..StreamConfig::new("LOCKED")
            })
            .await?;
        broker.stream_publish("locked", "x").await?;
        assert!(matches!(
            locked.delete_message(1).await,
            Err(Error::StreamDenies { what: "delete", .. })
        ));
        assert!(matches!(
            locked.purge().await,
            Err(Error::StreamDenies { what: "purge", .. })
        ));
        Ok(())
    })
}

#[test]
fn updates_apply_new_limits_and_refuse_what_cannot_change() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = broker.create_stream(orders()).await?;
        for index in 0..5 {
            broker
                .stream_publish(&format!("orders.{index}"), "x")
                .await?;
        }
        broker
            .update_stream(StreamConfig {
                max_messages: Some(2),
                ..orders()
            })
            .await?;
        assert_eq!(stream.info().await?.state.messages, 2);
        let memory = StreamConfig {
            storage: Storage::Memory,
            ..orders()
        };
        assert!(matches!(
            broker.update_stream(memory).await,
            Err(Error::StreamExists { .. })
        ));
        let work_queue = StreamConfig {
            retention: Retention::WorkQueue,
            ..orders()
        };
        assert!(matches!(
            broker.update_stream(work_queue).await,
            Err(Error::StreamExists { .. })
        ));
        assert!(matches!(
            broker
                .update_stream(StreamConfig {
                    subjects: vec!["x".to_owned()],
                    ..StreamConfig::new("MISSING")
                })
                .await,
            Err(Error::StreamNotFound { .. })
        ));
        Ok(())
    })
}

#[test]
fn interest_retention_without_consumers_keeps_nothing() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = broker
            .create_stream(StreamConfig {
                retention: Retention::Interest,
                ..orders()
            })
            .await?;
        let ack = broker.stream_publish("orders.1", "x").await?;
        assert_eq!(ack.sequence, 1);
        let state = stream.info().await?.state;
        assert_eq!((state.messages, state.last_sequence), (0, 1));
        Ok(())
    })
}
