//! The memory broker keeps tokio's time, so a test on a paused clock
//! (`#[tokio::test(start_paused = true)]`) sees `ack_wait` redeliveries, nak delays
//! and Key-Value `max_age` take effect without waiting for them: the runtime moves
//! the clock on whenever every task waits. (A real nats-server keeps its own time.)

use std::time::Duration;

use faststream_kv::jetstream::{AckPolicy, ConsumerConfig, MessageInfo};
use faststream_kv::kv::Config as KvConfig;
use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;
use faststream_kv::testing::TestApp;
use tokio::time::Instant;

/// Longer than any delay here: the clock is paused.
const WAIT: Duration = Duration::from_secs(24 * 3600);

/// Fails a message's first delivery: what the ack policy makes of the failure decides
/// when it comes back.
async fn fails_first(info: MessageInfo) -> Result<(), Error> {
    if info.delivered == 1 {
        return Err(Error::msg("try again"));
    }
    Ok(())
}

async fn redelivered_after(
    subscriber: Subscriber<faststream_kv::subscriber::OnStream>,
) -> Result<Duration, Error> {
    let app = TestApp::start(App::new(Broker::memory()).subscriber(subscriber)).await?;
    let published = Instant::now();
    app.broker().stream_publish("jobs.1", "job").await?;
    app.wait_for_calls("fails_first", 2, WAIT).await?;
    let elapsed = published.elapsed();
    app.stop().await?;
    Ok(elapsed)
}

#[tokio::test(start_paused = true)]
async fn ack_wait_runs_out_on_the_paused_clock() -> Result<(), Error> {
    // `Ack` acknowledges failures too; `Manual` leaves the message to its ack_wait.
    let subscriber = Subscriber::stream("JOBS", "jobs.*", fails_first)
        .consumer(ConsumerConfig {
            ack_wait: Duration::from_secs(600),
            ..ConsumerConfig::durable("jobs")
        })
        .ack_policy(AckPolicy::Manual);
    let elapsed = redelivered_after(subscriber).await?;
    assert!(elapsed >= Duration::from_secs(600), "{elapsed:?}");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_nak_delay_passes_on_the_paused_clock() -> Result<(), Error> {
    let subscriber = Subscriber::stream("JOBS", "jobs.*", fails_first)
        .durable("jobs")
        .ack_policy(AckPolicy::NackOnError {
            delay: Some(Duration::from_secs(3600)),
        });
    let elapsed = redelivered_after(subscriber).await?;
    assert!(
        (Duration::from_secs(3600)..Duration::from_secs(3700)).contains(&elapsed),
        "{elapsed:?}"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn key_value_max_age_passes_on_the_paused_clock() -> Result<(), Error> {
    let broker = Broker::memory();
    broker.connect().await?;
    let config = KvConfig {
        max_age: Some(Duration::from_secs(24 * 3600)),
        ..KvConfig::default()
    };
    let sessions = broker.key_value("sessions").declare(config).await?;
    sessions.put("alice", "token").await?;
    tokio::time::sleep(Duration::from_secs(23 * 3600)).await;
    assert!(sessions.get("alice").await?.is_some());
    tokio::time::sleep(Duration::from_secs(2 * 3600)).await;
    assert!(sessions.get("alice").await?.is_none());
    broker.close().await
}
