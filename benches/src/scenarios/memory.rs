//! `memory`: the `pubsub` work on the embedded broker, against raw async-nats on a real
//! server: what an in-memory test run gains.

use faststream_kv::Broker;

use super::pubsub;
use crate::Result;
use crate::bench::Bench;
use crate::report::Report;

pub(super) async fn run(bench: &Bench) -> Result<Report> {
    let rounds = bench
        .rounds(pubsub::raw_run, async |bench: &Bench| {
            let broker = Broker::memory();
            pubsub::framework_run(bench, broker.clone(), Some(broker)).await
        })
        .await?;
    Ok(Report::new("memory", rounds, "msg/s").ratio_at_least(2.0))
}
