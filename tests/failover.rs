//! A 3-node JetStream cluster losing the leader of a replicated bucket: no acknowledged
//! write is lost, and every error during the election is a retryable one, never
//! `BucketNotFound`.

use std::time::{Duration, Instant};

use faststream_kv::testing::NatsCluster;
use faststream_kv::{Error, kv};

const WRITES: usize = 200;
const KILL_AFTER: usize = 50;
/// A deadline for the whole run, not a speed check: a write that never recovers fails.
const WITHIN: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_a_buckets_leader_loses_no_acknowledged_write() -> Result<(), Error> {
    let mut cluster = NatsCluster::start(3).await?;
    let broker = cluster.broker();
    let bucket = broker
        .key_value("orders")
        .declare(kv::Config {
            replicas: 3,
            ..kv::Config::default()
        })
        .await?;
    let started = Instant::now();
    let mut acked = Vec::with_capacity(WRITES);
    let (mut errors, mut outage) = (Vec::new(), None::<(Instant, Duration)>);
    let mut killed = None;
    while acked.len() < WRITES {
        assert!(
            started.elapsed() < WITHIN,
            "{} of {WRITES} writes in {WITHIN:?}",
            acked.len()
        );
        if acked.len() == KILL_AFTER && killed.is_none() {
            let leader = cluster.stream_leader("KV_orders").await?;
            cluster.kill(&leader)?;
            killed = Some(leader);
        }
        let key = format!("order.{}", acked.len());
        let call_started = Instant::now();
        match bucket.put(&key, key.clone()).await {
            Ok(revision) => {
                if let Some((first_error, _)) = outage.take_if(|(_, length)| length.is_zero()) {
                    outage = Some((first_error, first_error.elapsed()));
                }
                acked.push((key, revision));
            }
            Err(error) => {
                assert!(
                    error.is_retryable() && !matches!(error, Error::BucketNotFound { .. }),
                    "an election is no lost bucket: {error:?}"
                );
                errors.push(error.to_string());
                outage.get_or_insert((call_started, Duration::ZERO));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    for (key, revision) in &acked {
        let entry = bucket.get(key).await?;
        assert_eq!(
            entry.map(|entry| entry.revision()),
            Some(*revision),
            "{key} lost"
        );
    }
    println!(
        "killed leader {killed:?}; {} retryable errors {errors:?}; writes stopped for {:?}",
        errors.len(),
        outage.map(|(_, length)| length)
    );
    if let Some(leader) = killed {
        cluster.restart(&leader)?;
    }
    broker.close().await
}
