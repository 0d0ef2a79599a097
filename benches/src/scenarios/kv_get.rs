//! `kv_get`: every message makes its handler read one key with `KeyValue::get` (a round
//! trip to the server), against `Store::get` in a raw loop.

use std::hint::black_box;

use faststream_kv::handler::Handler;
use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;

use super::raw::RawConsumer;
use super::{KEY, app, framework_throughput, publish_and_count};
use crate::Result;
use crate::bench::Bench;
use crate::report::Report;
use crate::workload::Counter;

const SUBJECT: &str = "bench.kvget";

pub(super) async fn run(bench: &Bench) -> Result<Report> {
    let rounds = bench.round_trip_rounds(raw_run, framework_run).await?;
    Ok(Report::new("kv_get", rounds, "msg/s").ratio_at_least(0.95))
}

fn on_message(counter: &'static Counter) -> impl Handler<(Ctx<KeyValue>,)> {
    move |Ctx(stock): Ctx<KeyValue>| async move {
        if stock.get(KEY).await?.is_some() {
            counter.hit();
        }
        Ok::<_, Error>(())
    }
}

async fn raw_run(bench: &Bench) -> Result<f64> {
    let messages = bench.settings.kv_messages;
    let consumer = RawConsumer::start(bench, SUBJECT, messages, async |message, stock| {
        black_box(&message);
        matches!(stock.get(KEY).await, Ok(Some(_)))
    })
    .await?;
    publish_and_count(bench, SUBJECT, messages, &consumer.counter).await
}

/// The framework run; also the baseline of the `kv_view` scenario.
pub(super) async fn framework_run(bench: &Bench) -> Result<f64> {
    let messages = bench.settings.kv_messages;
    let counter = Counter::leaked(messages);
    let app = app(bench.broker()).subscriber(Subscriber::new(SUBJECT, on_message(counter)));
    framework_throughput(bench, app, SUBJECT, messages, counter).await
}
