//! Deadlines while the server is gone: every call ends within its bound with a typed,
//! retryable error, also with publishes queued in the client, and closing does not wait
//! for the server to come back.

use std::time::{Duration, Instant};

use faststream_kv::testing::NatsServer;
use faststream_kv::{Broker, ConnectOptions, Error, kv};

/// The bounds the client is given. The test checks that calls end within a generous
/// multiple of them (they hang without a bound), not how fast they fail.
const BOUND: Duration = Duration::from_millis(500);
const WITHIN: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_keeps_its_deadline_while_the_server_is_gone() -> Result<(), Error> {
    let mut server = NatsServer::start()?;
    let options = ConnectOptions::new(server.url())
        .request_timeout(BOUND)
        .publish_timeout(BOUND)
        .close_timeout(BOUND);
    let broker = Broker::nats(options);
    broker.connect().await?;
    let bucket = broker
        .key_value("outage")
        .declare(kv::Config::default())
        .await?;
    bucket.put("k", "v").await?;
    server.kill();

    // Fill the client's queue: publishes are taken while there is room, then each waits
    // at most the publish bound.
    let mut refused = None;
    for _ in 0..100_000 {
        let started = Instant::now();
        if let Err(error) = broker.publish("backlog", vec![0u8; 1024]).await {
            assert!(
                started.elapsed() < WITHIN,
                "a publish waited {:?}",
                started.elapsed()
            );
            refused = Some(error);
            break;
        }
    }
    match refused {
        Some(error @ Error::Unavailable { .. }) => assert!(error.is_retryable()),
        other => panic!("expected a publish to be refused as unavailable, got {other:?}"),
    }

    let started = Instant::now();
    let request = broker
        .request_with("svc", faststream_kv::Reply::new("x"), Some(BOUND))
        .await;
    assert!(
        started.elapsed() < WITHIN,
        "the request took {:?}",
        started.elapsed()
    );
    match request {
        Err(error @ Error::Timeout { .. }) => assert!(error.is_retryable()),
        other => panic!("expected a timeout, got {other:?}"),
    }

    for (what, outcome) in [
        ("flush", timed(broker.flush()).await),
        (
            "kv get",
            timed(async { bucket.get("k").await.map(drop) }).await,
        ),
        (
            "kv put",
            timed(async { bucket.put("k", "w").await.map(drop) }).await,
        ),
    ] {
        let (elapsed, result) = outcome;
        assert!(elapsed < WITHIN, "{what} took {elapsed:?}");
        match result {
            Err(error) if error.is_retryable() => {}
            other => panic!("{what}: expected a retryable error, got {other:?}"),
        }
    }

    let (elapsed, closed) = timed(broker.close()).await;
    assert!(elapsed < WITHIN, "close took {elapsed:?}");
    assert!(
        matches!(closed, Err(Error::Unavailable { .. })),
        "{closed:?}"
    );
    Ok(())
}

async fn timed<T>(work: impl Future<Output = T>) -> (Duration, T) {
    let started = Instant::now();
    let result = work.await;
    (started.elapsed(), result)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_is_reported_and_subscriptions_resume() -> Result<(), Error> {
    use faststream_kv::ConnectionEvent;
    use futures::StreamExt;

    let mut server = NatsServer::start()?;
    let options = ConnectOptions::new(server.url()).reconnect_delay(BOUND / 5, BOUND);
    let broker = Broker::nats(options);
    let mut events = broker.events();
    broker.connect().await?;
    assert_eq!(events.next().await, Some(ConnectionEvent::Connected));
    let mut news = broker.subscribe("news").await?;

    server.kill();
    next_event_of(&mut events, ConnectionEvent::Disconnected).await;
    let restarted = Instant::now();
    server.restart()?;
    // Failed attempts before the server was back may come first, as client errors.
    next_event_of(&mut events, ConnectionEvent::Reconnected).await;
    let resumed = restarted.elapsed();
    broker.flush().await?;
    broker.publish("news", "after the restart").await?;
    let received = tokio::time::timeout(WITHIN, news.next())
        .await
        .ok()
        .flatten();
    assert_eq!(
        received.map(|m| m.payload().clone()),
        Some("after the restart".into())
    );
    println!("reconnected {resumed:?} after the server was started again");
    broker.close().await
}

/// Waits for `wanted`, passing over client errors (failed reconnect attempts).
async fn next_event_of(
    events: &mut (impl futures::Stream<Item = faststream_kv::ConnectionEvent> + Unpin),
    wanted: faststream_kv::ConnectionEvent,
) {
    use futures::StreamExt;
    let waited = tokio::time::timeout(WITHIN * 2, async {
        while let Some(event) = events.next().await {
            match event {
                event if event == wanted => return,
                faststream_kv::ConnectionEvent::ClientError { .. } => {}
                other => panic!("expected {wanted}, got {other}"),
            }
        }
        panic!("the events ended before {wanted}");
    })
    .await;
    assert!(waited.is_ok(), "no {wanted} within {:?}", WITHIN * 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_during_an_outage_ends_within_its_bounds_and_counts_what_it_left()
-> Result<(), Error> {
    use faststream_kv::App;
    use faststream_kv::subscriber::Subscriber;
    use faststream_kv::testing::TestApp;

    async fn stuck(_body: String) {
        std::future::pending::<()>().await;
    }

    let mut server = NatsServer::start()?;
    let options = ConnectOptions::new(server.url()).close_timeout(BOUND);
    let app = App::new(Broker::nats(options))
        .graceful_timeout(BOUND)
        .subscriber(Subscriber::new("stuck", stuck));
    let app = TestApp::start(app).await?;
    for n in 0..20 {
        app.publish("stuck", n.to_string()).await?;
    }
    app.broker().flush().await?;
    server.kill();
    let (elapsed, stopped) = timed(app.stop()).await;
    assert!(elapsed < WITHIN, "stop took {elapsed:?}");
    match stopped {
        Err(Error::Abandoned { messages, .. }) => assert_eq!(messages, 20),
        other => panic!("expected Error::Abandoned, got {other:?}"),
    }
    println!("stopped in {elapsed:?} during the outage");
    Ok(())
}
