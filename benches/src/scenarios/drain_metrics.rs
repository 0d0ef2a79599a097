//! `drain_metrics`: `drain` with the app's metrics on and a Prometheus recorder
//! (metrics-exporter-prometheus) installed: the cost of counting and timing each
//! message. The recorder stays installed for the rest of the process, so this scenario
//! runs last; every framework run checks that each message was counted as handled.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use super::drain;
use crate::Result;
use crate::bench::Bench;
use crate::report::Report;

pub(super) async fn run(bench: &Bench) -> Result<Report> {
    let recorder = recorder()?;
    let framework = async |bench: &Bench| {
        let before = handled(recorder);
        let figure = drain::framework_run_with(bench, true).await?;
        let counted = handled(recorder) - before;
        if counted != bench.settings.messages as u64 {
            return Err(format!(
                "{counted} messages counted as handled, {} handled",
                bench.settings.messages
            )
            .into());
        }
        Ok(figure)
    };
    let rounds = bench.rounds(drain::raw_run, framework).await?;
    Ok(Report::new("drain_metrics", rounds, "msg/s").ratio_at_least(0.85))
}

/// The process's Prometheus recorder, installed on first use.
fn recorder() -> Result<&'static PrometheusHandle> {
    static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(handle) = RECORDER.get() {
        return Ok(handle);
    }
    let handle = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|error| format!("installing the Prometheus recorder: {error}"))?;
    Ok(RECORDER.get_or_init(|| handle))
}

/// The handled messages of every subscriber, as a scrape reads them.
fn handled(recorder: &PrometheusHandle) -> u64 {
    recorder
        .render()
        .lines()
        .filter(|line| line.starts_with("faststream_messages_handled_total"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}
