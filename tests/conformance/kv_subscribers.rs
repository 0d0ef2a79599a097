//! `#[subscriber(kv_watch = ...)]`: handlers get Key-Value changes with the usual
//! extractors; the bucket may be declared by a startup hook.

use faststream_kv::error::StartupProblemKind;
use faststream_kv::kv::{self, KeyValue, Operation};
use faststream_kv::prelude::*;
use faststream_kv::testing::TestApp;

use super::run;
use crate::support::{Env, Log, eventually};

#[subscriber(kv_watch = "config", keys = "feature.{name}")]
async fn on_feature(
    entry: Entry,
    Path(name): Path<String>,
    Subject(key): Subject,
    Ctx(log): Ctx<Log>,
) {
    let change = match entry.operation() {
        Operation::Put => format!("{name}={}", String::from_utf8_lossy(entry.value())),
        Operation::Delete | Operation::Purge => format!("{name}!"),
    };
    log.push(format!("{change} ({key})"));
}

#[derive(Deserialize)]
struct Limit {
    max: u32,
}

#[subscriber(kv_watch = "config", keys = "limit.*", ignore_deletes)]
async fn on_limit(Json(limit): Json<Limit>, Ctx(log): Ctx<Log>) {
    log.push(format!("limit {}", limit.max));
}

fn app(env: &Env, log: &Log) -> App {
    let app = App::new(env.broker())
        .on_startup(async |cx: Lifecycle| {
            let kv = cx
                .broker()
                .key_value("config")
                .declare(kv::Config::default())
                .await?;
            kv.put("feature.old", "on").await?;
            kv.put("other.key", "ignored").await?;
            cx.context().insert(kv);
            Ok::<_, Error>(())
        })
        .subscriber(on_feature)
        .subscriber(on_limit);
    app.context().insert(log.clone());
    app
}

#[test]
fn kv_watch_handlers_get_entries_path_and_context() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let app = TestApp::start(app(&env, &log)).await?;
        let kv = app.context().get::<KeyValue>()?;
        kv.put("feature.dark", "on").await?;
        kv.put("other.key", "still ignored").await?;
        kv.delete("feature.old").await?;
        kv.put_json("limit.rps", &serde_json::json!({"max": 100}))
            .await?;
        kv.delete("limit.rps").await?;
        kv.put_json("limit.burst", &serde_json::json!({"max": 5}))
            .await?;
        eventually("all changes handled", || log.len() == 5).await;
        let mut entries = log.entries();
        entries.sort();
        assert_eq!(
            entries,
            [
                "dark=on (feature.dark)",
                "limit 100",
                "limit 5",
                "old! (feature.old)",
                "old=on (feature.old)",
            ]
        );
        app.stop().await
    })
}

#[test]
fn kv_watch_on_a_missing_bucket_fails_startup() -> Result<(), Error> {
    run(async |env: Env| {
        let app = App::new(env.broker()).subscriber(on_limit);
        app.context().insert(Log::default());
        match TestApp::start(app).await {
            Err(Error::BucketNotFound { bucket, .. }) => assert_eq!(bucket, "config"),
            other => panic!("expected BucketNotFound, got {:?}", other.err()),
        }
        Ok(())
    })
}

#[subscriber("orders.created")]
async fn wants_an_entry(_entry: Entry) {}

#[test]
fn entry_outside_kv_watch_fails_startup() -> Result<(), Error> {
    run(async |env: Env| {
        let Err(Error::Startup { problems, .. }) =
            TestApp::start(App::new(env.broker()).subscriber(wants_an_entry)).await
        else {
            panic!("startup must fail");
        };
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].kind, StartupProblemKind::EntryOutsideKvWatch);
        assert!(
            problems[0]
                .to_string()
                .contains("only reach `kv_watch` subscribers"),
            "{}",
            problems[0]
        );
        Ok(())
    })
}

#[subscriber(kv_watch = "preloaded", keys = "item.*", max_workers = 4)]
async fn slow_item(entry: Entry, Ctx(log): Ctx<Log>) {
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    log.push(entry.key().to_owned());
}

/// The app says when a watcher has handled the values its bucket held at start: the
/// marker alone is not enough while handlers of earlier entries still run.
#[test]
fn the_app_knows_when_the_initial_data_is_handled() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let app = App::new(env.broker())
            .on_startup(async |cx: Lifecycle| {
                let kv = cx
                    .broker()
                    .key_value("preloaded")
                    .declare(kv::Config::default())
                    .await?;
                for index in 0..50 {
                    kv.put(&format!("item.{index}"), "x").await?;
                }
                Ok::<_, Error>(())
            })
            .subscriber(slow_item);
        app.context().insert(log.clone());
        let app = TestApp::start(app).await?;
        app.running().initial_data_loaded().await?;
        assert_eq!(log.len(), 50, "every initial value was handled first");
        let watchers = app.running().kv_watchers();
        assert_eq!(watchers.len(), 1);
        let watcher = &watchers[0];
        assert_eq!(
            (
                watcher.name.as_str(),
                watcher.bucket.as_str(),
                watcher.initial_data_loaded
            ),
            ("slow_item", "preloaded", true)
        );
        app.stop().await
    })
}
