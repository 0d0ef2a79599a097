//! Watches per ADR-8: current values, then the end-of-initial-data marker (always),
//! then live updates in order; every option.

use std::time::Duration;

use faststream_kv::kv::{self, KeyValue, Operation, Watch, WatchEvent};
use faststream_kv::prelude::*;
use futures::StreamExt;

use super::run;
use crate::support::Env;

async fn bucket(env: &Env) -> Result<KeyValue, Error> {
    let config = kv::Config {
        history: 10,
        ..kv::Config::default()
    };
    env.broker().key_value("w").declare(config).await
}

/// `key=value` for entries (`key!` for a delete, `key#` for a purge), `|` for the marker.
async fn take(watch: &mut Watch, count: usize) -> Result<Vec<String>, Error> {
    let mut seen = Vec::new();
    while seen.len() < count {
        let event = tokio::time::timeout(Duration::from_secs(10), watch.next())
            .await
            .unwrap_or_else(|_| panic!("watch stalled after {seen:?}"));
        seen.push(match event.expect("the watch ended")? {
            WatchEvent::EndOfInitialData => "|".to_owned(),
            WatchEvent::Entry(entry) => match entry.operation() {
                Operation::Put => {
                    format!("{}={}", entry.key(), String::from_utf8_lossy(entry.value()))
                }
                Operation::Delete => format!("{}!", entry.key()),
                Operation::Purge => format!("{}#", entry.key()),
            },
        });
    }
    Ok(seen)
}

#[test]
fn current_values_then_marker_then_live_updates() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = bucket(&env).await?;
        kv.put("a", "1").await?;
        kv.put("b", "1").await?;
        kv.put("a", "2").await?;
        kv.put("c", "1").await?;
        kv.delete("c").await?;
        let mut watch = kv.watch_all().await?;
        kv.put("b", "2").await?;
        kv.delete("a").await?;
        kv.purge("b").await?;
        assert_eq!(
            take(&mut watch, 7).await?,
            ["b=1", "a=2", "c!", "|", "b=2", "a!", "b#"]
        );
        Ok(())
    })
}

/// Writes that reach the bucket while the current values are still being delivered
/// come after the marker: the marker follows exactly the values current at creation.
#[test]
fn marker_follows_exactly_the_current_values_despite_racing_writes() -> Result<(), Error> {
    run(async |env: Env| {
        const KEYS: usize = 500;
        let kv = bucket(&env).await?;
        // Large values, so that delivering the current ones takes a while.
        let old = "o".repeat(16 * 1024);
        for index in 0..KEYS {
            kv.put(&format!("k{index}"), old.clone()).await?;
        }
        let mut watch = kv.watch_all().await?;
        for index in 0..10 {
            kv.put(&format!("k{index}"), "new").await?;
        }
        let seen = take(&mut watch, KEYS + 11).await?;
        let marker = seen.iter().position(|event| event == "|");
        let short: Vec<&str> = seen
            .iter()
            .map(|event| &event[..event.len().min(8)])
            .collect();
        assert_eq!(marker, Some(KEYS), "events: {short:?}");
        assert!(seen[KEYS + 1..].iter().all(|event| event.ends_with("=new")));
        Ok(())
    })
}

#[test]
fn marker_comes_even_when_nothing_matches() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = bucket(&env).await?;
        let mut empty = kv.watch_all().await?;
        assert_eq!(take(&mut empty, 1).await?, ["|"]);
        kv.put("other.1", "x").await?;
        let mut none_match = kv.watch("user.*").await?;
        assert_eq!(take(&mut none_match, 1).await?, ["|"]);
        kv.put("user.1", "x").await?;
        assert_eq!(take(&mut none_match, 1).await?, ["user.1=x"]);
        assert_eq!(take(&mut empty, 2).await?, ["other.1=x", "user.1=x"]);
        Ok(())
    })
}

#[test]
fn filters_and_watch_many() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = bucket(&env).await?;
        for key in ["user.1", "user.1.name", "order.1", "cart.1"] {
            kv.put(key, "x").await?;
        }
        let mut users = kv.watch("user.*").await?;
        assert_eq!(take(&mut users, 2).await?, ["user.1=x", "|"]);
        let mut many = kv.watch_many(["order.*", "cart.>"]).await?;
        assert_eq!(take(&mut many, 3).await?, ["order.1=x", "cart.1=x", "|"]);
        kv.put("user.2", "y").await?;
        kv.put("cart.1.item", "y").await?;
        assert_eq!(take(&mut users, 1).await?, ["user.2=y"]);
        assert_eq!(take(&mut many, 1).await?, ["cart.1.item=y"]);
        Ok(())
    })
}

