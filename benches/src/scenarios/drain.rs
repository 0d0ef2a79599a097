//! `drain`: N orders are already buffered in the consuming client (the handler waits
//! at a gate) when the clock starts, so only the consumer side is timed — the framework's
//! overhead per message, without the network.

use std::hint::black_box;
use std::sync::Arc;

use faststream_kv::handler::Handler;
use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;
use futures::StreamExt;

use super::app;
use super::pubsub::handle_order;
use super::raw::RawConsumer;
use crate::Result;
use crate::bench::Bench;
use crate::report::Report;
use crate::workload::{Counter, Gate, Order, publish, rate, sync, timed};

const SUBJECT: &str = "bench.drain.eu";
/// Outside the orders' pattern, on the consumer's connection.
const PROBE: &str = "bench.probe";

pub(super) async fn run(bench: &Bench) -> Result<Report> {
    let rounds = bench.rounds(raw_run, framework_run).await?;
    Ok(Report::new("drain", rounds, "msg/s").ratio_at_least(0.9))
}

/// The `pubsub` handler, held at the gate until the clock starts.
fn on_order(
    counter: &'static Counter,
    gate: &Arc<Gate>,
) -> impl Handler<(Json<Order>, Path<String>, Ctx<KeyValue>)> {
    let gate = Arc::clone(gate);
    move |Json(order): Json<Order>, Path(region): Path<String>, Ctx(stock): Ctx<KeyValue>| {
        // As the raw loop's handler does.
        let gate = Arc::clone(&gate);
        async move {
            gate.pass().await;
            black_box((&order, &region, &stock));
            counter.hit();
        }
    }
}

/// Publishes the orders, then a probe on the consumer's own connection: when the probe
/// arrives, every order before it is in the client's buffer.
async fn fill(bench: &Bench, consumer: &async_nats::Client) -> Result<()> {
    let mut probe = consumer.subscribe(PROBE).await?;
    sync(consumer).await?;
    publish(
        bench.publisher(),
        SUBJECT,
        &Order::payload(),
        bench.settings.messages,
    )
    .await?;
    bench.publisher().publish(PROBE, "".into()).await?;
    bench.publisher().flush().await?;
    probe.next().await.ok_or("the probe subscription closed")?;
    Ok(())
}

pub(super) async fn raw_run(bench: &Bench) -> Result<f64> {
    let gate = Arc::new(Gate::default());
    let consumer = {
        let gate = Arc::clone(&gate);
        RawConsumer::start(
            bench,
            "bench.drain.*",
            bench.settings.messages,
            move |message, stock| {
                let gate = Arc::clone(&gate);
                async move {
                    gate.pass().await;
                    handle_order(&message, stock)
                }
            },
        )
        .await?
    };
    fill(bench, &consumer.client).await?;
    let elapsed = timed(async {
        gate.open();
        consumer.counter.wait(bench.settings.deadline()).await
    })
    .await?;
    Ok(rate(bench.settings.messages, elapsed))
}

async fn framework_run(bench: &Bench) -> Result<f64> {
    framework_run_with(bench, false).await
}

/// The framework side, with the app's metrics on or off.
pub(super) async fn framework_run_with(bench: &Bench, metrics: bool) -> Result<f64> {
    let messages = bench.settings.messages;
    let counter = Counter::leaked(messages);
    let gate = Arc::new(Gate::default());
    let app = app(bench.broker())
        .metrics(metrics)
        .subscriber(Subscriber::new(
            "bench.drain.{region}",
            on_order(counter, &gate),
        ));
    let running = app.start().await?;
    let client = running
        .broker()
        .nats_client()
        .ok_or("the drain scenario needs NATS")?
        .clone();
    fill(bench, &client).await?;
    let elapsed = timed(async {
        gate.open();
        counter.wait(bench.settings.deadline()).await
    })
    .await;
    running.stop().await?;
    Ok(rate(messages, elapsed?))
}
