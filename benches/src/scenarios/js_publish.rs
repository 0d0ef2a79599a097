//! `js_publish`: sequential publishes to a stream, each awaiting its acknowledgement:
//! `Broker::stream_publish` against async-nats's `Context::publish_with_headers` and its
//! ack future. The raw side sends what the framework sends, a `correlation_id` header
//! with a new id per message: FastStream's wire format, which a raw service talking to
//! FastStream needs too (without it, raw measured about 5% faster).

use async_nats::jetstream::{self, stream};

use crate::Result;
use crate::bench::Bench;
use crate::report::Report;
use crate::workload::{Order, rate, timed};

const STREAM: &str = "BENCH_PUBLISH";
const SUBJECT: &str = "bench.jspublish";

pub(super) async fn run(bench: &Bench) -> Result<Report> {
    // Bounded, so that the rounds do not grow the stream (or the disk).
    jetstream::new(bench.publisher().clone())
        .get_or_create_stream(stream::Config {
            name: STREAM.to_owned(),
            subjects: vec![SUBJECT.to_owned()],
            max_messages: 10_000,
            ..stream::Config::default()
        })
        .await?;
    let rounds = bench.round_trip_rounds(raw_run, framework_run).await?;
    Ok(Report::new("js_publish", rounds, "msg/s").ratio_at_least(0.95))
}

async fn raw_run(bench: &Bench) -> Result<f64> {
    let messages = bench.settings.kv_messages;
    let js = jetstream::new(bench.raw_client().await?);
    let payload = Order::payload();
    let elapsed = timed(async {
        for index in 0..messages {
            let mut headers = async_nats::HeaderMap::new();
            let id = format!("00000000-0000-4000-8000-{index:012x}");
            headers.insert("correlation_id", id.as_str());
            js.publish_with_headers(SUBJECT, headers, payload.clone())
                .await?
                .await?;
        }
        Ok(())
    })
    .await?;
    Ok(rate(messages, elapsed))
}

async fn framework_run(bench: &Bench) -> Result<f64> {
    let messages = bench.settings.kv_messages;
    let broker = bench.broker();
    broker.connect().await?;
    let payload = Order::payload();
    let elapsed = timed(async {
        for _ in 0..messages {
            broker.stream_publish(SUBJECT, payload.clone()).await?;
        }
        Ok(())
    })
    .await;
    broker.close().await?;
    Ok(rate(messages, elapsed?))
}
