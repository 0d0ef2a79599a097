//! `workers_by_key`: with several workers, messages of one key are handled one at a
//! time and in order, messages of different keys at once — keyed by a pattern capture
//! (plain and stream subscribers) or a header; a capture the pattern lacks is a startup
//! error.

use std::time::Duration;

use faststream_kv::async_nats::HeaderMap;
use faststream_kv::error::StartupProblemKind;
use faststream_kv::jetstream::PublishOptions;
use faststream_kv::prelude::*;
use faststream_kv::subscriber::{IntoSubscriber, OrderingKey, Subscriber};
use faststream_kv::testing::TestApp;

use super::run;
use crate::support::{Env, Log, all_acknowledged, eventually};

const KEYS: [&str; 4] = ["a", "b", "c", "d"];
const PER_KEY: usize = 8;

/// Logs `start <key> <n>`, works a little (longer for earlier messages, so that a
/// reordering would show), logs `end <key> <n>`.
async fn work(Path(key): Path<String>, body: String, Ctx(log): Ctx<Log>) {
    log.push(format!("start {key} {body}"));
    let n: u64 = body.parse().unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(5 + 3 * (PER_KEY as u64 - n))).await;
    log.push(format!("end {key} {body}"));
}

/// Keyed by header `account`, whatever the subject.
async fn by_header(headers: Headers, body: String, Ctx(log): Ctx<Log>) {
    let key = headers.get("account").unwrap_or("-").to_owned();
    log.push(format!("start {key} {body}"));
    let n: u64 = body.parse().unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(5 + 3 * (PER_KEY as u64 - n))).await;
    log.push(format!("end {key} {body}"));
}

/// Each key's messages started and ended one after the other, in order; some keys'
/// messages ran at the same time.
fn assert_keyed(log: &Log) {
    let entries = log.entries();
    for key in KEYS {
        let mine: Vec<&str> = entries
            .iter()
            .map(String::as_str)
            .filter(|entry| entry.split(' ').nth(1) == Some(key))
            .collect();
        let expected: Vec<String> = (0..PER_KEY)
            .flat_map(|n| [format!("start {key} {n}"), format!("end {key} {n}")])
            .collect();
        assert_eq!(mine, expected, "key {key}");
    }
    let mut running = 0;
    let mut most = 0;
    for entry in &entries {
        running = if entry.starts_with("start") {
            running + 1
        } else {
            running - 1
        };
        most = most.max(running);
    }
    assert!(most > 1, "no two keys ran at once");
}

fn app(env: &Env, log: &Log, subscriber: impl IntoSubscriber) -> App {
    let app = App::new(env.broker()).subscriber(subscriber);
    app.context().insert(log.clone());
    app
}

#[test]
fn a_subject_subscriber_keeps_each_keys_order() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let subscriber = Subscriber::new("jobs.{key}", work)
            .max_workers(8)
            .workers_by_key(OrderingKey::capture("key"));
        let app = TestApp::start(app(&env, &log, subscriber)).await?;
        for n in 0..PER_KEY {
            for key in KEYS {
                app.broker()
                    .publish(&format!("jobs.{key}"), n.to_string())
                    .await?;
            }
        }
        eventually("all handled", || log.len() == 2 * KEYS.len() * PER_KEY).await;
        assert_keyed(&log);
        app.stop().await
    })
}

#[test]
fn a_stream_subscriber_keeps_each_keys_order() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let subscriber = Subscriber::stream("JOBS", "jobs.{key}", work)
            .durable("workers")
            .pull(100, Duration::from_millis(200))
            .max_workers(8)
            .workers_by_key(OrderingKey::capture("key"));
        let app = TestApp::start(app(&env, &log, subscriber)).await?;
        for n in 0..PER_KEY {
            for key in KEYS {
                app.broker()
                    .stream_publish(&format!("jobs.{key}"), n.to_string())
                    .await?;
            }
        }
        eventually("all handled", || log.len() == 2 * KEYS.len() * PER_KEY).await;
        assert_keyed(&log);
        let stream = app.broker().stream("JOBS").await?;
        let consumer = stream.consumer("workers").await?;
        all_acknowledged(&consumer).await;
        app.stop().await
    })
}

#[test]
fn a_header_keys_the_messages() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let subscriber = Subscriber::stream("EVENTS", "events.*", by_header)
            .pull(100, Duration::from_millis(200))
            .max_workers(8)
            .workers_by_key(OrderingKey::header("account"));
        let app = TestApp::start(app(&env, &log, subscriber)).await?;
        for n in 0..PER_KEY {
            for (index, key) in KEYS.iter().enumerate() {
                // The subject varies independently of the key.
                let subject = format!("events.{}", (n + index) % 3);
                let mut headers = HeaderMap::new();
                headers.insert("account", *key);
                let options = PublishOptions::new().headers(headers);
                app.broker()
                    .stream_publish_with(&subject, n.to_string(), options)
                    .await?;
            }
        }
        eventually("all handled", || log.len() == 2 * KEYS.len() * PER_KEY).await;
        assert_keyed(&log);
        app.stop().await
    })
}

#[test]
fn a_missing_capture_is_a_startup_error() -> Result<(), Error> {
    run(async |env: Env| {
        let subscriber = Subscriber::new("jobs.{key}", work)
            .max_workers(4)
            .workers_by_key(OrderingKey::capture("account"));
        match app(&env, &Log::default(), subscriber).start().await {
            Err(Error::Startup { problems, .. }) => {
                assert!(matches!(
                    &problems[0].kind,
                    StartupProblemKind::OrderingKeyWithoutCapture { capture, .. } if capture == "account"
                ));
            }
            other => panic!("expected a startup error, got {:?}", other.map(|_| ())),
        }
        Ok(())
    })
}
