//! `js_workers`: a durable pull consumer whose handler awaits 1 ms of simulated I/O,
//! with 64 workers: `max_workers = 64` against a raw `PullConsumer::messages` loop that
//! spawns each message's work under a 64-permit semaphore. Also the framework with one
//! worker, on fewer messages, for the speed-up that 64 workers bring.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use faststream_kv::handler::Handler;
use faststream_kv::jetstream::AckPolicy;
use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;
use futures::StreamExt;
use tokio::sync::Semaphore;

use super::jetstream::{PATTERN, STREAM, delete_consumer, durable_name, filled, handle};
use crate::Result;
use crate::bench::Bench;
use crate::report::{Report, median};
use crate::workload::{Counter, Gate, Order, rate, timed};

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
    let name = durable_name("raw-workers");
    let client = bench.raw_client().await?;
    let stream = jetstream::new(client).get_stream(STREAM).await?;
    let consumer = stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some(name.clone()),
            ..consumer::pull::Config::default()
        })
        .await?;
    let counter = Arc::new(Counter::new(messages));
    let gate = Arc::new(Gate::default());
    let mut incoming = consumer.messages().await?;
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
    let elapsed = timed(async {
        gate.open();
        counter.wait(bench.settings.deadline()).await
    })
    .await;
    task.abort();
    delete_consumer(bench, &name).await?;
    Ok(rate(messages, elapsed?))
}

fn on_order(
    counter: &'static Counter,
    gate: &Arc<Gate>,
) -> impl Handler<(Json<Order>, Path<String>)> {
    let gate = Arc::clone(gate);
    move |Json(order): Json<Order>, Path(region): Path<String>| {
        let gate = Arc::clone(&gate);
        async move {
            gate.pass().await;
            std::hint::black_box((&order, &region));
            tokio::time::sleep(IO).await;
            counter.hit();
        }
    }
}

async fn framework_run(bench: &Bench, messages: usize, workers: usize) -> Result<f64> {
    let name = durable_name("framework-workers");
    let counter = Counter::leaked(messages);
    let gate = Arc::new(Gate::default());
    let subscriber = Subscriber::stream(STREAM, PATTERN, on_order(counter, &gate))
        .durable(name.as_str())
        .ack_policy(AckPolicy::Ack)
        .max_workers(workers);
    let running = App::new(bench.broker())
        .subscriber(subscriber)
        .start()
        .await?;
    let elapsed = timed(async {
        gate.open();
        counter.wait(bench.settings.deadline()).await
    })
    .await;
    running.stop().await?;
    delete_consumer(bench, &name).await?;
    Ok(rate(messages, elapsed?))
}
