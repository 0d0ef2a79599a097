//! `kv_put`: every message makes its handler write its payload to one key with
//! `KeyValue::put`, against `Store::put` in a raw loop.

use faststream_kv::handler::Handler;
use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;

use super::raw::RawConsumer;
use super::{app, framework_throughput, publish_and_count};
use crate::Result;
use crate::bench::Bench;
use crate::report::Report;
use crate::workload::Counter;

const SUBJECT: &str = "bench.kvput";
const KEY: &str = "last-order";

pub(super) async fn run(bench: &Bench) -> Result<Report> {
    let rounds = bench.round_trip_rounds(raw_run, framework_run).await?;
    Ok(Report::new("kv_put", rounds, "msg/s").ratio_at_least(0.95))
}

fn on_message(counter: &'static Counter) -> impl Handler<(Bytes, Ctx<KeyValue>)> {
    move |body: Bytes, Ctx(stock): Ctx<KeyValue>| async move {
        stock.put(KEY, body).await?;
        counter.hit();
        Ok::<_, Error>(())
    }
}

async fn raw_run(bench: &Bench) -> Result<f64> {
    let messages = bench.settings.kv_messages;
    let consumer = RawConsumer::start(bench, SUBJECT, messages, async |message, stock| {
        stock.put(KEY, message.payload).await.is_ok()
    })
    .await?;
    publish_and_count(bench, SUBJECT, messages, &consumer.counter).await
}

async fn framework_run(bench: &Bench) -> Result<f64> {
    let messages = bench.settings.kv_messages;
    let counter = Counter::leaked(messages);
    let app = app(bench.broker()).subscriber(Subscriber::new(SUBJECT, on_message(counter)));
    framework_throughput(bench, app, SUBJECT, messages, counter).await
}