#[test]
fn include_history_and_from_revision() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = bucket(&env).await?;
        kv.put("a", "1").await?;
        let second = kv.put("a", "2").await?;
        kv.put("b", "1").await?;
        kv.delete("a").await?;
        let mut history = kv.watch_all().include_history().await?;
        assert_eq!(
            take(&mut history, 5).await?,
            ["a=1", "a=2", "b=1", "a!", "|"]
        );
        let mut from = kv.watch_all().from_revision(second).await?;
        assert_eq!(take(&mut from, 4).await?, ["a=2", "b=1", "a!", "|"]);
        kv.put("b", "2").await?;
        assert_eq!(take(&mut history, 1).await?, ["b=2"]);
        assert_eq!(take(&mut from, 1).await?, ["b=2"]);
        Ok(())
    })
}

#[test]
fn ignore_deletes_meta_only_updates_only() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = bucket(&env).await?;
        kv.put("a", "1").await?;
        kv.put("gone", "1").await?;
        kv.delete("gone").await?;
        let mut no_deletes = kv.watch_all().ignore_deletes().await?;
        let mut meta = kv.watch_all().meta_only().await?;
        let mut updates = kv.watch_all().updates_only().await?;
        assert_eq!(take(&mut no_deletes, 2).await?, ["a=1", "|"]);
        assert_eq!(take(&mut meta, 3).await?, ["a=", "gone!", "|"]);
        assert_eq!(take(&mut updates, 1).await?, ["|"]);
        kv.put("b", "2").await?;
        kv.delete("a").await?;
        kv.put("c", "3").await?;
        assert_eq!(take(&mut no_deletes, 2).await?, ["b=2", "c=3"]);
        assert_eq!(take(&mut meta, 3).await?, ["b=", "a!", "c="]);
        assert_eq!(take(&mut updates, 3).await?, ["b=2", "a!", "c=3"]);
        Ok(())
    })
}

#[test]
fn contradictory_options_are_refused() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = bucket(&env).await?;
        for watch in [
            kv.watch_all().updates_only().include_history(),
            kv.watch_all().updates_only().from_revision(3),
            kv.watch_all().from_revision(0),
        ] {
            assert!(matches!(watch.await, Err(Error::InvalidConfig { .. })));
        }
        Ok(())
    })
}

#[test]
fn deltas_count_down_to_the_marker() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = bucket(&env).await?;
        for key in ["a", "b", "c"] {
            kv.put(key, "x").await?;
        }
        let mut watch = kv.watch_all().await?;
        let mut deltas = Vec::new();
        while let Some(event) = watch.next().await {
            match event? {
                WatchEvent::Entry(entry) => deltas.push(entry.delta()),
                WatchEvent::EndOfInitialData => break,
            }
        }
        assert_eq!(deltas, [2, 1, 0]);
        assert_eq!(watch.last_revision(), 3);
        Ok(())
    })
}

#[test]
fn deleting_a_bucket_ends_its_watches() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let kv = broker
            .key_value("doomed")
            .declare(kv::Config::default())
            .await?;
        kv.put("a", "1").await?;
        let mut watch = kv.watch_all().await?;
        assert_eq!(take(&mut watch, 2).await?, ["a=1", "|"]);
        broker.delete_key_value("doomed").await?;
        let ended = tokio::time::timeout(Duration::from_secs(30), watch.next())
            .await
            .expect("the watch noticed the deletion");
        assert!(
            matches!(ended, Some(Err(Error::WatchEnded { ref bucket, .. })) if bucket == "doomed"),
            "{ended:?}"
        );
        assert!(watch.next().await.is_none());
        assert!(matches!(
            kv.put("a", "2").await,
            Err(Error::BucketNotFound { .. })
        ));
        assert!(matches!(
            kv.get("a").await,
            Err(Error::BucketNotFound { .. })
        ));
        Ok(())
    })
}
