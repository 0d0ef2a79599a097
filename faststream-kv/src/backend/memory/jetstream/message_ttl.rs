//! A message's own TTL (ADR-43, the `Nats-TTL` header), read as nats-server reads it:
//! `never`, a Go duration (`"30s"`, `"1m30s"`, `"1500ms"`: whole seconds count, at
//! least one), or a number of seconds.

use std::time::Duration;

use crate::error::{Error, JsErrorCode, NatsOperation};

/// What a message's `Nats-TTL` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MessageTtl {
    /// It expires this long after it was stored (or sooner, by the stream's
    /// `max_age`).
    After(Duration),
    /// It never expires, whatever the stream's `max_age`.
    Never,
}

impl MessageTtl {
    /// The header's value as the server reads it; `Err` is the server's refusal
    /// (10165).
    pub(super) fn parse(value: &str) -> Result<Self, Error> {
        if value.eq_ignore_ascii_case("never") {
            return Ok(Self::Never);
        }
        let seconds = match go_duration(value) {
            Some(duration) if duration < Duration::from_secs(1) => None,
            Some(duration) => Some(duration.as_secs()),
            // Not a duration: a number of seconds.
            None => value.parse::<u64>().ok(),
        };
        match seconds {
            Some(seconds) => Ok(Self::After(Duration::from_secs(seconds))),
            None => Err(Self::invalid()),
        }
    }

    /// The server's refusal of a value it cannot read.
    fn invalid() -> Error {
        Error::JetStream {
            operation: NatsOperation::StreamPublish,
            code: JsErrorCode::MESSAGE_TTL_INVALID,
            description: "invalid per-message TTL".to_owned(),
        }
    }

    /// The server's refusal of a TTL on a stream that does not allow them.
    pub(super) fn disabled() -> Error {
        Error::JetStream {
            operation: NatsOperation::StreamPublish,
            code: JsErrorCode::MESSAGE_TTL_DISABLED,
            description: "per-message TTL is disabled".to_owned(),
        }
    }
}

/// Go's `time.ParseDuration` for non-negative durations: `0`, or numbers (with an
/// optional fraction) each followed by `ns`, `us`, `µs`, `ms`, `s`, `m` or `h`.
fn go_duration(text: &str) -> Option<Duration> {
    let text = text.strip_prefix('+').unwrap_or(text);
    if text == "0" {
        return Some(Duration::ZERO);
    }
    let mut rest = text;
    let mut total = 0.0_f64;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += number * nanos;
    }
    total
        .is_finite()
        .then(|| Duration::from_nanos(total as u64))
}

#[cfg(test)]
mod tests {
    use super::MessageTtl;
    use std::time::Duration;

    #[test]
    fn values_read_as_the_server_reads_them() {
        let read = |value| MessageTtl::parse(value).ok();
        let after = |seconds| Some(MessageTtl::After(Duration::from_secs(seconds)));
        assert_eq!(read("1s"), after(1));
        assert_eq!(read("1"), after(1));
        assert_eq!(read("1500ms"), after(1));
        assert_eq!(read("1m30s"), after(90));
        assert_eq!(read("NEVER"), Some(MessageTtl::Never));
        for invalid in ["0", "999ms", "abc", "-1", "1d"] {
            assert_eq!(read(invalid), None, "{invalid:?}");
        }
    }
}
