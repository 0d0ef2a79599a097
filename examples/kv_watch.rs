//! A `kv_watch` subscriber: the handler sees every change of the `feature.*` keys of
//! bucket `config` — the current values first, then live updates — with the key token
//! as `Path` and the value decoded as JSON.
//!
//! ```sh
//! cargo run --example kv_watch
//! ```

use faststream_kv::prelude::*;
use tokio::sync::watch;

#[derive(Serialize, Deserialize)]
struct Flag {
    enabled: bool,
}

/// The latest revision handled, so `main` knows when to stop.
struct Handled(watch::Sender<u64>);

#[subscriber(kv_watch = "config", keys = "feature.{name}")]
async fn on_flag(
    entry: Entry,
    Path(name): Path<String>,
    Ctx(handled): Ctx<Handled>,
) -> Result<(), Error> {
    match entry.operation() {
        Operation::Put => {
            let flag: Flag = entry.json()?;
            println!(
                "revision {}: feature {name} is {}",
                entry.revision(),
                if flag.enabled { "on" } else { "off" }
            );
        }
        Operation::Delete | Operation::Purge => {
            println!("revision {}: feature {name} removed", entry.revision());
        }
    }
    handled.0.send_replace(entry.revision());
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = App::new(Broker::from_env())
        .on_startup(async |cx: AppContext| {
            let config = cx
                .broker()
                .key_value("config")
                .declare(KvConfig::default())
                .await?;
            // Written before the subscriber starts: it arrives as an initial value.
            config
                .put_json("feature.search", &Flag { enabled: true })
                .await?;
            cx.context().insert(config);
            Ok::<_, Error>(())
        })
        .subscriber(on_flag);

    let (handled, mut progress) = watch::channel(0);
    app.context().insert(Handled(handled));
    let app = TestApp::start(app).await?;
    let config = app.context().get::<KeyValue>()?;
    config
        .put_json("feature.dark-mode", &Flag { enabled: true })
        .await?;
    config
        .put_json("feature.search", &Flag { enabled: false })
        .await?;
    let last = config.delete("feature.dark-mode").await?;
    progress
        .wait_for(|revision| *revision >= last)
        .await
        .map_err(|_| Error::Closed)?;
    app.stop().await
}
