//! One line per scenario: raw and framework figures, their ratio, and whether the
//! scenario's target was met.

use std::fmt;

/// The result of one scenario.
#[derive(Debug, Clone)]
pub struct Report {
    /// The scenario's name.
    pub scenario: &'static str,
    /// The raw async-nats figure (median over rounds).
    pub raw: f64,
    /// The framework's figure (median over rounds).
    pub framework: f64,
    /// `msg/s`, `us`, `ms`...
    pub unit: &'static str,
    /// `framework / raw`: the median of the rounds' own ratios (see [`Rounds`]).
    pub ratio: f64,
    /// Further figures, printed as `key=value` after the ratio.
    pub extras: Vec<(&'static str, String)>,
    /// The targets this run missed, each a sentence.
    pub missed: Vec<String>,
}

/// The figures of alternating rounds, each round a raw run and a framework run back to
/// back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rounds {
    /// The raw side's median.
    pub raw: f64,
    /// The framework's median.
    pub framework: f64,
    /// The median of each round's `framework / raw`.
    ///
    /// Not the ratio of the two medians: on a shared 2-core VM the machine's speed
    /// changes by tens of percent from one phase of seconds to the next, and the two runs
    /// of one round see nearly the same machine, so their ratio cancels most of it.
    pub ratio: f64,
}

impl Rounds {
    /// The medians and the median ratio of `pairs`, each `(raw, framework)` of one
    /// round.
    pub fn of(pairs: &[(f64, f64)]) -> Self {
        let mut raws: Vec<f64> = pairs.iter().map(|&(raw, _)| raw).collect();
        let mut frameworks: Vec<f64> = pairs.iter().map(|&(_, framework)| framework).collect();
        let mut ratios: Vec<f64> = pairs
            .iter()
            .map(|&(raw, framework)| framework / raw)
            .collect();
        Self {
            raw: median(&mut raws),
            framework: median(&mut frameworks),
            ratio: median(&mut ratios),
        }
    }
}

impl Report {
    /// A report of the framework against raw over `rounds`.
    pub fn new(scenario: &'static str, rounds: Rounds, unit: &'static str) -> Self {
        Self {
            scenario,
            raw: rounds.raw,
            framework: rounds.framework,
            unit,
            ratio: rounds.ratio,
            extras: Vec::new(),
            missed: Vec::new(),
        }
    }

    /// Adds a figure printed after the ratio.
    pub fn extra(mut self, key: &'static str, value: impl fmt::Display) -> Self {
        self.extras.push((key, value.to_string()));
        self
    }

    /// Records a miss unless `met`.
    pub fn target(mut self, met: bool, what: impl FnOnce() -> String) -> Self {
        if !met {
            self.missed.push(what());
        }
        self
    }

    /// Checks `ratio >= minimum`.
    pub fn ratio_at_least(self, minimum: f64) -> Self {
        let ratio = self.ratio;
        let scenario = self.scenario;
        self.target(ratio >= minimum, || {
            format!("{scenario} ratio {ratio:.3} < {minimum}")
        })
    }

    /// Checks `ratio <= maximum`.
    pub fn ratio_at_most(self, maximum: f64) -> Self {
        let ratio = self.ratio;
        let scenario = self.scenario;
        self.target(ratio <= maximum, || {
            format!("{scenario} ratio {ratio:.3} > {maximum}")
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "scenario={} raw={} framework={} unit={} ratio={:.3}",
            self.scenario,
            figure(self.raw),
            figure(self.framework),
            self.unit,
            self.ratio
        )?;
        for (key, value) in &self.extras {
            write!(f, " {key}={value}")?;
        }
        Ok(())
    }
}

/// Whole numbers for large figures, three decimals for small ones.
fn figure(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.3}")
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        len if len % 2 == 1 => values[len / 2],
        len => (values[len / 2 - 1] + values[len / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn ratio_is_the_median_of_the_rounds_ratios() {
        // The machine ran at half speed in the first round, and the third round's
        // framework run was disturbed: the medians' ratio (1.0 / 1.9) would say 0.53,
        // while two of three rounds measured 0.95.
        let rounds = Rounds::of(&[(1.0, 0.95), (2.0, 1.9), (1.9, 1.0)]);
        assert_eq!((rounds.raw, rounds.framework), (1.9, 1.0));
        assert_eq!(rounds.ratio, 0.95);
    }

    fn rounds(raw: f64, framework: f64) -> Rounds {
        Rounds::of(&[(raw, framework)])
    }

    #[test]
    fn line_format() {
        let report = Report::new("pubsub", rounds(1000.0, 950.0), "msg/s").ratio_at_least(0.95);
        assert_eq!(
            report.to_string(),
            "scenario=pubsub raw=1000 framework=950 unit=msg/s ratio=0.950"
        );
        assert!(report.missed.is_empty());
        assert_eq!(
            Report::new("x", rounds(1.0, 0.5), "u")
                .ratio_at_least(0.9)
                .missed
                .len(),
            1
        );
    }
}
