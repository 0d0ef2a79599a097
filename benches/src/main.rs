//! `faststream-kv-bench <scenario...|all> [--quick | --check] [--only=raw|framework]`:
//! one line per scenario, then whether every target was met.

use std::process::ExitCode;

use faststream_kv_bench::scenarios::ALL;
use faststream_kv_bench::{Bench, Settings, run};

#[tokio::main]
async fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    if let Some(unknown) = arguments.iter().find(|argument| {
        argument.starts_with("--")
            && !matches!(
                argument.as_str(),
                "--quick" | "--check" | "--only=raw" | "--only=framework"
            )
    }) {
        eprintln!(
            "unknown option {unknown:?}\nusage: faststream-kv-bench <scenario...|all> \
             [--quick | --check] [--only=raw|framework]\nscenarios: {}",
            ALL.join(", ")
        );
        return ExitCode::FAILURE;
    }
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
    // For profiling one side (the ratios are then NaN).
    if arguments.iter().any(|argument| argument == "--only=raw") {
        settings.only_raw = Some(true);
    } else if arguments
        .iter()
        .any(|argument| argument == "--only=framework")
    {
        settings.only_raw = Some(false);
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
