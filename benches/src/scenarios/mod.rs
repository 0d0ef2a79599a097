//! One module per scenario; each runs the raw async-nats version and the framework
//! version of the same work, alternating, and returns a [`Report`].

mod drain;
mod drain_metrics;
mod handler;
mod jetstream;
mod js_publish;
mod js_pull;
mod js_push;
mod js_workers;
mod kv_get;
mod kv_put;
mod kv_view;
mod kv_watch_initial;
mod memory;
mod pubsub;
mod raw;
mod rpc;
mod startup;

use faststream_kv::kv::{self, KeyValue};
use faststream_kv::{App, Broker, Error, Lifecycle};

use crate::Result;
use crate::bench::Bench;
use crate::report::Report;
use crate::workload::{Counter, Order, publish, rate, timed};

/// Every scenario, in the order `all` runs them.
pub const ALL: [&str; 15] = [
    "pubsub",
    "drain",
    "handler",
    "rpc",
    "kv_get",
    "kv_view",
    "kv_put",
    "kv_watch_initial",
    "js_pull",
    "js_push",
    "js_workers",
    "js_publish",
    "memory",
    "startup",
    // Last: it installs a metrics recorder for the rest of the process.
    "drain_metrics",
];

/// Runs scenario `name`.
pub async fn run(name: &str, bench: &Bench) -> Result<Report> {
    match name {
        "pubsub" => pubsub::run(bench).await,
        "drain" => drain::run(bench).await,
        "handler" => handler::run(bench).await,
        "rpc" => rpc::run(bench).await,
        "kv_get" => kv_get::run(bench).await,
        "kv_view" => kv_view::run(bench).await,
        "kv_put" => kv_put::run(bench).await,
        "kv_watch_initial" => kv_watch_initial::run(bench).await,
        "js_pull" => js_pull::run(bench).await,
        "js_push" => js_push::run(bench).await,
        "js_workers" => js_workers::run(bench).await,
        "js_publish" => js_publish::run(bench).await,
        "memory" => memory::run(bench).await,
        "startup" => startup::run(bench).await,
        "drain_metrics" => drain_metrics::run(bench).await,
        other => Err(format!("unknown scenario {other:?}; expected one of {ALL:?} or all").into()),
    }
}

/// Creates what the scenarios read before any of them runs: the stock bucket and key.
pub async fn prepare(bench: &Bench) -> Result<()> {
    let broker = bench.broker();
    stock(&broker).await?;
    broker.close().await?;
    Ok(())
}

/// The bucket handlers read: `stock`, with key `sku-1` set.
const BUCKET: &str = "bench_stock";
/// The key handlers read.
const KEY: &str = "sku-1";

/// Declares the bucket (idempotent) and makes sure the key is set.
async fn stock(broker: &Broker) -> std::result::Result<KeyValue, Error> {
    let kv = broker
        .key_value(BUCKET)
        .declare(kv::Config::default())
        .await?;
    if kv.get(KEY).await?.is_none() {
        kv.put(KEY, "5").await?;
    }
    Ok(kv)
}

/// A framework app on `broker` whose context holds the stock bucket. Handlers count
/// through a captured [`Counter::leaked`]: the count is instrumentation, not the work
/// compared, and costs neither side any reference counting.
fn app(broker: Broker) -> App {
    App::new(broker).on_startup(async |cx: Lifecycle| {
        let kv = stock(cx.broker()).await?;
        cx.context().insert(kv);
        Ok::<_, Error>(())
    })
}

/// The raw side's bucket handle.
async fn raw_stock(client: &async_nats::Client) -> Result<async_nats::jetstream::kv::Store> {
    Ok(async_nats::jetstream::new(client.clone())
        .get_key_value(BUCKET)
        .await?)
}

/// Publishes `messages` orders to `subject` with the shared publisher and waits until
/// `counter` has seen every one; messages per second.
async fn publish_and_count(
    bench: &Bench,
    subject: &'static str,
    messages: usize,
    counter: &Counter,
) -> Result<f64> {
    let payload = Order::payload();
    let elapsed = timed(async {
        publish(bench.publisher(), subject, &payload, messages).await?;
        counter.wait(bench.settings.deadline()).await
    })
    .await?;
    Ok(rate(messages, elapsed))
}

/// Starts `app`, publishes `messages` orders to `subject`, stops the app; msg/s.
async fn framework_throughput(
    bench: &Bench,
    app: App,
    subject: &'static str,
    messages: usize,
    counter: &Counter,
) -> Result<f64> {
    let running = app.start().await?;
    let figure = publish_and_count(bench, subject, messages, counter).await;
    running.stop().await?;
    figure
}
