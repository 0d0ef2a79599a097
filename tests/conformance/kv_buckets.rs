//! Bucket management: bind, create, declare (get-or-create, also racing), delete, list.

use faststream_kv::kv::{self, Storage};
use faststream_kv::prelude::*;
use futures::{StreamExt, TryStreamExt};

use super::run;
use crate::support::Env;

#[test]
fn binding_a_missing_bucket_is_not_found() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        match broker.key_value("missing").await {
            Err(Error::BucketNotFound { bucket, .. }) => assert_eq!(bucket, "missing"),
            other => panic!("expected BucketNotFound, got {other:?}"),
        }
        match broker.delete_key_value("missing").await {
            Err(Error::BucketNotFound { .. }) => {}
            other => panic!("expected BucketNotFound, got {other:?}"),
        }
        Ok(())
    })
}

#[test]
fn create_bind_declare_and_delete() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let config = kv::Config {
            description: "feature flags".into(),
            history: 5,
            max_age: Some(std::time::Duration::from_secs(3600)),
            max_bytes: Some(1 << 20),
            max_value_size: Some(4096),
            storage: Storage::Memory,
            compression: true,
            ..kv::Config::new("flags")
        };
        let created = broker.create_key_value(config.clone()).await?;
        created.put("a", "1").await?;
        // Creating again with the same configuration is idempotent; another one is refused.
        broker.create_key_value(config.clone()).await?;
        match broker
            .create_key_value(kv::Config {
                history: 2,
                ..config.clone()
            })
            .await
        {
            Err(Error::BucketExists { bucket, .. }) => assert_eq!(bucket, "flags"),
            other => panic!("expected BucketExists, got {other:?}"),
        }
        // Declare binds the existing bucket as it is, whatever config it is given.
        let declared = broker
            .key_value("flags")
            .declare(kv::Config::default())
            .await?;
        assert_eq!(
            declared.get("a").await?.map(|e| e.value().clone()),
            Some("1".into())
        );
        let bound = broker.key_value("flags").await?;
        let status = bound.status().await?;
        assert_eq!(status.config, config);
        assert_eq!((status.values, status.last_revision), (1, 1));
        assert!(status.bytes > 0);

        broker.delete_key_value("flags").await?;
        assert!(matches!(
            broker.key_value("flags").await,
            Err(Error::BucketNotFound { .. })
        ));
        Ok(())
    })
}

#[test]
fn concurrent_declares_agree_on_one_bucket() -> Result<(), Error> {
    run(async |env: Env| {
        let brokers: Vec<Broker> = (0..4).map(|_| env.broker()).collect();
        let declares = brokers.iter().enumerate().map(|(index, broker)| {
            // Different configs on purpose: the first creator wins, the others bind.
            let config = kv::Config {
                history: u8::try_from(index + 1).unwrap_or(1),
                ..kv::Config::default()
            };
            broker.key_value("shared").declare(config)
        });
        let buckets = futures::future::try_join_all(declares).await?;
        let revision = buckets[0].put("k", "v").await?;
        for bucket in &buckets {
            assert_eq!(bucket.get("k").await?.map(|e| e.revision()), Some(revision));
        }
        Ok(())
    })
}

#[test]
fn buckets_are_listed_with_their_status() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        assert!(broker.key_value_buckets().await?.is_empty());
        let b = broker.create_key_value(kv::Config::new("b")).await?;
        broker
            .create_key_value(kv::Config {
                history: 3,
                ..kv::Config::new("a")
            })
            .await?;
        b.put("x", "12345").await?;
        b.put("y", "1").await?;
        let buckets = broker.key_value_buckets().await?;
        let names: Vec<_> = buckets.iter().map(|s| s.config.bucket.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(buckets[0].config.history, 3);
        assert_eq!((buckets[1].values, buckets[1].last_revision), (2, 2));
        Ok(())
    })
}

