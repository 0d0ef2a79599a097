//! `js_workers`: a durable pull consumer whose handler awaits 1 ms of simulated I/O,
//! with 64 workers: `max_workers = 64` against a raw `PullConsumer::messages` loop that
//! spawns each message's work under a 64-permit semaphore. Also the framework with one
//! worker, on fewer messages, for the speed-up that 64 workers bring.

use std::sync::Arc;
use std::time::Duration;

use faststream_kv::App;
use faststream_kv::jetstream::AckPolicy;
use faststream_kv::subscriber::Subscriber;
use futures::StreamExt;
use tokio::sync::Semaphore;

use super::jetstream::{
    PATTERN, STREAM, durable_name, filled, framework_rate, handle, on_order, rate_from_gate,
    raw_messages,
};
use crate::Result;
use crate::bench::Bench;
use crate::report::{Report, median};
use crate::workload::{Counter, Gate};

const WORKERS: usize = 64;
const IO: Duration = Duration::from_millis(1);

pub(super) async fn run(bench: &Bench) -> Result<Report> {
    let messages = bench.settings.js_worker_messages;
    filled(bench, bench.settings.js_messages.max(messages)).await?;
    let rounds = bench
        .rounds(
            async |bench: &Bench| raw_run(bench, messages).await,
            async |bench: &Bench| framework_run(bench, messages, WORKERS).await,
        )
        .await?;
    // One worker handles a message per millisecond or so: fewer of them, a few runs.
    let single_messages = (messages / 40).max(20);
    let mut single = Vec::new();
    for _ in 0..3 {
        single.push(framework_run(bench, single_messages, 1).await?);
    }
    let single = median(&mut single);
    let speedup = rounds.framework / single;
    let report = Report::new("js_workers", rounds, "msg/s")
        .extra("single_worker", format!("{single:.0}"))
        .extra("speedup", format!("{speedup:.1}"))
        .ratio_at_least(0.9);
    Ok(report.target(!bench.settings.judge || speedup >= 32.0, || {
        format!("js_workers speed-up with {WORKERS} workers {speedup:.1} < 32")
    }))
}

async fn raw_run(bench: &Bench, messages: usize) -> Result<f64> {
    let (name, mut incoming) = raw_messages(bench, "raw-workers").await?;
    let counter = Arc::new(Counter::new(messages));
    let gate = Arc::new(Gate::default());
    let task = {
        let (counter, gate) = (Arc::clone(&counter), Arc::clone(&gate));
        let workers = Arc::new(Semaphore::new(WORKERS));
        tokio::spawn(async move {
            while let Some(Ok(message)) = incoming.next().await {
                let Ok(permit) = Arc::clone(&workers).acquire_owned().await else {
                    break;
                };
                let (counter, gate) = (Arc::clone(&counter), Arc::clone(&gate));
                tokio::spawn(async move {
                    gate.pass().await;
                    if handle(&message.subject, &message.payload) {
                        tokio::time::sleep(IO).await;
                        if message.ack().await.is_ok() {
                            counter.hit();
                        }
                    }
                    drop(permit);
                });
            }
        })
    };
    let figure = rate_from_gate(bench, &gate, &counter, messages, &name).await;
    task.abort();
    figure
}

async fn framework_run(bench: &Bench, messages: usize, workers: usize) -> Result<f64> {
    let name = durable_name("framework-workers");
    let counter = Counter::leaked(messages);
    let gate = Arc::new(Gate::default());
    let subscriber = Subscriber::stream(STREAM, PATTERN, on_order(counter, &gate, IO))
        .durable(name.as_str())
        .ack_policy(AckPolicy::Ack)
        .max_workers(workers);
    let app = App::new(bench.broker()).subscriber(subscriber);
    framework_rate(bench, app, &gate, counter, messages, &name).await
}
