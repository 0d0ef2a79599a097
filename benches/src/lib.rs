//! Benchmarks of faststream-kv against raw async-nats: every scenario runs the same
//! work both ways in one process, against one server, alternating over several rounds,
//! and reports the medians and their ratio.

pub mod bench;
pub mod heap;
pub mod report;
pub mod scenarios;
pub mod workload;

pub use bench::{Bench, Settings};
pub use report::Report;

/// Errors of a benchmark run: anything that stops a scenario (a run that lost
/// messages is one).
pub type Result<T, E = faststream_kv::BoxError> = std::result::Result<T, E>;

/// Runs `names` (scenario names) on `bench`, printing each report as it comes.
pub async fn run(names: &[&str], bench: &Bench) -> Result<Vec<Report>> {
    scenarios::prepare(bench).await?;
    let mut reports = Vec::with_capacity(names.len());
    for name in names {
        let report = scenarios::run(name, bench)
            .await
            .map_err(|error| format!("scenario {name}: {error}"))?;
        println!("{report}");
        reports.push(report);
    }
    Ok(reports)
}
