//! A subscriber slower than its publisher: it holds up to its pending limits, drops the
//! newest messages beyond them, counts them exactly and reports them, the same on both
//! backends.

use std::sync::Arc;
use std::time::Duration;

use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;
use faststream_kv::testing::TestApp;
use faststream_kv::{ConnectionEvent, PendingLimits, PendingStats};
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::Semaphore;

use super::run;
use crate::support::{Env, Log, eventually};

/// The handler waits here until the test lets it through.
struct Gate(Arc<Semaphore>);

async fn gated(Ctx(gate): Ctx<Gate>, Ctx(log): Ctx<Log>, body: String) {
    let _permit = gate.0.acquire().await;
    log.push(body);
}

/// Starts an app whose one handler `slow` is held by a gate, with `limits`; publishes
/// one message and waits until the handler holds it, then publishes `payloads`.
async fn overloaded(
    env: &Env,
    limits: PendingLimits,
    payloads: &[String],
) -> Result<
    (
        TestApp,
        Log,
        Arc<Semaphore>,
        BoxStream<'static, ConnectionEvent>,
    ),
    Error,
> {
    let (log, gate) = (Log::default(), Arc::new(Semaphore::new(0)));
    let subscriber = Subscriber::new("overload.work", gated)
        .name("slow")
        .pending_limits(limits);
    let app = App::new(env.broker()).subscriber(subscriber);
    app.context().insert(log.clone());
    app.context().insert(Gate(Arc::clone(&gate)));
    let events = app.broker().events();
    let app = TestApp::start(app).await?;
    app.publish("overload.work", "first").await?;
    app.broker().flush().await?;
    eventually("the handler holds the first message", || {
        stats(&app).delivered_messages == 1
    })
    .await;
    for payload in payloads {
        app.publish("overload.work", payload.clone()).await?;
    }
    app.broker().flush().await?;
    let published = payloads.len() as u64;
    eventually("every message is pending or dropped", || {
        let stats = stats(&app);
        stats.pending_messages + stats.dropped_messages == published
    })
    .await;
    Ok((app, log, gate, events))
}

fn stats(app: &TestApp) -> PendingStats {
    let all = app.running().subscriber_stats();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(
        (all[0].name.as_str(), all[0].subject.as_str()),
        ("slow", "overload.work")
    );
    all[0].counts
}

/// The messages dropped for `slow` as its slow-consumer events told, until the
/// connection closed.
async fn reported_drops(mut events: BoxStream<'static, ConnectionEvent>) -> (u64, u64, usize) {
    let (mut messages, mut bytes, mut reports) = (0, 0, 0);
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_secs(10), events.next()).await {
        match event {
            ConnectionEvent::SlowConsumer {
                subscription,
                dropped_messages,
                dropped_bytes,
                ..
            } => {
                assert_eq!(subscription, "slow");
                messages += dropped_messages;
                bytes += dropped_bytes;
                reports += 1;
            }
            ConnectionEvent::Closed => break,
            _ => {}
        }
    }
    (messages, bytes, reports)
}

fn numbered(count: usize, size: usize) -> Vec<String> {
    (0..count).map(|n| format!("{n:0size$}")).collect()
}

#[test]
fn a_slow_subscriber_holds_its_message_limit_and_drops_the_newest() -> Result<(), Error> {
    run(async |env: Env| {
        let payloads = numbered(999, 10);
        let limits = PendingLimits::new(100, 1024 * 1024);
        let (app, log, gate, events) = overloaded(&env, limits, &payloads).await?;
        let held = stats(&app);
        assert_eq!(
            (held.pending_messages, held.pending_bytes),
            (100, 1000),
            "{held:?}"
        );
        assert_eq!(
            (held.dropped_messages, held.dropped_bytes),
            (899, 8990),
            "{held:?}"
        );
        gate.add_permits(1000);
        eventually("the held messages are handled", || log.len() == 101).await;
        let mut expected = vec!["first".to_owned()];
        expected.extend(payloads[..100].iter().cloned());
        assert_eq!(log.entries(), expected, "the oldest are kept, in order");
        let after = stats(&app);
        assert_eq!(
            (
                after.pending_messages,
                after.dropped_messages,
                after.delivered_messages
            ),
            (0, 899, 101)
        );
        app.stop().await?;
        let (messages, bytes, reports) = reported_drops(events).await;
        assert_eq!((messages, bytes), (899, 8990), "every drop is reported");
        assert!(
            (1..=899).contains(&reports),
            "reports are summed up, not one per message: {reports}"
        );
        Ok(())
    })
}

#[test]
fn the_byte_limit_counts_payloads() -> Result<(), Error> {
    run(async |env: Env| {
        let payloads = numbered(50, 100);
        let limits = PendingLimits::new(1000, 1000);
        let (app, log, gate, _events) = overloaded(&env, limits, &payloads).await?;
        let held = stats(&app);
        assert_eq!((held.pending_messages, held.pending_bytes), (10, 1000));
        assert_eq!((held.dropped_messages, held.dropped_bytes), (40, 4000));
        gate.add_permits(100);
        eventually("the held messages are handled", || log.len() == 11).await;
        app.stop().await
    })
}

#[test]
fn a_plain_subscription_keeps_its_limits_too() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        broker.connect().await?;
        let mut subscription = broker.subscribe("overload.plain").await?;
        assert_eq!(subscription.stats(), PendingStats::default());
        subscription.set_pending_limits(PendingLimits::new(5, 1024));
        broker.flush().await?;
        for n in 0..20 {
            broker.publish("overload.plain", n.to_string()).await?;
        }
        broker.flush().await?;
        eventually("every message is pending or dropped", || {
            let stats = subscription.stats();
            stats.pending_messages + stats.dropped_messages == 20
        })
        .await;
        let stats = subscription.stats();
        assert_eq!((stats.pending_messages, stats.dropped_messages), (5, 15));
        let mut read = Vec::new();
        for _ in 0..5 {
            let message = subscription.next().await.ok_or(Error::Closed)?;
            read.push(String::from_utf8_lossy(message.payload()).into_owned());
        }
        assert_eq!(read, ["0", "1", "2", "3", "4"]);
        assert_eq!(subscription.stats().pending_messages, 0);
        broker.close().await
    })
}

#[subscriber("overload.macro", pending_messages = 2)]
async fn limited_by_attribute(Ctx(gate): Ctx<Gate>, Ctx(log): Ctx<Log>, body: String) {
    gated(Ctx(gate), Ctx(log), body).await;
}

#[test]
fn the_attribute_sets_the_limits() -> Result<(), Error> {
    run(async |env: Env| {
        let (log, gate) = (Log::default(), Arc::new(Semaphore::new(0)));
        let app = App::new(env.broker()).subscriber(limited_by_attribute);
        app.context().insert(log.clone());
        app.context().insert(Gate(Arc::clone(&gate)));
        let app = TestApp::start(app).await?;
        let stats = app.running().subscriber_stats();
        assert_eq!(
            stats[0].limits,
            PendingLimits::new(2, PendingLimits::DEFAULT.bytes())
        );
        gate.add_permits(1);
        app.stop().await
    })
}
