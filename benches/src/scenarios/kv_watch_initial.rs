//! `kv_watch_initial`: a watch over every key of a large bucket, from its start to the
//! end of the initial values (the framework's `EndOfInitialData`, the raw ordered
//! consumer's message with nothing pending), in keys per second; and what a memory
//! broker's `kv::View` of those keys keeps on the heap per key.

use std::hint::black_box;
use std::time::Instant;

use async_nats::jetstream::consumer::DeliverPolicy;
use async_nats::jetstream::consumer::push::OrderedConfig;
use bytes::Bytes;
use faststream_kv::Broker;
use faststream_kv::kv::{self, KeyValue, WatchEvent};
use futures::StreamExt;

use crate::Result;
use crate::bench::Bench;
use crate::heap;
use crate::report::Report;
use crate::workload::rate;

const BUCKET: &str = "bench_watch";
/// Bytes of each value.
const VALUE: usize = 32;
/// What a view may keep per key beyond twice its key and value: the map's slot and the
/// entry's revision, time, operation and shared handles (stated in benches/README.md).
const VIEW_OVERHEAD: usize = 160;

pub(super) async fn run(bench: &Bench) -> Result<Report> {
    let keys = bench.settings.watch_keys;
    fill(bench, keys).await?;
    let rounds = bench.rounds(raw_run, framework_run).await?;
    let per_key = view_bytes_per_key(keys).await?;
    let allowed = 2 * (key(0).len() + VALUE) + VIEW_OVERHEAD;
    let report = Report::new("kv_watch_initial", rounds, "keys/s")
        .extra("memory_view_bytes_per_key", format!("{per_key:.0}"))
        .ratio_at_least(0.95);
    Ok(report.target(per_key <= allowed as f64, || {
        format!("a memory view keeps {per_key:.0} bytes per key > {allowed}")
    }))
}

fn key(index: usize) -> String {
    format!("k.{index:06}")
}

/// The bucket with `keys` keys, written once with pipelined publishes.
async fn fill(bench: &Bench, keys: usize) -> Result<()> {
    let broker = bench.broker();
    let kv = broker
        .key_value(BUCKET)
        .declare(kv::Config::default())
        .await?;
    if kv.status().await?.values as usize == keys {
        return broker.close().await.map_err(Into::into);
    }
    let js = async_nats::jetstream::new(bench.publisher().clone());
    let value = Bytes::from(vec![b'v'; VALUE]);
    let mut acks = Vec::with_capacity(1000);
    for index in 0..keys {
        acks.push(
            js.publish(format!("$KV.{BUCKET}.{}", key(index)), value.clone())
                .await?,
        );
        if acks.len() == acks.capacity() || index + 1 == keys {
            for ack in acks.drain(..) {
                ack.await?;
            }
        }
    }
    broker.close().await?;
    Ok(())
}

/// An ordered consumer on the latest value of every key, read until a message says
/// nothing more is pending (how async-nats's own watch tells it has seen the present);
/// each message yields what a watch delivers: key, value, revision.
async fn raw_run(bench: &Bench) -> Result<f64> {
    let keys = bench.settings.watch_keys;
    let client = bench.raw_client().await?;
    let stream = async_nats::jetstream::new(client.clone())
        .get_stream(format!("KV_{BUCKET}"))
        .await?;
    let started = Instant::now();
    let consumer = stream
        .create_consumer(OrderedConfig {
            deliver_subject: client.new_inbox(),
            filter_subject: format!("$KV.{BUCKET}.>"),
            deliver_policy: DeliverPolicy::LastPerSubject,
            ..OrderedConfig::default()
        })
        .await?;
    let mut messages = consumer.messages().await?;
    let prefix = format!("$KV.{BUCKET}.");
    let mut seen = 0;
    while let Some(message) = messages.next().await {
        let message = message?;
        seen += 1;
        let (revision, pending) = {
            let info = message.info()?;
            (info.stream_sequence, info.pending)
        };
        let message = message.message;
        let key = message
            .subject
            .strip_prefix(prefix.as_str())
            .map(str::to_owned);
        black_box((key, message.payload, revision));
        if pending == 0 {
            break;
        }
    }
    let elapsed = started.elapsed();
    check(seen, keys)?;
    Ok(rate(seen, elapsed))
}

/// `KeyValue::watch_all` read to its end-of-initial-data marker.
async fn framework_run(bench: &Bench) -> Result<f64> {
    let keys = bench.settings.watch_keys;
    let broker = bench.broker();
    let kv = broker.key_value(BUCKET).await?;
    let started = Instant::now();
    let seen = initial_values(&kv).await?;
    let elapsed = started.elapsed();
    broker.close().await?;
    check(seen, keys)?;
    Ok(rate(seen, elapsed))
}

async fn initial_values(kv: &KeyValue) -> Result<usize> {
    let mut watch = kv.watch_all().await?;
    let mut seen = 0;
    while let Some(event) = watch.next().await {
        match event? {
            WatchEvent::Entry(_) => seen += 1,
            WatchEvent::EndOfInitialData => return Ok(seen),
        }
    }
    Err("the watch ended before its initial values".into())
}

fn check(seen: usize, keys: usize) -> Result<()> {
    if seen == keys {
        Ok(())
    } else {
        Err(format!("the watch delivered {seen} of {keys} keys").into())
    }
}

/// The heap bytes a memory broker's view of `keys` keys keeps, per key.
async fn view_bytes_per_key(keys: usize) -> Result<f64> {
    let broker = Broker::memory();
    let kv = broker
        .key_value(BUCKET)
        .declare(kv::Config::default())
        .await?;
    let value = Bytes::from(vec![b'v'; VALUE]);
    for index in 0..keys {
        kv.put(&key(index), value.clone()).await?;
    }
    let (kept, view) = heap::kept_by(kv.view(">")).await;
    let view = view?;
    if view.len() != keys {
        return Err(format!("the view holds {} of {keys} keys", view.len()).into());
    }
    drop(view);
    broker.close().await?;
    Ok(kept as f64 / keys as f64)
}
