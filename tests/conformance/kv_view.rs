//! `kv::View`: a local replica kept current by a watch; read-your-writes with
//! `wait_for_revision`; usable as `Ctx<kv::View>` in handlers.

use faststream_kv::kv::{self, KeyValue};
use faststream_kv::prelude::*;
use faststream_kv::testing::TestApp;

use super::run;
use crate::support::{Env, eventually};

async fn bucket(env: &Env) -> Result<KeyValue, Error> {
    env.broker()
        .key_value("view")
        .declare(kv::Config::default())
        .await
}

#[test]
fn view_holds_current_values_and_follows_changes() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = bucket(&env).await?;
        kv.put("a", "1").await?;
        kv.put("b", "1").await?;
        kv.delete("b").await?;
        let view = kv.view(">").await?;
        assert_eq!(view.get("a").map(|e| e.value().clone()), Some("1".into()));
        assert_eq!(view.get("b"), None);
        assert_eq!((view.len(), view.revision()), (1, 3));

        let revision = kv.put("c", "3").await?;
        view.wait_for_revision(revision).await?;
        assert_eq!(view.get("c").map(|e| e.revision()), Some(revision));
        let purged = kv.purge("a").await?;
        view.wait_for_revision(purged).await?;
        assert_eq!(view.get("a"), None);
        let mut keys = view.keys();
        keys.sort();
        assert_eq!(keys, ["c"]);
        assert_eq!(view.lag(), 0);
        kv.put_json("json", &serde_json::json!({"on": true}))
            .await?;
        let last = kv.put("last", "x").await?;
        view.wait_for_revision(last).await?;
        assert_eq!(
            view.get_json::<serde_json::Value>("json")?,
            Some(serde_json::json!({"on": true}))
        );
        Ok(())
    })
}

#[test]
fn filtered_view_holds_only_matching_keys() -> Result<(), Error> {
    run(async |env: Env| {
        let kv = bucket(&env).await?;
        kv.put("user.1", "ann").await?;
        kv.put("order.1", "x").await?;
        let view = kv.view("user.*").await?;
        assert_eq!(view.keys(), ["user.1"]);
        kv.put("order.2", "y").await?;
        let revision = kv.put("user.2", "bob").await?;
        view.wait_for_revision(revision).await?;
        let mut keys = view.keys();
        keys.sort();
        assert_eq!(keys, ["user.1", "user.2"]);
        assert!(!view.is_empty() && view.get("order.2").is_none());
        assert!(matches!(
            kv.view("a.>.b").await,
            Err(Error::InvalidKey { .. })
        ));
        Ok(())
    })
}

#[subscriber("price.{sku}")]
async fn price(Path(sku): Path<String>, Ctx(prices): Ctx<kv::View>) -> Result<String, Error> {
    match prices.get(&sku) {
        Some(entry) => Ok(String::from_utf8_lossy(entry.value()).into_owned()),
        None => Err(Error::msg(format!("no price for {sku}"))),
    }
}

#[test]
fn handlers_read_a_view_from_the_context() -> Result<(), Error> {
    run(async |env: Env| {
        let app = App::new(env.broker())
            .on_startup(async |cx: Lifecycle| {
                let kv = cx
                    .broker()
                    .key_value("prices")
                    .declare(kv::Config::default())
                    .await?;
                kv.put("sku-1", "9.99").await?;
                cx.context().insert(kv.view(">").await?);
                cx.context().insert(kv);
                Ok::<_, Error>(())
            })
            .subscriber(price);
        let app = TestApp::start(app).await?;
        let reply = app.request("price.sku-1", "").await?;
        assert_eq!(reply.payload().as_ref(), b"9.99");
        let kv = app.context().get::<KeyValue>()?;
        let view = app.context().get::<kv::View>()?;
        let revision = kv.put("sku-2", "1.50").await?;
        view.wait_for_revision(revision).await?;
        assert_eq!(
            app.request("price.sku-2", "").await?.payload().as_ref(),
            b"1.50"
        );
        match app.request("price.sku-3", "").await {
            Err(Error::Service {
                code: 500,
                description,
                ..
            }) => assert!(description.contains("sku-3")),
            other => panic!("expected a 500 reply, got {other:?}"),
        }
        eventually("the view stays caught up", || view.lag() == 0).await;
        app.stop().await
    })
}
