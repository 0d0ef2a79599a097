//! Buckets fed by other buckets and writes published again, as nats.go's tests assert
//! them: republish (`TestKeyValueRePublish`), sources (`TestKeyValueWithSources`, kv to
//! kv), mirrors and direct gets answered by a mirror (`TestKeyValueMirrorDirectGet`).
//! Streams as sources are in `nats_only.rs` (the memory broker has buckets, no streams
//! yet).

use std::time::Duration;

use faststream_kv::error::ConfigProblem;
use faststream_kv::kv::{self, Operation, Placement, Republish, Source, WatchEvent};
use faststream_kv::prelude::*;
use futures::StreamExt;

use super::run;
use crate::support::{Env, eventually_async};

fn republishing(bucket: &str, headers_only: bool) -> kv::Config {
    kv::Config {
        republish: Some(Republish {
            source: ">".to_owned(),
            destination: "bar.>".to_owned(),
            headers_only,
        }),
        ..kv::Config::new(bucket)
    }
}

/// The value of `key` in `kv` once it is `expected` (copies arrive asynchronously).
async fn arrives(kv: &KeyValue, key: &str, expected: &str) {
    eventually_async(&format!("{key} = {expected}"), async || {
        matches!(kv.get(key).await, Ok(Some(entry)) if entry.value() == expected.as_bytes())
    })
    .await;
}

#[test]
fn republish_copies_each_write_with_its_stream_headers() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        broker.create_key_value(kv::Config::new("existing")).await?;
        // Adding republish to an existing bucket is another configuration.
        assert!(matches!(
            broker
                .create_key_value(republishing("existing", false))
                .await,
            Err(Error::BucketExists { .. })
        ));
        let kv = broker
            .create_key_value(republishing("repub", false))
            .await?;
        assert_eq!(
            kv.status().await?.config.republish,
            republishing("repub", false).republish
        );
        let mut copies = broker.subscribe("bar.>").await?;
        broker.flush().await?;
        let revision = kv.put("foo", "value").await?;
        let copy = tokio::time::timeout(Duration::from_secs(5), copies.next())
            .await
            .map_err(Error::msg)?
            .ok_or_else(|| Error::msg("the subscription ended"))?;
        assert_eq!(copy.subject(), "bar.$KV.repub.foo");
        assert_eq!(copy.payload().as_ref(), b"value");
        assert_eq!(copy.header("Nats-Subject"), Some("$KV.repub.foo"));
        assert_eq!(copy.header("Nats-Stream"), Some("KV_repub"));
        assert_eq!(
            copy.header("Nats-Sequence"),
            Some(revision.to_string().as_str())
        );
        assert_eq!(copy.header("Nats-Last-Sequence"), Some("0"));
        Ok(())
    })
}

#[test]
fn republish_headers_only_sends_the_size() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let kv = broker.create_key_value(republishing("sizes", true)).await?;
        let mut copies = broker.subscribe("bar.>").await?;
        broker.flush().await?;
        kv.put("foo", "value").await?;
        kv.delete("foo").await?;
        let mut received = Vec::new();
        for _ in 0..2 {
            let copy = tokio::time::timeout(Duration::from_secs(5), copies.next())
                .await
                .map_err(Error::msg)?
                .ok_or_else(|| Error::msg("the subscription ended"))?;
            assert!(copy.payload().is_empty());
            received.push((
                copy.header("Nats-Msg-Size").map(str::to_owned),
                copy.header("KV-Operation").map(str::to_owned),
                copy.header("Nats-Last-Sequence").map(str::to_owned),
            ));
        }
        let text = |value: &str| Some(value.to_owned());
        assert_eq!(
            received,
            [
                (text("5"), None, text("0")),
                (text("0"), text("DEL"), text("1"))
            ]
        );
        Ok(())
    })
}

#[test]
fn sources_copy_the_keys_of_other_buckets() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let history = |bucket: &str| kv::Config {
            history: 5,
            ..kv::Config::new(bucket)
        };
        let first = broker.create_key_value(history("SOURCE1")).await?;
        let second = broker.create_key_value(history("SOURCE2")).await?;
        let sourced = broker
            .create_key_value(kv::Config {
                // The second by its stream's name: the same bucket.
                sources: vec![Source::bucket("SOURCE1"), Source::bucket("KV_SOURCE2")],
                ..history("SOURCED")
            })
            .await?;
        first.put("key1", "value1").await?;
        second.put("key2", "value2").await?;
        arrives(&sourced, "key1", "value1").await;
        arrives(&sourced, "key2", "value2").await;
        assert_eq!(
            sourced.status().await?.config.sources,
            [Source::bucket("SOURCE1"), Source::bucket("SOURCE2")]
        );
        // Deletes are copied as deletes; the bucket takes writes of its own too.
        first.delete("key1").await?;
        eventually_async("the delete is copied", async || {
            matches!(sourced.get("key1").await, Ok(None))
        })
        .await;
        sourced.put("own", "value").await?;
        assert_eq!(sourced.keys().await?, ["key2", "own"]);
        Ok(())
    })
}

#[test]
fn a_source_with_keys_copies_only_those() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let orders = broker.create_key_value(kv::Config::new("orders")).await?;
        let eu = broker
            .create_key_value(kv::Config {
                sources: vec![Source {
                    keys: Some("eu.*".to_owned()),
                    ..Source::bucket("orders")
                }],
                ..kv::Config::new("eu_orders")
            })
            .await?;
        orders.put("us.1", "x").await?;
        orders.put("eu.1", "first").await?;
        orders.put("eu.2.late", "y").await?;
        orders.put("eu.3", "last").await?;
        arrives(&eu, "eu.3", "last").await;
        assert_eq!(eu.keys().await?, ["eu.1", "eu.3"]);
        Ok(())
    })
}

