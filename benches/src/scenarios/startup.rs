//! `startup`: from `App::run` to the first message handled (the app declares its bucket
//! in `on_startup` and publishes in `after_startup`), on NATS and in memory; raw is
//! connect + subscribe + publish + receive with async-nats.

use std::sync::Arc;
use std::time::Instant;

use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;
use futures::StreamExt;
use tokio::sync::Notify;

use super::stock;
use crate::Result;
use crate::bench::Bench;
use crate::report::{Report, median};

const SUBJECT: &str = "bench.startup";

pub(super) async fn run(bench: &Bench) -> Result<Report> {
    let rounds = bench
        .rounds(raw_run, async |bench: &Bench| {
            framework_run(bench.broker()).await
        })
        .await?;
    let mut memory = Vec::new();
    for _ in 0..bench.settings.rounds {
        memory.push(framework_run(Broker::memory()).await?);
    }
    let memory = median(&mut memory);
    let report = Report::new("startup", rounds, "ms").extra("memory_ms", format!("{memory:.3}"));
    Ok(report
        .target(rounds.framework <= 100.0, || {
            format!("startup on NATS {:.1} ms > 100 ms", rounds.framework)
        })
        .target(memory <= 50.0, || {
            format!("startup in memory {memory:.1} ms > 50 ms")
        }))
}

async fn on_first(Ctx(first): Ctx<Notify>) {
    first.notify_one();
}

async fn framework_run(broker: Broker) -> Result<f64> {
    let first = Arc::new(Notify::new());
    let app = App::new(broker)
        .on_startup(async |cx: Lifecycle| {
            let kv = stock(cx.broker()).await?;
            cx.context().insert(kv);
            Ok::<_, Error>(())
        })
        .after_startup(async |cx: Lifecycle| cx.broker().publish(SUBJECT, "go").await)
        .subscriber(Subscriber::new(SUBJECT, on_first));
    app.context().insert_arc(Arc::clone(&first));
    let stop = app.shutdown_handle();
    let started = Instant::now();
    let running = tokio::spawn(app.run());
    first.notified().await;
    let elapsed = started.elapsed();
    stop.shutdown();
    running.await??;
    Ok(elapsed.as_secs_f64() * 1e3)
}

async fn raw_run(bench: &Bench) -> Result<f64> {
    let started = Instant::now();
    let client = async_nats::connect(bench.url()).await?;
    let mut subscription = client.subscribe(SUBJECT).await?;
    client.flush().await?;
    client.publish(SUBJECT, "go".into()).await?;
    subscription.next().await.ok_or("no message")?;
    let elapsed = started.elapsed();
    client.drain().await?;
    Ok(elapsed.as_secs_f64() * 1e3)
}
