//! `faststream-kv-bench <scenario...|all> [--quick | --check]`: one line per scenario, then whether
//! every target was met.

use std::process::ExitCode;

use faststream_kv_bench::scenarios::ALL;
use faststream_kv_bench::{Bench, Settings, run};

#[tokio::main]
async fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let quick = arguments.iter().any(|argument| argument == "--quick");
    let check = arguments.iter().any(|argument| argument == "--check");
    let mut names: Vec<&str> = arguments
        .iter()
        .filter(|argument| !argument.starts_with("--"))
        .map(String::as_str)
        .collect();
    if names.is_empty() || names == ["all"] {
        names = ALL.to_vec();
    }
    let mut settings = match (check, quick) {
        (true, _) => Settings::check(),
        (false, true) => Settings::quick(),
        (false, false) => Settings::full(),
    };
    // For profiling one side: `--only=raw` or `--only=framework` (ratios are then NaN).
    if let Some(side) = arguments
        .iter()
        .find_map(|argument| argument.strip_prefix("--only="))
    {
        settings.only_raw = Some(side == "raw");
    }
    let reports = match Bench::start(settings).await {
        Ok(bench) => run(&names, &bench).await,
        Err(error) => Err(error),
    };
    match reports {
        Ok(reports) if !settings.judge => {
            println!(
                "correctness pass: {} scenario(s) ran, no message lost",
                reports.len()
            );
            ExitCode::SUCCESS
        }
        Ok(reports) => {
            let missed: Vec<String> = reports
                .into_iter()
                .flat_map(|report| report.missed)
                .collect();
            if missed.is_empty() {
                println!("all targets met");
            } else {
                println!("targets missed: {}", missed.join("; "));
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("benchmark failed: {error}");
            ExitCode::FAILURE
        }
    }
}
