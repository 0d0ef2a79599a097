//! Where the memory backend used to differ from nats-server: sizes as the server counts
//! them, `max_value_size`, the payload limit, watches from a later revision, zero
//! limits, a bucket deleted and created again. Each test states nats-server's answer,
//! which the memory broker must give too.

use std::time::Duration;

use faststream_kv::error::ConfigProblem;
use faststream_kv::kv::{self, Storage};
use faststream_kv::prelude::*;
use futures::StreamExt;

use super::run;
use crate::support::Env;

/// The bytes nats-server counts for a stored message of bucket `bucket` and key `key`:
/// its file store's record (length, sequence, subject length, timestamp, checksum, the
/// header length when there are headers) or its memory store's.
fn stored(storage: Storage, bucket: &str, key: &str, headers: u64, value: u64) -> u64 {
    let subject = ("$KV.".len() + bucket.len() + 1 + key.len()) as u64;
    match storage {
        Storage::File if headers == 0 => 22 + subject + value + 8,
        Storage::File => 22 + subject + 4 + headers + value + 8,
        Storage::Memory => subject + headers + value + 16,
    }
}

/// The header blocks of a create (`Nats-Expected-Last-Subject-Sequence: 0`) and of a
/// delete (`KV-Operation: DEL`), as the server stores them.
const CREATE_HEADERS: u64 = 52;
const DELETE_HEADERS: u64 = 31;

#[test]
fn max_bytes_counts_a_message_as_the_server_stores_it() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        for (bucket, storage) in [("sized", Storage::File), ("sizedm", Storage::Memory)] {
            let kv = broker
                .key_value(bucket)
                .declare(kv::Config {
                    max_bytes: Some(1024),
                    storage,
                    ..kv::Config::default()
                })
                .await?;
            let mut accepted = 0;
            for index in 0..10 {
                match kv.put(&format!("k{index}"), vec![b'x'; 100]).await {
                    Ok(_) => accepted += 1,
                    Err(Error::BucketFull { .. }) => break,
                    Err(other) => return Err(other),
                }
            }
            assert_eq!(accepted, 7, "{storage:?}: what fits in 1024 bytes");
            let bytes = kv.status().await?.bytes;
            assert_eq!(
                bytes,
                7 * stored(storage, bucket, "k0", 0, 100),
                "{storage:?}"
            );
        }
        Ok(())
    })
}

#[test]
fn headers_count_as_stored_bytes() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let kv = broker
            .key_value("headed")
            .declare(kv::Config::default())
            .await?;
        kv.create("k", vec![b'x'; 10]).await?;
        let created = stored(Storage::File, "headed", "k", CREATE_HEADERS, 10);
        assert_eq!(kv.status().await?.bytes, created);
        kv.delete("other").await?;
        let deleted = stored(Storage::File, "headed", "other", DELETE_HEADERS, 0);
        assert_eq!(kv.status().await?.bytes, created + deleted);
        Ok(())
    })
}

#[test]
fn a_value_of_max_value_size_is_taken_by_every_write() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let kv = broker
            .key_value("valued")
            .declare(kv::Config {
                max_value_size: Some(100),
                ..kv::Config::default()
            })
            .await?;
        assert_eq!(kv.status().await?.config.max_value_size, Some(100));
        let revision = kv.put("a", vec![b'x'; 100]).await?;
        kv.create("b", vec![b'x'; 100]).await?;
        kv.update("a", vec![b'y'; 100], revision).await?;
        match kv.put("c", vec![b'x'; 101]).await {
            Err(Error::ValueTooLarge { size, max, .. }) => assert_eq!((size, max), (101, 100)),
            other => panic!("expected ValueTooLarge, got {other:?}"),
        }
        // Deletes and purges carry no value: never refused for size, however small the
        // limit.
        let tiny = broker
            .key_value("tiny")
            .declare(kv::Config {
                max_value_size: Some(1),
                ..kv::Config::default()
            })
            .await?;
        tiny.put("k", "x").await?;
        tiny.delete("k").await?;
        tiny.purge("k").await?;
        Ok(())
    })
}

