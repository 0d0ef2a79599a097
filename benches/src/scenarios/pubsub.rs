//! `pubsub`: publish N orders, handle each with `Json<Order>` + `Path` + `Ctx<KeyValue>`;
//! timed from the first publish to the last message handled.

use std::hint::black_box;
use std::sync::Arc;

use faststream_kv::Broker;
use faststream_kv::handler::Handler;
use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;

use super::raw::RawConsumer;
use super::{app, publish_and_count};
use crate::Result;
use crate::bench::Bench;
use crate::report::Report;
use crate::workload::{Counter, Order, publish, rate, timed};
use async_nats::jetstream::kv::Store;

/// Where the orders are published.
pub(super) const SUBJECT: &str = "bench.pubsub.eu";
/// The framework subscriber's pattern.
pub(super) const PATTERN: &str = "bench.pubsub.{region}";

pub(super) async fn run(bench: &Bench) -> Result<Report> {
    let rounds = bench
        .rounds(raw_run, async |bench: &Bench| {
            framework_run(bench, bench.broker(), None).await
        })
        .await?;
    Ok(Report::new("pubsub", rounds, "msg/s").ratio_at_least(0.95))
}

/// The handler: decode, take the region, get the bucket from the context; then count.
pub(super) fn on_order(
    counter: &'static Counter,
) -> impl Handler<(Json<Order>, Path<String>, Ctx<KeyValue>)> {
    move |Json(order): Json<Order>, Path(region): Path<String>, Ctx(stock): Ctx<KeyValue>| async move {
        black_box((&order, &region, &stock));
        counter.hit();
    }
}

/// The same work in a hand-written async-nats loop.
pub(super) async fn raw_run(bench: &Bench) -> Result<f64> {
    let messages = bench.settings.messages;
    let consumer = RawConsumer::start(bench, "bench.pubsub.*", messages, async |message, stock| {
        handle_order(&message, stock)
    })
    .await?;
    publish_and_count(bench, SUBJECT, messages, &consumer.counter).await
}

/// The raw handler's work: decode, take the region, use the bucket handle.
/// `stock` is the per-message clone of the bucket handle, as `Ctx` gives the framework.
pub(super) fn handle_order(message: &async_nats::Message, stock: Arc<Store>) -> bool {
    let Ok(order) = serde_json::from_slice::<Order>(&message.payload) else {
        return false;
    };
    let region = message
        .subject
        .split('.')
        .nth(2)
        .unwrap_or_default()
        .to_owned();
    black_box((&order, &region, &stock));
    true
}

/// The framework app on `broker`; `publisher` publishes through the broker itself (the
/// memory scenario), `None` through the shared raw publisher.
pub(super) async fn framework_run(
    bench: &Bench,
    broker: Broker,
    publisher: Option<Broker>,
) -> Result<f64> {
    let messages = bench.settings.messages;
    let counter = Counter::leaked(messages);
    let app = app(broker).subscriber(Subscriber::new(PATTERN, on_order(counter)));
    let running = app.start().await?;
    let payload = Order::payload();
    let elapsed = timed(async {
        match &publisher {
            Some(broker) => {
                for _ in 0..messages {
                    broker.publish(SUBJECT, payload.clone()).await?;
                }
            }
            None => publish(bench.publisher(), SUBJECT, &payload, messages).await?,
        }
        counter.wait(bench.settings.deadline()).await
    })
    .await;
    running.stop().await?;
    Ok(rate(messages, elapsed?))
}
