//! Typed access: JSON values, `kv::Typed<T>`, and `update_with` exact under contention.

use faststream_kv::kv::{self, KeyValue};
use faststream_kv::prelude::*;

use super::run;
use crate::support::Env;

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Stock {
    sku: String,
    left: u32,
}

async fn bucket(env: &Env) -> Result<KeyValue, Error> {
    env.broker()
        .key_value("typed")
        .declare(kv::Config::default())
        .await
}

#[test]
fn json_values_and_typed_views() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = bucket(&env).await?;
        let stock = Stock {
            sku: "sku-1".into(),
            left: 5,
        };
        kv.put_json("sku-1", &stock).await?;
        assert_eq!(kv.get_json::<Stock>("sku-1").await?, Some(stock.clone()));
        assert_eq!(kv.get_json::<Stock>("sku-2").await?, None);
        kv.put("broken", "{not json").await?;
        assert!(matches!(
            kv.get_json::<Stock>("broken").await,
            Err(Error::Decode { .. })
        ));

        let typed = kv.typed::<Stock>();
        let (value, entry) = typed.get_entry("sku-1").await?.expect("set above");
        assert_eq!((value, entry.key()), (stock.clone(), "sku-1"));
        let created = typed
            .create(
                "sku-2",
                &Stock {
                    sku: "sku-2".into(),
                    left: 1,
                },
            )
            .await?;
        assert!(matches!(
            typed.create("sku-2", &stock).await,
            Err(Error::KeyExists { .. })
        ));
        typed
            .update(
                "sku-2",
                &Stock {
                    sku: "sku-2".into(),
                    left: 0,
                },
                created,
            )
            .await?;
        assert_eq!(typed.get("sku-2").await?.map(|s| s.left), Some(0));
        typed.delete("sku-2").await?;
        assert_eq!(typed.get("sku-2").await?, None);
        Ok(())
    })
}

#[test]
fn update_with_starts_from_none_and_after_deletes() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = bucket(&env).await?;
        let (first, _) = kv
            .update_with("n", |old: Option<u64>| old.unwrap_or(10) + 1)
            .await?;
        assert_eq!(first, 11);
        kv.delete("n").await?;
        let (after_delete, _) = kv
            .update_with("n", |old: Option<u64>| old.map_or(0, |n| n + 1))
            .await?;
        assert_eq!(after_delete, 0);
        kv.purge("n").await?;
        let (after_purge, revision) = kv
            .update_with("n", |old: Option<u64>| old.map_or(7, |n| n + 1))
            .await?;
        assert_eq!(after_purge, 7);
        assert_eq!(kv.get("n").await?.map(|e| e.revision()), Some(revision));
        Ok(())
    })
}

#[test]
fn update_with_is_exact_under_contention() -> Result<(), Error> {
    run(async |env: Env| {
        const TASKS: u64 = 8;
        const INCREMENTS: u64 = 1000;
        let kv = bucket(&env).await?;
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let kv = kv.clone();
                tokio::spawn(async move {
                    for _ in 0..INCREMENTS {
                        kv.update_with("counter", |old: Option<u64>| old.unwrap_or(0) + 1)
                            .await?;
                    }
                    Ok::<_, Error>(())
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("increment task panicked")?;
        }
        assert_eq!(
            kv.get_json::<u64>("counter").await?,
            Some(TASKS * INCREMENTS)
        );
        Ok(())
    })
}