#[test]
fn invalid_configs_and_names_are_refused_before_the_wire() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        for bucket in ["", "a.b", "a b", "*", ">", "ü"] {
            match broker
                .key_value(bucket)
                .declare(kv::Config::default())
                .await
            {
                Err(Error::InvalidBucket { .. }) => {}
                other => panic!("{bucket:?}: expected InvalidBucket, got {other:?}"),
            }
            assert!(matches!(
                broker.delete_key_value(bucket).await,
                Err(Error::InvalidBucket { .. })
            ));
        }
        for history in [0, 65] {
            let config = kv::Config {
                history,
                ..kv::Config::new("h")
            };
            assert!(matches!(
                broker.create_key_value(config).await,
                Err(Error::InvalidConfig { .. })
            ));
        }
        assert!(broker.key_value_buckets().await?.is_empty());
        Ok(())
    })
}

#[test]
fn handles_fail_once_the_broker_is_closed() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let kv = broker
            .key_value("closing")
            .declare(kv::Config::default())
            .await?;
        kv.put("a", "1").await?;
        let mut watch = kv.watch_all().await?;
        broker.close().await?;
        assert!(matches!(kv.put("a", "2").await, Err(Error::Closed)));
        assert!(matches!(kv.get("a").await, Err(Error::Closed)));
        assert!(matches!(kv.watch_all().await, Err(Error::Closed)));
        // The open watch delivers what it had, then ends.
        let mut events = Vec::new();
        while let Some(event) = watch.next().await {
            events.push(event);
        }
        assert!(
            matches!(events.last(), Some(Err(Error::WatchEnded { .. }))),
            "{events:?}"
        );
        Ok(())
    })
}

/// nats.go's `TestKeyValueConfig` and `TestKeyValueStatusBytes`: the configuration a
/// bucket was created with comes back from its status, metadata included.
#[test]
fn the_configuration_comes_back_from_the_status() -> Result<(), Error> {
    run(async |env: Env| {
        let config = kv::Config {
            description: "test bucket for config retrieval".to_owned(),
            max_value_size: Some(1024),
            history: 10,
            max_age: Some(std::time::Duration::from_secs(2 * 3600)),
            max_bytes: Some(1024 * 1024),
            storage: Storage::File,
            replicas: 1,
            metadata: [("key".to_owned(), "value".to_owned())].into(),
            ..kv::Config::new("config_test")
        };
        let kv = env.broker().create_key_value(config.clone()).await?;
        kv.put("key", "value").await?;
        let status = kv.status().await?;
        assert_eq!(status.config, config);
        assert_eq!(status.backing_store, "JetStream");
        assert!(status.bytes > 0);
        assert_eq!((status.values, status.last_revision), (1, 1));
        Ok(())
    })
}

/// nats.go's `TestListKeyValueStores` (single page): names without the stream prefix.
#[test]
fn bucket_names_and_statuses_come_as_streams() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        for index in 0..5 {
            broker
                .create_key_value(kv::Config {
                    max_bytes: Some(1024),
                    ..kv::Config::new(format!("KVS_{index}"))
                })
                .await?;
        }
        let mut names: Vec<String> = broker.key_value_bucket_names().try_collect().await?;
        names.sort();
        assert_eq!(names, ["KVS_0", "KVS_1", "KVS_2", "KVS_3", "KVS_4"]);
        let statuses: Vec<kv::Status> = broker.key_value_statuses().try_collect().await?;
        assert_eq!(statuses.len(), 5);
        assert!(
            statuses
                .iter()
                .all(|status| status.config.max_bytes == Some(1024))
        );
        Ok(())
    })
}

#[test]
fn keys_come_as_a_stream_for_several_filters() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = env
            .broker()
            .create_key_value(kv::Config::new("listed"))
            .await?;
        for key in ["user.1", "admin.1", "guest.1", "user.2"] {
            kv.put(key, "x").await?;
        }
        kv.delete("user.2").await?;
        let keys: Vec<String> = kv
            .list_keys(["user.*", "admin.*"])
            .await?
            .try_collect()
            .await?;
        assert_eq!(keys, ["user.1", "admin.1"], "deleted keys are left out");
        let none: Vec<String> = kv.list_keys(["nobody.*"]).await?.try_collect().await?;
        assert!(none.is_empty());
        Ok(())
    })
}
