//! The benchmark's correctness pass, run by `cargo test`: every scenario on tiny sizes
//! against a spawned nats-server, every message accounted for. No timing is judged.

use faststream_kv_bench::scenarios::ALL;
use faststream_kv_bench::{Bench, Settings, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_and_loses_nothing() -> faststream_kv_bench::Result<()> {
    let bench = Bench::spawn(Settings::check()).await?;
    let reports = run(&ALL, &bench).await?;
    assert_eq!(reports.len(), ALL.len());
    for report in &reports {
        assert!(report.raw > 0.0 && report.framework > 0.0, "{report}");
    }
    Ok(())
}