#[test]
fn messages_over_the_payload_limit_are_refused() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        broker.connect().await?;
        let large = vec![b'x'; 2 * 1024 * 1024];
        match broker.publish("big", large.clone()).await {
            Err(Error::PayloadTooLarge { size, max, .. }) => {
                assert_eq!(max, 1024 * 1024, "nats-server's default max_payload");
                assert!(size >= large.len(), "{size}");
            }
            other => panic!("expected PayloadTooLarge, got {other:?}"),
        }
        let kv = broker
            .key_value("big")
            .declare(kv::Config::default())
            .await?;
        match kv.put("k", large.clone()).await {
            Err(Error::PayloadTooLarge { size, max, .. }) => {
                assert_eq!((size, max), (large.len(), 1024 * 1024));
            }
            other => panic!("expected PayloadTooLarge, got {other:?}"),
        }
        assert_eq!(kv.get("k").await?, None, "nothing was stored");
        Ok(())
    })
}

#[test]
fn a_watch_from_a_later_revision_starts_there() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = env
            .broker()
            .key_value("later")
            .declare(kv::Config::default())
            .await?;
        kv.put("a", "1").await?;
        let mut watch = kv.watch_all().from_revision(4).await?;
        for key in ["b", "c", "d", "e"] {
            kv.put(key, "x").await?;
        }
        let first = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match watch.next().await {
                    Some(Ok(WatchEvent::Entry(entry))) => return Some(entry),
                    Some(_) => {}
                    None => return None,
                }
            }
        })
        .await
        .map_err(Error::msg)?;
        let first = first.ok_or(Error::Closed)?;
        assert_eq!((first.key(), first.revision()), ("d", 4));
        Ok(())
    })
}

#[test]
fn zero_limits_are_refused_as_meaning_no_limit() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let zero_configs = [
            (
                "max_age",
                kv::Config {
                    max_age: Some(Duration::ZERO),
                    ..kv::Config::default()
                },
            ),
            (
                "max_bytes",
                kv::Config {
                    max_bytes: Some(0),
                    ..kv::Config::default()
                },
            ),
            (
                "max_value_size",
                kv::Config {
                    max_value_size: Some(0),
                    ..kv::Config::default()
                },
            ),
        ];
        for (limit, config) in zero_configs {
            match broker.key_value("zero").declare(config).await {
                Err(Error::InvalidConfig {
                    problem: ConfigProblem::ZeroLimit { limit: named, .. },
                    ..
                }) => assert_eq!(named, limit),
                other => panic!("{limit}: expected ZeroLimit, got {other:?}"),
            }
        }
        Ok(())
    })
}

#[test]
fn a_handle_reaches_the_bucket_created_again_under_its_name() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let kv = broker
            .key_value("again")
            .declare(kv::Config::default())
            .await?;
        kv.put("k", "old").await?;
        broker.delete_key_value("again").await?;
        assert!(matches!(
            kv.get("k").await,
            Err(Error::BucketNotFound { .. })
        ));
        broker.create_key_value(kv::Config::new("again")).await?;
        assert_eq!(kv.get("k").await?, None, "the new bucket is empty");
        kv.put("k", "new").await?;
        let entry = kv.get("k").await?.ok_or(Error::Closed)?;
        assert_eq!((entry.value().as_ref(), entry.revision()), (&b"new"[..], 1));
        Ok(())
    })
}

#[test]
fn a_watch_ends_soon_after_its_bucket_is_deleted() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let kv = broker
            .key_value("doomed")
            .declare(kv::Config::default())
            .await?;
        kv.put("k", "v").await?;
        let mut watch = kv.watch_all().await?;
        broker.delete_key_value("doomed").await?;
        // The server announces the deletion; a missed heartbeat would take 10 s or more.
        let ended = tokio::time::timeout(Duration::from_secs(5), async {
            while watch.next().await.is_some() {}
        })
        .await;
        assert!(ended.is_ok(), "the watch did not end");
        Ok(())
    })
}
