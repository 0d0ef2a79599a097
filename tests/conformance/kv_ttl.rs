//! Per-key TTLs (nats-server >= 2.11) and max_age: expired keys read as absent and
//! watchers see the purge marker; sub-second TTLs are refused, never turned into 0.

use std::time::Duration;

use faststream_kv::error::ConfigProblem;
use faststream_kv::kv::{self, Operation, WatchEvent};
use faststream_kv::prelude::*;
use futures::StreamExt;

use super::run;
use crate::support::Env;

fn ttl_config(bucket: &str) -> kv::Config {
    kv::Config {
        key_ttl_markers: Some(Duration::from_secs(60)),
        ..kv::Config::new(bucket)
    }
}

async fn next_entry(watch: &mut faststream_kv::kv::Watch) -> Result<Entry, Error> {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(15), watch.next())
            .await
            .expect("no watch event within 15 s")
            .expect("the watch ended")?;
        if let WatchEvent::Entry(entry) = event {
            return Ok(entry);
        }
    }
}

#[test]
fn created_keys_expire_and_leave_a_purge_marker() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = env.broker().create_key_value(ttl_config("ttl")).await?;
        let mut watch = kv.watch("session.*").await?;
        kv.create_with_ttl("session.1", "token", Duration::from_secs(1))
            .await?;
        kv.put("session.2", "stays").await?;
        assert_eq!(next_entry(&mut watch).await?.key(), "session.1");
        assert_eq!(next_entry(&mut watch).await?.key(), "session.2");
        let expired = next_entry(&mut watch).await?;
        assert_eq!(
            (expired.key(), expired.operation()),
            ("session.1", Operation::Purge)
        );
        assert_eq!(kv.get("session.1").await?, None);
        assert!(kv.get("session.2").await?.is_some());
        // The key can be created again after it expired.
        kv.create("session.1", "new").await?;
        Ok(())
    })
}

#[test]
fn purge_with_ttl_marker_disappears() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = env
            .broker()
            .create_key_value(ttl_config("ttlpurge"))
            .await?;
        kv.put("k", "v").await?;
        kv.purge_with_ttl("k", Duration::from_secs(1)).await?;
        assert_eq!(kv.history("k").await?.len(), 1);
        crate::support::eventually_async("the purge marker expires", async || {
            kv.history("k")
                .await
                .map(|history| history.is_empty())
                .unwrap_or(false)
        })
        .await;
        Ok(())
    })
}

#[test]
fn invalid_ttls_are_typed_errors() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let kv = broker.create_key_value(ttl_config("ttlbad")).await?;
        for ttl in [
            Duration::ZERO,
            Duration::from_millis(500),
            Duration::from_millis(1500),
        ] {
            assert!(matches!(
                kv.create_with_ttl("k", "v", ttl).await,
                Err(Error::InvalidConfig { .. })
            ));
            assert!(matches!(
                kv.purge_with_ttl("k", ttl).await,
                Err(Error::InvalidConfig { .. })
            ));
        }
        assert_eq!(kv.get("k").await?, None);
        // A bucket created without TTL markers refuses per-key TTLs.
        let plain = broker.create_key_value(kv::Config::new("plain")).await?;
        match plain
            .create_with_ttl("k", "v", Duration::from_secs(5))
            .await
        {
            Err(Error::InvalidConfig {
                problem: ConfigProblem::TtlNotAllowed { bucket, .. },
                ..
            }) => assert_eq!(bucket, "plain"),
            other => panic!("expected InvalidConfig, got {other:?}"),
        }
        assert_eq!(plain.get("k").await?, None);
        Ok(())
    })
}

#[test]
fn max_age_removes_old_revisions() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = env
            .broker()
            .create_key_value(kv::Config {
                max_age: Some(Duration::from_secs(1)),
                ..kv::Config::new("aging")
            })
            .await?;
        kv.put("k", "v").await?;
        assert!(kv.get("k").await?.is_some());
        crate::support::eventually_async("the value ages out", async || {
            matches!(kv.get("k").await, Ok(None))
        })
        .await;
        Ok(())
    })
}