/// A source that does not exist yet is waited for; `start_revision` skips what came
/// before it.
#[test]
fn a_source_created_later_is_copied_from_its_start_revision() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let sourced = broker
            .create_key_value(kv::Config {
                sources: vec![Source {
                    start_revision: Some(2),
                    ..Source::bucket("late")
                }],
                ..kv::Config::new("from_late")
            })
            .await?;
        let late = broker.create_key_value(kv::Config::new("late")).await?;
        for (key, value) in [("a", "1"), ("b", "2"), ("c", "3")] {
            late.put(key, value).await?;
        }
        arrives(&sourced, "c", "3").await;
        assert_eq!(sourced.keys().await?, ["b", "c"]);
        Ok(())
    })
}

#[test]
fn a_mirror_reads_its_origin_and_writes_through_to_it() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let origin = broker.create_key_value(kv::Config::new("TEST")).await?;
        origin.put("name", "derek").await?;
        origin.put("v", "v").await?;
        origin.delete("v").await?;
        let mirror = broker
            .create_key_value(kv::Config {
                mirror: Some(Source::bucket("TEST")),
                ..kv::Config::new("MIRROR")
            })
            .await?;
        assert_eq!(
            mirror.status().await?.config.mirror,
            Some(Source::bucket("TEST"))
        );
        arrives(&mirror, "name", "derek").await;
        // A mirror keeps the origin's revisions.
        let name = mirror.get("name").await?.map(|entry| entry.revision());
        assert_eq!(
            name,
            origin.get("name").await?.map(|entry| entry.revision())
        );
        // Written through the mirror: stored by the origin, copied back.
        mirror.put("name", "rip").await?;
        assert_eq!(
            origin.get("name").await?.map(|entry| entry.value().clone()),
            Some("rip".into())
        );
        arrives(&mirror, "name", "rip").await;
        mirror.put("v", "vv").await?;
        arrives(&origin, "v", "vv").await;
        // The mirror may not have copied the writes before this delete yet: the watch
        // goes on to the delete's own revision.
        let deleted = mirror.delete("v").await?;
        let mut watch = mirror.watch_all().await?;
        let mut seen = Vec::new();
        while let Some(event) = tokio::time::timeout(Duration::from_secs(5), watch.next())
            .await
            .map_err(Error::msg)?
        {
            match event? {
                WatchEvent::Entry(entry) => {
                    seen.push((entry.key().to_owned(), entry.operation()));
                    if entry.revision() == deleted {
                        break;
                    }
                }
                WatchEvent::EndOfInitialData => {}
            }
        }
        assert_eq!(seen.last(), Some(&("v".to_owned(), Operation::Delete)));
        assert!(seen.contains(&("name".to_owned(), Operation::Put)));
        Ok(())
    })
}

#[test]
fn gets_answered_by_a_mirror_are_right() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let kv = broker.create_key_value(kv::Config::new("TEST")).await?;
        broker
            .create_key_value(kv::Config {
                mirror: Some(Source::bucket("TEST")),
                ..kv::Config::new("MIRROR")
            })
            .await?;
        for index in 0..100 {
            kv.put(&format!("KEY.{index}"), "42").await?;
        }
        for _ in 0..100 {
            let entry = kv.get("KEY.22").await?;
            assert_eq!(entry.map(|entry| entry.value().clone()), Some("42".into()));
        }
        Ok(())
    })
}

#[test]
fn mirror_and_sources_are_checked_before_anything_is_sent() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let invalid = |config: kv::Config| {
            let broker = broker.clone();
            async move {
                match broker.create_key_value(config).await {
                    Err(Error::InvalidConfig { problem, .. }) => problem,
                    other => panic!("expected InvalidConfig, got {:?}", other.map(|_| ())),
                }
            }
        };
        let both = kv::Config {
            mirror: Some(Source::bucket("a")),
            sources: vec![Source::bucket("b")],
            ..kv::Config::new("both")
        };
        assert_eq!(invalid(both).await, ConfigProblem::MirrorWithSources);
        let bad_keys = kv::Config {
            sources: vec![Source {
                keys: Some("a..b".to_owned()),
                ..Source::bucket("a")
            }],
            ..kv::Config::new("bad_keys")
        };
        assert!(matches!(
            invalid(bad_keys).await,
            ConfigProblem::Source { .. }
        ));
        let itself = kv::Config {
            sources: vec![Source::bucket("KV_itself")],
            ..kv::Config::new("itself")
        };
        assert!(matches!(
            invalid(itself).await,
            ConfigProblem::Source { .. }
        ));
        let bad_republish = kv::Config {
            republish: Some(Republish {
                source: ">".to_owned(),
                destination: "a b".to_owned(),
                headers_only: false,
            }),
            ..kv::Config::new("bad_republish")
        };
        assert!(matches!(
            invalid(bad_republish).await,
            ConfigProblem::Republish { .. }
        ));
        Ok(())
    })
}

/// A server outside a cluster takes any placement and keeps it in the configuration
/// (there is nowhere else to put the stream); so does the memory broker, one node too.
#[test]
fn one_node_keeps_the_bucket_whatever_its_placement() -> Result<(), Error> {
    run(async |env: Env| {
        let placement = Some(Placement {
            cluster: Some("east".to_owned()),
            tags: vec!["ssd".to_owned()],
        });
        let placed = kv::Config {
            placement: placement.clone(),
            ..kv::Config::new("placed")
        };
        let kv = env.broker().create_key_value(placed).await?;
        kv.put("key", "value").await?;
        assert_eq!(kv.status().await?.config.placement, placement);
        Ok(())
    })
}
