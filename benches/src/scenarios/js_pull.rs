//! `js_pull`: a durable pull consumer reads a stream of orders from its start, each
//! decoded and acknowledged after its handler; the raw side is async-nats's
//! `PullConsumer::messages` loop acking each message. The clock starts when the
//! first message reached the handler (both sides wait at a gate) and stops at the last
//! one handled.

use std::sync::Arc;

use async_nats::jetstream::{self, consumer};
use faststream_kv::handler::Handler;
use faststream_kv::jetstream::AckPolicy;
use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;
use futures::StreamExt;

use super::jetstream::{PATTERN, STREAM, delete_consumer, durable_name, filled, handle};
use crate::Result;
use crate::bench::Bench;
use crate::report::Report;
use crate::workload::{Counter, Gate, Order, rate, timed};

pub(super) async fn run(bench: &Bench) -> Result<Report> {
    filled(bench, bench.settings.js_messages).await?;
    let rounds = bench.rounds(raw_run, framework_run).await?;
    Ok(Report::new("js_pull", rounds, "msg/s").ratio_at_least(0.95))
}

async fn raw_run(bench: &Bench) -> Result<f64> {
    let messages = bench.settings.js_messages;
    let name = durable_name("raw");
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
        tokio::spawn(async move {
            while let Some(Ok(message)) = incoming.next().await {
                gate.pass().await;
                if handle(&message.subject, &message.payload) && message.ack().await.is_ok() {
                    counter.hit();
                }
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
            counter.hit();
        }
    }
}

async fn framework_run(bench: &Bench) -> Result<f64> {
    let messages = bench.settings.js_messages;
    let name = durable_name("framework");
    let counter = Counter::leaked(messages);
    let gate = Arc::new(Gate::default());
    let subscriber = Subscriber::stream(STREAM, PATTERN, on_order(counter, &gate))
        .durable(name.as_str())
        .ack_policy(AckPolicy::Ack);
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
