//! Whether the process was asked to print its AsyncAPI document instead of running:
//! `--asyncapi` (or `--asyncapi=yaml`) on the command line, or `FASTSTREAM_ASYNCAPI`
//! set to `json` or `yaml`.

use crate::error::{ConfigProblem, Error};

/// The environment variable that makes [`App::run`](crate::App::run) print the app's
/// document and return instead of starting: `json` or `yaml`.
pub const ASYNCAPI_ENV: &str = "FASTSTREAM_ASYNCAPI";

/// The command-line argument that does the same: `--asyncapi` (JSON),
/// `--asyncapi=json` or `--asyncapi=yaml`.
pub const ASYNCAPI_ARG: &str = "--asyncapi";

/// How the document is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Pretty-printed JSON.
    Json,
    /// YAML.
    Yaml,
}

impl Format {
    /// The format a value names: `json` or `yaml` (also `yml`), any case.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "json" => Some(Self::Json),
            "yaml" | "yml" => Some(Self::Yaml),
            _ => None,
        }
    }
}

/// The format asked for by this process's arguments or environment, if any; an
/// argument wins.
///
/// # Errors
///
/// [`ConfigProblem::AsyncApiFormat`] for a value that names no format.
pub(crate) fn requested() -> Result<Option<Format>, Error> {
    let argument = std::env::args().skip(1).find_map(|argument| {
        if argument == ASYNCAPI_ARG {
            Some("json".to_owned())
        } else {
            argument
                .strip_prefix(ASYNCAPI_ARG)
                .and_then(|rest| rest.strip_prefix('='))
                .map(str::to_owned)
        }
    });
    let value = match argument {
        Some(value) => value,
        None => match std::env::var(ASYNCAPI_ENV) {
            Ok(value) if !value.trim().is_empty() => value,
            _ => return Ok(None),
        },
    };
    match Format::parse(&value) {
        Some(format) => Ok(Some(format)),
        None => Err(Error::InvalidConfig {
            problem: ConfigProblem::AsyncApiFormat { value },
        }),
    }
}
