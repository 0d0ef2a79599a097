//! Stream names as nats-server accepts them.

use crate::error::{Error, Result};

/// Longest stream name (the server's limit, so that it fits a file name).
pub const MAX_STREAM_NAME_LEN: usize = 255;

/// Checks a stream name: not empty, at most [`MAX_STREAM_NAME_LEN`] bytes, without `.`,
/// `*`, `>`, whitespace, control characters or path separators.
///
/// # Errors
///
/// [`Error::InvalidStreamName`] saying why.
pub fn validate_stream_name(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "empty"
    } else if name.len() > MAX_STREAM_NAME_LEN {
        "longer than 255 bytes"
    } else if name
        .chars()
        .any(|c| matches!(c, '.' | '*' | '>' | '/' | '\\') || c.is_whitespace() || c.is_control())
    {
        "contains `.`, `*`, `>`, a path separator, whitespace or a control character"
    } else {
        return Ok(());
    };
    Err(Error::InvalidStreamName {
        stream: name.to_owned(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_subject_or_path_characters_are_refused() {
        assert!(validate_stream_name("ORDERS_v2-eu").is_ok());
        for name in ["", "a.b", "a*", "a>", "a b", "a/b", "a\\b", "a\tb"] {
            assert!(validate_stream_name(name).is_err(), "{name:?}");
        }
        assert!(validate_stream_name(&"x".repeat(256)).is_err());
    }
}
