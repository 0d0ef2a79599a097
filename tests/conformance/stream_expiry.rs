//! Expiry as nats-server expires: by a stream's `max_age`, by a message's own TTL
//! (ADR-43), and the delete markers a subject's last message leaves (every figure
//! first read from a live nats-server 2.15).

use std::time::Duration;

use faststream_kv::error::{ConfigProblem, JsErrorCode};
use faststream_kv::jetstream::{PublishAck, PublishOptions, StreamConfig};
use faststream_kv::prelude::*;

use super::run;
use super::streams::orders;
use crate::support::{Env, eventually_async};

/// A message's own TTL (ADR-43), as a live nats-server 2.15.1 answers: refused by a
/// stream that does not allow it, or when under a second; whole seconds count; the
/// stream's `max_age` still ends a longer one, and `never` outlives it.
#[test]
fn messages_expire_by_their_own_ttl() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        broker.create_stream(orders()).await?;
        let refused = |result: Result<PublishAck, Error>| match result {
            Err(Error::JetStream { code, .. }) => code,
            other => panic!("expected a refusal, got {other:?}"),
        };
        let ttl = |seconds: f64| PublishOptions::new().ttl(Duration::from_secs_f64(seconds));
        let publish = async |subject: &str, options: PublishOptions| {
            broker.stream_publish_with(subject, "x", options).await
        };
        assert_eq!(
            refused(publish("orders.a", ttl(5.0)).await),
            JsErrorCode::MESSAGE_TTL_DISABLED
        );
        assert_eq!(
            refused(publish("orders.a", ttl(0.5)).await),
            JsErrorCode::MESSAGE_TTL_INVALID
        );

        let timed = broker
            .create_stream(StreamConfig {
                subjects: vec!["timed.>".to_owned()],
                allow_msg_ttl: true,
                max_age: Some(Duration::from_secs(2)),
                ..StreamConfig::new("TIMED")
            })
            .await?;
        assert!(timed.info().await?.config.allow_msg_ttl);
        publish("timed.a", ttl(1.0)).await?;
        publish("timed.c", ttl(1.5)).await?;
        publish("timed.d", PublishOptions::new().never_expires()).await?;
        publish("timed.e", PublishOptions::new()).await?;
        publish("timed.g", ttl(10.0)).await?;
        let unreadable = PublishOptions::new().header("Nats-TTL", "abc");
        assert_eq!(
            refused(publish("timed.f", unreadable).await),
            JsErrorCode::MESSAGE_TTL_INVALID
        );
        let left = async || -> Vec<String> {
            let counts = timed.subject_counts(">").await.unwrap_or_default();
            counts.into_keys().collect()
        };
        assert_eq!(left().await.len(), 5);
        eventually_async("the TTLs of a second ran out", async || {
            left().await == ["timed.d", "timed.e", "timed.g"]
        })
        .await;
        eventually_async("max_age ran out", async || left().await == ["timed.d"]).await;
        Ok(())
    })
}

#[test]
fn old_messages_expire_with_max_age() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let stream = broker
            .create_stream(StreamConfig {
                max_age: Some(Duration::from_secs(1)),
                ..orders()
            })
            .await?;
        assert_eq!(
            stream.info().await?.config.duplicate_window,
            Some(Duration::from_secs(1)),
            "the duplicate window is at most max_age"
        );
        broker.stream_publish("orders.1", "x").await?;
        assert_eq!(stream.info().await?.state.messages, 1);
        eventually_async(
            "the message expires",
            async || matches!(stream.info().await, Ok(info) if info.state.messages == 0),
        )
        .await;
        Ok(())
    })
}

/// With `subject_delete_marker_ttl`, a subject's last message leaves a marker when it
/// expires: an empty message with `Nats-Marker-Reason: MaxAge`, the marker TTL as
/// `Nats-TTL` and a subject rollup. The marker expires in turn and leaves none. The
/// stream turns TTLs and rollups on; a shorter message TTL is raised to the marker's.
#[test]
fn an_expired_subject_leaves_a_delete_marker() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let too_short = StreamConfig {
            subjects: vec!["marked.>".to_owned()],
            subject_delete_marker_ttl: Some(Duration::from_millis(500)),
            ..StreamConfig::new("MARKED")
        };
        let refused = broker.create_stream(too_short).await.map(|_| ());
        assert!(
            matches!(
                refused,
                Err(Error::InvalidConfig {
                    problem: ConfigProblem::Ttl { .. },
                    ..
                })
            ),
            "{refused:?}"
        );
        let stream = broker
            .create_stream(StreamConfig {
                subjects: vec!["marked.>".to_owned()],
                max_age: Some(Duration::from_secs(1)),
                subject_delete_marker_ttl: Some(Duration::from_secs(1)),
                ..StreamConfig::new("MARKED")
            })
            .await?;
        let config = stream.info().await?.config;
        assert!(config.allow_msg_ttl && config.allow_rollup);
        for (subject, payload) in [("marked.a", "1"), ("marked.a", "2"), ("marked.b", "3")] {
            broker.stream_publish(subject, payload).await?;
        }
        // The first of `a` goes; the last of each subject is replaced by its marker.
        eventually_async("the markers replace the expired messages", async || {
            let last = stream.info().await.map(|info| info.state.last_sequence);
            last.is_ok_and(|last| last == 5)
        })
        .await;
        let counts = stream.subject_counts(">").await?;
        assert_eq!(
            counts.into_iter().collect::<Vec<_>>(),
            [("marked.a".to_owned(), 1), ("marked.b".to_owned(), 1)]
        );
        let marker = stream.last_message("marked.a").await?.expect("a's marker");
        assert_eq!((marker.sequence, marker.payload.len()), (4, 0));
        let header = |name: &str| marker.headers.get(name).map(|value| value.to_string());
        assert_eq!(header("Nats-Marker-Reason").as_deref(), Some("MaxAge"));
        assert_eq!(header("Nats-TTL").as_deref(), Some("1s"));
        assert_eq!(header("Nats-Rollup").as_deref(), Some("sub"));
        let marker = stream.last_message("marked.b").await?.expect("b's marker");
        assert_eq!(marker.sequence, 5);
        eventually_async("the markers expire and leave none", async || {
            let state = stream.info().await.map(|info| info.state);
            state.is_ok_and(|state| (state.messages, state.first_sequence) == (0, 6))
        })
        .await;

        let raised = broker
            .create_stream(StreamConfig {
                subjects: vec!["raised.>".to_owned()],
                subject_delete_marker_ttl: Some(Duration::from_secs(3)),
                ..StreamConfig::new("RAISED")
            })
            .await?;
        let ttl = PublishOptions::new().ttl(Duration::from_secs(1));
        let stored: PublishAck = broker.stream_publish_with("raised.a", "x", ttl).await?;
        let message = raised.last_message("raised.a").await?.expect("the message");
        assert_eq!(message.sequence, stored.sequence);
        let ttl = message
            .headers
            .get("Nats-TTL")
            .map(|value| value.to_string());
        assert_eq!(ttl.as_deref(), Some("3"));
        Ok(())
    })
}
