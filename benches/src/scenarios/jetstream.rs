//! What the stream scenarios share: a stream filled once with orders, a fresh durable
//! consumer per run (so every run reads the same messages), and the order handler's
//! work on a stream message.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::pull;
use async_nats::jetstream::{self, consumer, stream};
use bytes::Bytes;
use faststream_kv::App;
use faststream_kv::extract::{Json, Path};
use faststream_kv::handler::Handler;
use futures::StreamExt;

use crate::Result;
use crate::bench::Bench;
use crate::workload::{Counter, Gate, Order, rate, timed};

/// The stream the scenarios read.
pub(super) const STREAM: &str = "BENCH_ORDERS";
/// Its subjects; every order goes to [`SUBJECT`].
const SUBJECTS: &str = "bench.js.>";
pub(super) const SUBJECT: &str = "bench.js.eu";
/// The pattern framework subscribers consume.
pub(super) const PATTERN: &str = "bench.js.{region}";
/// The subjects [`PATTERN`] matches: the filter of every consumer, raw ones too (a
/// filtered consumer costs the server more per message than one reading everything).
pub(super) const FILTER: &str = "bench.js.*";

/// The stream with exactly `messages` orders, written once with pipelined publishes.
pub(super) async fn filled(bench: &Bench, messages: usize) -> Result<()> {
    let js = jetstream::new(bench.publisher().clone());
    let mut stream = js
        .get_or_create_stream(stream::Config {
            name: STREAM.to_owned(),
            subjects: vec![SUBJECTS.to_owned()],
            ..stream::Config::default()
        })
        .await?;
    if stream.info().await?.state.messages as usize == messages {
        return Ok(());
    }
    stream.purge().await?;
    let payload = Order::payload();
    let mut acks = Vec::with_capacity(1000);
    for index in 0..messages {
        acks.push(js.publish(SUBJECT, payload.clone()).await?);
        if acks.len() == acks.capacity() || index + 1 == messages {
            for ack in acks.drain(..) {
                ack.await?;
            }
        }
    }
    Ok(())
}

/// A durable name no earlier run used.
pub(super) fn durable_name(side: &str) -> String {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    format!("{side}-{}", RUNS.fetch_add(1, Ordering::Relaxed))
}

/// Deletes a run's consumer, so that the stream does not collect them.
pub(super) async fn delete_consumer(bench: &Bench, name: &str) -> Result<()> {
    let js = jetstream::new(bench.publisher().clone());
    js.get_stream(STREAM).await?.delete_consumer(name).await?;
    Ok(())
}

/// The raw handler's work on one order: decode it and take the region from the
/// subject, as the framework's `Json<Order>` and `Path` do; false if it is no order.
pub(super) fn handle(subject: &str, payload: &Bytes) -> bool {
    let Ok(order) = serde_json::from_slice::<Order>(payload) else {
        return false;
    };
    let region = subject.rsplit('.').next().map(str::to_owned);
    black_box((&order, &region));
    true
}

/// A new durable pull consumer from the stream's start, on a new raw connection: its
/// name and its messages (async-nats's `PullConsumer::messages`, default settings).
pub(super) async fn raw_messages(bench: &Bench, side: &str) -> Result<(String, pull::Stream)> {
    let name = durable_name(side);
    let client = bench.raw_client().await?;
    let stream = jetstream::new(client).get_stream(STREAM).await?;
    let consumer = stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some(name.clone()),
            filter_subject: FILTER.to_owned(),
            ..consumer::pull::Config::default()
        })
        .await?;
    Ok((name, consumer.messages().await?))
}

/// The raw side's run: `incoming` (of consumer `name`) read in a task, each message
/// waiting at the gate, handled and acknowledged. Messages per second.
pub(super) async fn raw_rate<S, E>(bench: &Bench, name: &str, mut incoming: S) -> Result<f64>
where
    S: futures::Stream<Item = std::result::Result<jetstream::Message, E>> + Send + Unpin + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let messages = bench.settings.js_messages;
    let counter = Arc::new(Counter::new(messages));
    let gate = Arc::new(Gate::default());
    let verbose = bench.settings.verbose;
    let task = {
        let (counter, gate) = (Arc::clone(&counter), Arc::clone(&gate));
        tokio::spawn(async move {
            while let Some(next) = incoming.next().await {
                // As a user's loop would: an error (a missed heartbeat; the consumer
                // deleted after the run) is logged and the stream goes on.
                let message = match next {
                    Ok(message) => message,
                    Err(error) => {
                        if verbose {
                            eprintln!("raw consumer: {error}");
                        }
                        continue;
                    }
                };
                gate.pass().await;
                if handle(&message.subject, &message.payload) && message.ack().await.is_ok() {
                    counter.hit();
                }
            }
        })
    };
    let figure = rate_from_gate(bench, &gate, &counter, messages, name).await;
    task.abort();
    figure
}

/// Opens `gate` and waits until `counter` saw its `messages`; then deletes consumer
/// `name`. Messages per second.
pub(super) async fn rate_from_gate(
    bench: &Bench,
    gate: &Gate,
    counter: &Counter,
    messages: usize,
    name: &str,
) -> Result<f64> {
    let elapsed = timed(async {
        gate.open();
        counter.wait(bench.settings.deadline()).await
    })
    .await;
    delete_consumer(bench, name).await?;
    Ok(rate(messages, elapsed?))
}

/// Starts `app` (its stream subscriber on durable `name`, handlers at `gate`), times
/// it to `messages` handled, stops it.
pub(super) async fn framework_rate(
    bench: &Bench,
    app: App,
    gate: &Arc<Gate>,
    counter: &Counter,
    messages: usize,
    name: &str,
) -> Result<f64> {
    let running = app.start().await?;
    let figure = rate_from_gate(bench, gate, counter, messages, name).await;
    running.stop().await?;
    figure
}

/// The framework's order handler: waits at `gate`, decodes, awaits `io` of simulated
/// work (none if zero), counts.
pub(super) fn on_order(
    counter: &'static Counter,
    gate: &Arc<Gate>,
    io: Duration,
) -> impl Handler<(Json<Order>, Path<String>)> {
    let gate = Arc::clone(gate);
    move |Json(order): Json<Order>, Path(region): Path<String>| {
        let gate = Arc::clone(&gate);
        async move {
            gate.pass().await;
            black_box((&order, &region));
            if !io.is_zero() {
                tokio::time::sleep(io).await;
            }
            counter.hit();
        }
    }
}
