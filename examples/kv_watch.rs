//! A `kv_watch` subscriber: the handler sees every change of the `feature.*` keys of
//! bucket `config` — the current values first, then live updates — with the key token
//! as `Path` and the value decoded as JSON. Runs as in production (`App::run`); once it
//! runs, a demo changes the flags and stops the app when the handler has seen them.
//!
//! ```sh
//! cargo run --example kv_watch
//! ```

use std::sync::{Mutex, PoisonError};

use faststream_kv::prelude::*;
use schemars::JsonSchema;
use tokio::sync::watch;

#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Flag {
    pub(crate) enabled: bool,
}

/// What the handler saw, and the latest revision it handled.
#[derive(Default)]
pub(crate) struct Seen {
    changes: Mutex<Vec<String>>,
    revision: watch::Sender<u64>,
}

impl Seen {
    /// The changes seen so far, as `"<flag> on|off|removed"`.
    pub(crate) fn changes(&self) -> Vec<String> {
        self.changes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits until the handler has handled `revision`.
    pub(crate) async fn wait_for(&self, revision: u64) -> Result<(), Error> {
        let mut handled = self.revision.subscribe();
        let reached = handled.wait_for(|handled| *handled >= revision).await;
        reached.map(drop).map_err(|_| Error::Closed)
    }
}

#[subscriber(kv_watch = "config", keys = "feature.{name}")]
async fn on_flag(
    entry: Entry,
    Path(name): Path<String>,
    Ctx(seen): Ctx<Seen>,
) -> Result<(), Error> {
    let change = match entry.operation() {
        Operation::Put if entry.json::<Flag>()?.enabled => format!("{name} on"),
        Operation::Put => format!("{name} off"),
        Operation::Delete | Operation::Purge => format!("{name} removed"),
    };
    println!("revision {}: {change}", entry.revision());
    seen.changes
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(change);
    seen.revision.send_replace(entry.revision());
    Ok(())
}

/// The service: the bucket declared at startup (with one flag already set, which the
/// handler receives as an initial value), one `kv_watch` subscriber.
pub(crate) fn app(broker: Broker) -> App {
    App::new(broker)
        .on_startup(async |cx: Lifecycle| {
            let config = cx
                .broker()
                .key_value("config")
                .declare(kv::Config::default())
                .await?;
            config
                .put_json("feature.search", &Flag { enabled: true })
                .await?;
            cx.context().insert(config);
            cx.context().insert(Seen::default());
            Ok::<_, Error>(())
        })
        .subscriber(on_flag)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    app(Broker::from_env()).after_startup(demo).run().await
}

/// Changes the flags, waits until the handler has seen the last change, and stops the
/// app.
async fn demo(cx: Lifecycle) -> Result<(), Error> {
    let config = cx.context().get::<KeyValue>()?;
    config
        .put_json("feature.dark-mode", &Flag { enabled: true })
        .await?;
    config
        .put_json("feature.search", &Flag { enabled: false })
        .await?;
    let last = config.delete("feature.dark-mode").await?;
    let seen = cx.context().get::<Seen>()?;
    seen.wait_for(last).await?;
    println!("seen: {}", seen.changes().join(", "));
    cx.shutdown_handle().shutdown();
    Ok(())
}
