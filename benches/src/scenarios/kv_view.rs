//! `kv_view`: handlers read through a `kv::View` (local replica) instead of a round trip;
//! compared with the framework's `kv_get` throughput in the same run, plus the latency
//! of a single `kv::View::get`.

use std::hint::black_box;
use std::time::Instant;

use faststream_kv::handler::Handler;
use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;

use super::{KEY, app, framework_throughput, kv_get, stock};
use crate::Result;
use crate::bench::Bench;
use crate::report::{Report, median};
use crate::workload::Counter;

const SUBJECT: &str = "bench.kvview";

pub(super) async fn run(bench: &Bench) -> Result<Report> {
    let rounds = bench.rounds(kv_get::framework_run, framework_run).await?;
    let read_ns = read_latency(bench).await?;
    let report = Report::new("kv_view", rounds, "msg/s")
        .extra("p50_read_ns", format!("{read_ns:.0}"))
        .ratio_at_least(10.0);
    Ok(report.target(read_ns <= 1000.0, || {
        format!("kv_view p50 read {read_ns:.0} ns > 1000 ns")
    }))
}

fn on_message(counter: &'static Counter) -> impl Handler<(Ctx<kv::View>,)> {
    move |Ctx(view): Ctx<kv::View>| async move {
        if view.get(KEY).is_some() {
            counter.hit();
        }
    }
}

async fn framework_run(bench: &Bench) -> Result<f64> {
    let messages = bench.settings.messages;
    let counter = Counter::leaked(messages);
    let app = app(bench.broker())
        .on_startup(async |cx: Lifecycle| {
            // Runs after `app`'s own hook, which put the bucket in the context.
            let kv = cx.context().get::<KeyValue>()?;
            cx.context().insert(kv.view(">").await?);
            Ok::<_, Error>(())
        })
        .subscriber(Subscriber::new(SUBJECT, on_message(counter)));
    framework_throughput(bench, app, SUBJECT, messages, counter).await
}

/// The median time of one `kv::View::get`, in nanoseconds.
async fn read_latency(bench: &Bench) -> Result<f64> {
    let broker = bench.broker();
    let view = stock(&broker).await?.view(">").await?;
    let mut nanos = Vec::with_capacity(bench.settings.view_reads);
    for _ in 0..bench.settings.view_reads {
        let started = Instant::now();
        let entry = black_box(view.get(black_box(KEY)));
        nanos.push(started.elapsed().as_nanos() as f64);
        if entry.is_none() {
            return Err("the view lost its key".into());
        }
    }
    broker.close().await?;
    Ok(median(&mut nanos))
}
