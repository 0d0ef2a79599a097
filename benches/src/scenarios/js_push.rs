//! `js_push`: a durable push consumer delivers a stream of orders from its start, each
//! decoded and acknowledged after its handler; the raw side is async-nats's
//! `PushConsumer::messages` loop acking each message, on the same kind of consumer (a
//! queue group of the durable's name, as the framework delivers a durable). The clock
//! starts when the first message reached the handler (both sides wait at a gate) and
//! stops at the last one handled.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use faststream_kv::App;
use faststream_kv::jetstream::AckPolicy;
use faststream_kv::subscriber::Subscriber;

use super::jetstream::{
    FILTER, PATTERN, STREAM, durable_name, filled, framework_rate, on_order, raw_rate,
};
use crate::Result;
use crate::bench::Bench;
use crate::report::Report;
use crate::workload::{Counter, Gate};

pub(super) async fn run(bench: &Bench) -> Result<Report> {
    filled(bench, bench.settings.js_messages).await?;
    let rounds = bench.rounds(raw_run, framework_run).await?;
    Ok(Report::new("js_push", rounds, "msg/s").ratio_at_least(0.95))
}

async fn raw_run(bench: &Bench) -> Result<f64> {
    let name = durable_name("raw");
    let client = bench.raw_client().await?;
    let stream = jetstream::new(client.clone()).get_stream(STREAM).await?;
    let consumer = stream
        .create_consumer(consumer::push::Config {
            durable_name: Some(name.clone()),
            deliver_subject: client.new_inbox(),
            deliver_group: Some(name.clone()),
            filter_subject: FILTER.to_owned(),
            ..consumer::push::Config::default()
        })
        .await?;
    raw_rate(bench, &name, consumer.messages().await?).await
}

async fn framework_run(bench: &Bench) -> Result<f64> {
    let messages = bench.settings.js_messages;
    let name = durable_name("framework");
    let counter = Counter::leaked(messages);
    let gate = Arc::new(Gate::default());
    let subscriber = Subscriber::stream(STREAM, PATTERN, on_order(counter, &gate, Duration::ZERO))
        .durable(name.as_str())
        .ack_policy(AckPolicy::Ack)
        .push();
    let app = App::new(bench.broker()).subscriber(subscriber);
    framework_rate(bench, app, &gate, counter, messages, &name).await
}
