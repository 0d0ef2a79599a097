//! `faststream-kv-bench <scenario...|all> [--quick | --check] [--rounds=N] [--verbose]
//! [--only=raw|framework]`: one line per scenario, then whether every target was met.

use std::process::ExitCode;

use faststream_kv_bench::scenarios::ALL;
use faststream_kv_bench::{Bench, Settings, run};

#[global_allocator]
static ALLOCATOR: faststream_kv_bench::heap::CountingAllocator =
    faststream_kv_bench::heap::CountingAllocator;

const USAGE: &str = "usage: faststream-kv-bench <scenario...|all> [--quick | --check] \
                     [--rounds=N] [--verbose] [--only=raw|framework]";

#[tokio::main]
async fn main() -> ExitCode {
    let (names, settings) = match parse(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}\n{USAGE}\nscenarios: {}", ALL.join(", "));
            return ExitCode::FAILURE;
        }
    };
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
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

/// The scenarios to run (all when none is named) and the settings.
fn parse(arguments: impl Iterator<Item = String>) -> Result<(Vec<String>, Settings), String> {
    let (mut names, mut options) = (Vec::new(), Vec::new());
    for argument in arguments {
        if argument.starts_with("--") {
            options.push(argument);
        } else if argument != "all" {
            names.push(argument);
        }
    }
    if names.is_empty() {
        names = ALL.iter().map(|name| name.to_string()).collect();
    }
    let has = |option: &str| options.iter().any(|given| given == option);
    let mut settings = if has("--check") {
        Settings::check()
    } else if has("--quick") {
        Settings::quick()
    } else {
        Settings::full()
    };
    for option in &options {
        match option.as_str() {
            "--check" | "--quick" => {}
            "--verbose" => settings.verbose = true,
            // For profiling one side (the ratios are then NaN).
            "--only=raw" => settings.only_raw = Some(true),
            "--only=framework" => settings.only_raw = Some(false),
            _ => match option.strip_prefix("--rounds=") {
                // Every scenario's rounds, round-trip ones included.
                Some(rounds) => {
                    settings.rounds = rounds
                        .parse()
                        .ok()
                        .filter(|&rounds| rounds > 0)
                        .ok_or_else(|| {
                            format!("--rounds needs a positive number, not {rounds:?}")
                        })?;
                    settings.round_trip_rounds = settings.rounds;
                }
                None => return Err(format!("unknown option {option:?}")),
            },
        }
    }
    Ok((names, settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(arguments: &[&str]) -> Result<(Vec<String>, Settings), String> {
        parse(arguments.iter().map(|argument| argument.to_string()))
    }

    #[test]
    fn no_scenario_or_all_means_every_scenario() {
        for arguments in [&[][..], &["all"], &["--quick", "all"]] {
            let (names, _) = parsed(arguments).expect("valid");
            assert_eq!(names, ALL);
        }
    }

    #[test]
    fn options_set_the_sizes_rounds_and_sides() {
        let (names, settings) = parsed(&[
            "drain",
            "--quick",
            "--rounds=21",
            "--verbose",
            "--only=raw",
            "rpc",
        ])
        .expect("valid");
        assert_eq!(names, ["drain", "rpc"]);
        assert_eq!(settings.messages, Settings::quick().messages);
        assert_eq!(settings.rounds, 21);
        assert_eq!(settings.round_trip_rounds, 21);
        assert!(settings.verbose);
        assert_eq!(settings.only_raw, Some(true));
        assert!(!parsed(&["--check"]).expect("valid").1.judge);
    }

    #[test]
    fn bad_options_are_refused() {
        for bad in ["--rounds=0", "--rounds=x", "--fast"] {
            assert!(parsed(&[bad]).is_err(), "{bad}");
        }
    }
}
