//! Keys from user input never reach the wire as wildcards; oversized values and full
//! buckets are typed errors.

use faststream_kv::kv;
use faststream_kv::prelude::*;

use super::run;
use crate::support::Env;

#[test]
fn invalid_keys_are_refused_before_the_wire() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = env
            .broker()
            .key_value("v")
            .declare(kv::Config::default())
            .await?;
        kv.put("a.b", "precious").await?;
        let huge = "k".repeat(1 << 20);
        for key in [
            "a.>",
            "*",
            ">",
            "",
            "a..b",
            ".a",
            "a.",
            "a b",
            "a\r\nPUB x 1",
            huge.as_str(),
        ] {
            let short: String = key.chars().take(20).collect();
            let results = [
                kv.put(key, "x").await.err(),
                kv.get(key).await.err(),
                kv.delete(key).await.err(),
                kv.purge(key).await.err(),
                kv.create(key, "x").await.err(),
                kv.update(key, "x", 1).await.err(),
                kv.history(key).await.err(),
            ];
            for result in results {
                match result {
                    Some(Error::InvalidKey { key: shown, .. }) => assert!(shown.len() <= 67),
                    other => panic!("{short:?}: expected InvalidKey, got {other:?}"),
                }
            }
        }
        // Filters accept wildcards in their place only.
        assert!(matches!(
            kv.keys_matching("a.>.b").await,
            Err(Error::InvalidKey { .. })
        ));
        assert!(matches!(
            kv.watch("a*").await,
            Err(Error::InvalidKey { .. })
        ));
        assert_eq!(
            kv.get("a.b").await?.map(|e| e.value().clone()),
            Some("precious".into())
        );
        assert_eq!(kv.keys().await?, ["a.b"]);
        Ok(())
    })
}

#[test]
fn oversized_values_and_full_buckets_are_typed_errors() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let kv = broker
            .create_key_value(kv::Config {
                max_value_size: Some(16),
                max_bytes: Some(4096),
                ..kv::Config::new("small")
            })
            .await?;
        kv.put("fits", vec![b'x'; 16]).await?;
        match kv.put("big", vec![b'x'; 17]).await {
            Err(Error::ValueTooLarge { size, max, .. }) => assert_eq!((size, max), (17, 16)),
            other => panic!("expected ValueTooLarge, got {other:?}"),
        }
        let mut written = 0;
        let full = loop {
            match kv.put(&format!("key-{written}"), vec![b'x'; 16]).await {
                Ok(_) => written += 1,
                Err(error) => break error,
            }
            assert!(written < 1000, "max_bytes was never enforced");
        };
        assert!(
            matches!(full, Error::BucketFull { ref bucket, .. } if bucket == "small"),
            "{full:?}"
        );
        assert!(written > 10, "only {written} values fit");
        Ok(())
    })
}
