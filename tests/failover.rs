//! A 3-node JetStream cluster losing the leader of a replicated bucket: no acknowledged
//! write is lost, every error during the election is a retryable one, never
//! `BucketNotFound`, and a watch sees every revision exactly once, in order.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use faststream_kv::kv::WatchEvent;
use faststream_kv::testing::NatsCluster;
use faststream_kv::{Error, kv};
use futures::StreamExt;

const WRITES: usize = 200;
const KILL_AFTER: usize = 50;
/// A deadline for the writes, not a speed check: a write that never recovers fails.
const WITHIN: Duration = Duration::from_secs(60);
/// How long after the last write the watch may take to deliver it: a watch resumes
/// within seconds of an election, not after the tens of seconds of heartbeat timeouts
/// and retry backoff that a default ordered consumer waits.
const WATCH_WITHIN: Duration = Duration::from_secs(20);

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
    let watched = Arc::new(Mutex::new(Vec::new()));
    let watcher = {
        let (mut watch, watched) = (bucket.watch_all().await?, Arc::clone(&watched));
        tokio::spawn(async move {
            let mut errors = 0;
            while let Some(event) = watch.next().await {
                match event {
                    Ok(WatchEvent::Entry(entry)) => watched
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(entry.revision()),
                    Ok(_) => {}
                    // The watch resumes by itself after the election.
                    Err(_) => errors += 1,
                }
            }
            errors
        })
    };
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
    let last = acked.last().map(|(_, revision)| *revision);
    let watch_caught_up = Instant::now();
    while watched
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .last()
        .copied()
        < last
    {
        assert!(
            watch_caught_up.elapsed() < WATCH_WITHIN,
            "the watch did not catch up within {WATCH_WITHIN:?} after the election"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let watch_lag = watch_caught_up.elapsed();
    let watched = watched
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    assert!(
        watched.windows(2).all(|pair| pair[0] < pair[1]),
        "every revision once, in order: {watched:?}"
    );
    for (key, revision) in &acked {
        assert!(
            watched.contains(revision),
            "the watch missed {key} at {revision}"
        );
    }
    watcher.abort();
    println!(
        "killed leader {killed:?}; {} retryable errors {errors:?}; writes stopped for {:?}; \
         the watch caught up {watch_lag:?} after the last write",
        errors.len(),
        outage.map(|(_, length)| length)
    );
    if let Some(leader) = killed {
        cluster.restart(&leader)?;
    }
    broker.close().await
}
