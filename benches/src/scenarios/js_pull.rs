//! `js_pull`: a durable pull consumer reads a stream of orders from its start, each
//! decoded and acknowledged after its handler; the raw side is async-nats's
//! `PullConsumer::messages` loop acking each message. The clock starts when the
//! first message reached the handler (both sides wait at a gate) and stops at the last
//! one handled.

use std::sync::Arc;
use std::time::Duration;

use faststream_kv::App;
use faststream_kv::jetstream::AckPolicy;
use faststream_kv::subscriber::Subscriber;

use super::jetstream::{
    PATTERN, STREAM, durable_name, filled, framework_rate, on_order, raw_messages, raw_rate,
};
use crate::Result;
use crate::bench::Bench;
use crate::report::Report;
use crate::workload::{Counter, Gate};

pub(super) async fn run(bench: &Bench) -> Result<Report> {
    filled(bench, bench.settings.js_messages).await?;
    let rounds = bench.rounds(raw_run, framework_run).await?;
    Ok(Report::new("js_pull", rounds, "msg/s").ratio_at_least(0.95))
}

async fn raw_run(bench: &Bench) -> Result<f64> {
    let (name, incoming) = raw_messages(bench, "raw").await?;
    raw_rate(bench, &name, incoming).await
}

async fn framework_run(bench: &Bench) -> Result<f64> {
    let messages = bench.settings.js_messages;
    let name = durable_name("framework");
    let counter = Counter::leaked(messages);
    let gate = Arc::new(Gate::default());
    let subscriber = Subscriber::stream(STREAM, PATTERN, on_order(counter, &gate, Duration::ZERO))
        .durable(name.as_str())
        .ack_policy(AckPolicy::Ack);
    let app = App::new(bench.broker()).subscriber(subscriber);
    framework_rate(bench, app, &gate, counter, messages, &name).await
}
