//! Bucket upkeep, as nats.go's tests assert it: purging delete markers
//! (`TestKeyValueDeleteTombstones`, `TestKeyValuePurgeDeletesMarkerThreshold`) and
//! changing a bucket's configuration (`TestUpdateKeyValue`,
//! `TestCreateOrUpdateKeyValue`).

use std::time::Duration;

use faststream_kv::error::ConfigProblem;
use faststream_kv::kv::{self, Storage};
use faststream_kv::prelude::*;

use super::run;
use crate::support::Env;

fn with_history(bucket: &str, history: u8) -> kv::Config {
    kv::Config {
        history,
        ..kv::Config::new(bucket)
    }
}

#[test]
fn purging_every_delete_marker_leaves_an_empty_bucket() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = env
            .broker()
            .create_key_value(with_history("tombstones", 10))
            .await?;
        let value = "ABC".repeat(33);
        for index in 1..=100 {
            kv.put(&format!("key-{index}"), value.clone()).await?;
        }
        for index in 1..=100 {
            kv.delete(&format!("key-{index}")).await?;
        }
        kv.purge_deletes_older_than(Duration::ZERO).await?;
        let status = kv.status().await?;
        assert_eq!((status.values, status.bytes), (0, 0), "{status:?}");
        // Nothing left to purge is no error.
        kv.purge_deletes().await
    })
}

#[test]
fn young_markers_stay_and_old_ones_go_with_their_keys() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = env
            .broker()
            .create_key_value(with_history("threshold", 10))
            .await?;
        kv.put("foo", "foo1").await?;
        kv.put("bar", "bar1").await?;
        kv.put("foo", "foo2").await?;
        kv.delete("foo").await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        kv.delete("bar").await?;
        kv.purge_deletes_older_than(Duration::from_millis(100))
            .await?;
        assert!(
            kv.history("foo").await?.is_empty(),
            "foo's values and its old marker are gone"
        );
        let bar = kv.history("bar").await?;
        assert_eq!(bar.len(), 1, "bar keeps its young marker only: {bar:?}");
        assert_eq!(bar[0].operation(), Operation::Delete);
        Ok(())
    })
}

#[test]
fn update_changes_an_existing_bucket_only() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let described = |description: &str| kv::Config {
            description: description.to_owned(),
            ..with_history("updated", 5)
        };
        match broker.update_key_value(described("Test KV")).await {
            Err(Error::BucketNotFound { bucket, .. }) => assert_eq!(bucket, "updated"),
            other => panic!("expected BucketNotFound, got {other:?}"),
        }
        let kv = broker.create_key_value(described("Test KV")).await?;
        for value in ["1", "2", "3", "4"] {
            kv.put("k", value).await?;
        }
        match broker.create_key_value(described("New KV")).await {
            Err(Error::BucketExists { .. }) => {}
            other => panic!("create does not overwrite: got {other:?}"),
        }
        let updated = broker
            .update_key_value(kv::Config {
                history: 2,
                ..described("New KV")
            })
            .await?;
        let status = updated.status().await?;
        assert_eq!(
            (status.config.description.as_str(), status.config.history),
            ("New KV", 2)
        );
        let history: Vec<_> = kv.history("k").await?.iter().map(Entry::revision).collect();
        assert_eq!(history, [3, 4], "a lower history trims at once");
        let memory = kv::Config {
            storage: Storage::Memory,
            ..described("New KV")
        };
        match broker.update_key_value(memory).await {
            Err(Error::InvalidConfig {
                problem: ConfigProblem::CannotChange { what, .. },
                ..
            }) => assert_eq!(what, "storage"),
            other => panic!("expected CannotChange, got {other:?}"),
        }
        Ok(())
    })
}

#[test]
fn create_or_update_creates_then_updates() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let kv = broker
            .create_or_update_key_value(kv::Config {
                description: "Test KV".to_owned(),
                ..kv::Config::new("upsert")
            })
            .await?;
        kv.put("k", "v").await?;
        let kv = broker
            .create_or_update_key_value(kv::Config {
                description: "New KV".to_owned(),
                ..kv::Config::new("upsert")
            })
            .await?;
        assert_eq!(kv.status().await?.config.description, "New KV");
        assert!(kv.get("k").await?.is_some(), "the data stays");
        match broker
            .create_or_update_key_value(kv::Config::new("bad.name"))
            .await
        {
            Err(Error::InvalidBucket { .. }) => {}
            other => panic!("expected InvalidBucket, got {other:?}"),
        }
        Ok(())
    })
}
