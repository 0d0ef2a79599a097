//! A slow consumer on a real server: every message the server delivered to the
//! subscription is handled or counted as dropped (and reported), so nothing is lost
//! silently inside the client.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;
use faststream_kv::testing::{NatsServer, TestApp};
use faststream_kv::{ConnectionEvent, PendingLimits, PendingStats};
use futures::StreamExt;
use tokio::sync::Semaphore;

const SUBJECT: &str = "load.work";
const PUBLISHED: u64 = 100_000;
const LIMIT: u64 = 10_000;

/// The handler waits here until the test lets it through.
struct Gate(Arc<Semaphore>);

#[derive(Default)]
struct Handled(AtomicU64);

async fn slow(Ctx(gate): Ctx<Gate>, Ctx(handled): Ctx<Arc<Handled>>) {
    let _permit = gate.0.acquire().await;
    handled.0.fetch_add(1, Ordering::Relaxed);
}

/// How many messages the server delivered to the subscriptions on `subject`.
fn delivered_by_server(server: &NatsServer, subject: &str) -> Result<u64, Error> {
    let subsz = server.monitor("/subsz?subs=1")?;
    let subscriptions = subsz["subscriptions_list"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    Ok(subscriptions
        .iter()
        .filter(|subscription| subscription["subject"] == subject)
        .filter_map(|subscription| subscription["msgs"].as_u64())
        .sum())
}

async fn wait_for(
    what: &str,
    mut condition: impl FnMut() -> Result<bool, Error>,
) -> Result<(), Error> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition()? {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

fn stats(app: &TestApp) -> PendingStats {
    app.running().subscriber_stats()[0].counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_the_server_delivered_is_handled_or_counted_as_dropped() -> Result<(), Error>
{
    let server = NatsServer::builder().monitoring().start()?;
    let (gate, handled) = (Arc::new(Semaphore::new(0)), Arc::new(Handled::default()));
    let subscriber = Subscriber::new(SUBJECT, slow)
        .name("slow")
        .pending_limits(PendingLimits::new(LIMIT, PendingLimits::DEFAULT.bytes()));
    let app = App::new(server.broker()).subscriber(subscriber);
    app.context().insert(Gate(Arc::clone(&gate)));
    app.context().insert(Arc::clone(&handled));
    let mut events = app.broker().events();
    let app = TestApp::start(app).await?;

    let publisher = server.broker();
    publisher.connect().await?;
    publisher.publish(SUBJECT, "first").await?;
    wait_for("the handler holds the first message", || {
        Ok(stats(&app).delivered_messages == 1)
    })
    .await?;
    let payload = Bytes::from(vec![b'x'; 64]);
    for _ in 0..PUBLISHED {
        publisher.publish(SUBJECT, payload.clone()).await?;
    }
    publisher.flush().await?;
    wait_for("the server delivered every message", || {
        Ok(delivered_by_server(&server, SUBJECT)? == PUBLISHED + 1)
    })
    .await?;
    wait_for("the client accounted for every message", || {
        let stats = stats(&app);
        Ok(stats.pending_messages + stats.dropped_messages == PUBLISHED)
    })
    .await?;
    let held = stats(&app);
    assert_eq!(held.pending_messages, LIMIT, "{held:?}");
    assert_eq!(held.dropped_messages, PUBLISHED - LIMIT, "{held:?}");
    assert_eq!(held.dropped_bytes, (PUBLISHED - LIMIT) * 64);

    gate.add_permits(usize::try_from(PUBLISHED).map_err(Error::msg)?);
    wait_for("the held messages are handled", || {
        Ok(handled.0.load(Ordering::Relaxed) == LIMIT + 1)
    })
    .await?;
    let server_count = delivered_by_server(&server, SUBJECT)?;
    let counted = handled.0.load(Ordering::Relaxed) + stats(&app).dropped_messages;
    assert_eq!(
        counted, server_count,
        "handled + dropped = what the server delivered"
    );

    app.stop().await?;
    let mut reported = 0;
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_secs(10), events.next()).await {
        match event {
            ConnectionEvent::SlowConsumer {
                subscription,
                dropped_messages,
                ..
            } => {
                assert_eq!(subscription, "slow", "nothing dropped inside async-nats");
                reported += dropped_messages;
            }
            ConnectionEvent::Closed => break,
            _ => {}
        }
    }
    assert_eq!(reported, PUBLISHED - LIMIT, "every drop is reported");
    Ok(())
}
