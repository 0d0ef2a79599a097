//! Reads and writes: get/put/create/update (CAS)/delete/purge with their
//! expected-revision variants, entries, keys, history depth.

use faststream_kv::kv::{self, KeyValue, Operation};
use faststream_kv::prelude::*;

use super::run;
use crate::support::Env;

async fn bucket(env: &Env, history: u8) -> Result<KeyValue, Error> {
    let config = kv::Config {
        history,
        ..kv::Config::default()
    };
    env.broker().key_value("crud").declare(config).await
}

fn value(entry: Option<Entry>) -> Option<Bytes> {
    entry.map(|entry| entry.value().clone())
}

#[test]
fn put_get_and_entry_fields() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = bucket(&env, 1).await?;
        assert_eq!(kv.get("user.1").await?, None);
        let before = std::time::SystemTime::now() - std::time::Duration::from_secs(5);
        let first = kv.put("user.1", "ann").await?;
        let second = kv.put_string("user.2", String::from("bob")).await?;
        assert!(second > first, "revisions grow across keys");
        let entry = kv.get("user.1").await?.expect("user.1 is set");
        assert_eq!(
            (
                entry.bucket(),
                entry.key(),
                entry.value().as_ref(),
                entry.revision()
            ),
            ("crud", "user.1", b"ann".as_ref(), first)
        );
        assert_eq!((entry.operation(), entry.delta()), (Operation::Put, 0));
        assert!(entry.created() > before);
        assert_eq!(
            value(kv.get_revision("user.1", first).await?),
            Some("ann".into())
        );
        // A revision of another key is not this key's.
        assert_eq!(kv.get_revision("user.1", second).await?, None);
        assert_eq!(kv.get_revision("user.1", 999).await?, None);
        Ok(())
    })
}

#[test]
fn create_and_compare_and_set() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = bucket(&env, 3).await?;
        let created = kv.create("lock", "a").await?;
        match kv.create("lock", "b").await {
            Err(Error::KeyExists { bucket, key, .. }) => {
                assert_eq!((bucket.as_str(), key.as_str()), ("crud", "lock"))
            }
            other => panic!("expected KeyExists, got {other:?}"),
        }
        let updated = kv.update("lock", "c", created).await?;
        match kv.update("lock", "d", created).await {
            Err(Error::WrongRevision { expected, key, .. }) => {
                assert_eq!((expected, key.as_str()), (created, "lock"));
            }
            other => panic!("expected WrongRevision, got {other:?}"),
        }
        // update with 0 means "must not exist".
        assert!(matches!(
            kv.update("lock", "e", 0).await,
            Err(Error::WrongRevision { .. })
        ));
        assert_eq!(kv.update("fresh", "1", 0).await?, updated + 1);
        // A deleted or purged key may be created again.
        kv.delete("lock").await?;
        kv.create("lock", "again").await?;
        kv.purge("lock").await?;
        kv.create("lock", "once more").await?;
        assert_eq!(value(kv.get("lock").await?), Some("once more".into()));
        Ok(())
    })
}

#[test]
fn delete_and_purge_read_as_absent() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = bucket(&env, 10).await?;
        kv.put("k", "1").await?;
        let two = kv.put("k", "2").await?;
        let deleted = kv.delete("k").await?;
        assert_eq!(kv.get("k").await?, None);
        let marker = kv.entry("k").await?.expect("the delete marker");
        assert_eq!(
            (marker.operation(), marker.revision()),
            (Operation::Delete, deleted)
        );
        assert_eq!(kv.get_revision("k", deleted).await?, None);
        // The delete keeps the history; the value before it is still readable by revision.
        assert_eq!(value(kv.get_revision("k", two).await?), Some("2".into()));
        let history: Vec<_> = kv
            .history("k")
            .await?
            .iter()
            .map(Entry::operation)
            .collect();
        assert_eq!(history, [Operation::Put, Operation::Put, Operation::Delete]);

        kv.put("k", "3").await?;
        let purged = kv.purge("k").await?;
        assert_eq!(kv.get("k").await?, None);
        let history = kv.history("k").await?;
        assert_eq!(history.len(), 1, "a purge drops the history: {history:?}");
        assert_eq!(
            (history[0].operation(), history[0].revision()),
            (Operation::Purge, purged)
        );
        assert_eq!(kv.get_revision("k", two).await?, None);
        Ok(())
    })
}

#[test]
fn expected_revision_deletes_and_purges() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = bucket(&env, 5).await?;
        let first = kv.put("k", "1").await?;
        let second = kv.put("k", "2").await?;
        assert!(matches!(
            kv.delete_expect_revision("k", first).await,
            Err(Error::WrongRevision { .. })
        ));
        assert_eq!(value(kv.get("k").await?), Some("2".into()));
        let deleted = kv.delete_expect_revision("k", second).await?;
        assert!(matches!(
            kv.purge_expect_revision("k", second).await,
            Err(Error::WrongRevision { .. })
        ));
        kv.purge_expect_revision("k", deleted).await?;
        assert_eq!(kv.history("k").await?.len(), 1);
        Ok(())
    })
}

#[test]
fn history_depth_follows_the_config() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = bucket(&env, 3).await?;
        for value in 1..=5 {
            kv.put("k", value.to_string()).await?;
        }
        kv.put("other", "x").await?;
        let history: Vec<Bytes> = kv
            .history("k")
            .await?
            .iter()
            .map(|e| e.value().clone())
            .collect();
        assert_eq!(history, ["3", "4", "5"].map(Bytes::from));
        assert_eq!(kv.history("never-set").await?, []);
        assert_eq!(kv.status().await?.values, 4);
        Ok(())
    })
}

#[test]
fn keys_and_keys_matching() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = bucket(&env, 1).await?;
        assert!(kv.keys().await?.is_empty());
        for key in ["user.1", "user.2", "user.2.name", "order.1"] {
            kv.put(key, "x").await?;
        }
        kv.put("user.3", "x").await?;
        kv.delete("user.3").await?;
        kv.put("gone", "x").await?;
        kv.purge("gone").await?;
        let mut keys = kv.keys().await?;
        keys.sort();
        assert_eq!(keys, ["order.1", "user.1", "user.2", "user.2.name"]);
        let mut users = kv.keys_matching("user.*").await?;
        users.sort();
        assert_eq!(users, ["user.1", "user.2"]);
        assert_eq!(kv.keys_matching("user.>").await?.len(), 3);
        assert!(kv.keys_matching("nothing.*").await?.is_empty());
        Ok(())
    })
}
