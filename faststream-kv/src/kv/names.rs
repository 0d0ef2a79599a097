//! Validation of keys, key filters and bucket names before anything reaches the wire,
//! by the grammar shared with the macro crate ([`faststream_kv_subject`]).

pub use faststream_kv_subject::{MAX_BUCKET_LEN, MAX_KEY_LEN};
use faststream_kv_subject::{check_bucket, check_key, check_key_filter};

use crate::error::{Error, Result};

/// Checks a key as used by `get`, `put`, `delete`...: `[-/_=.a-zA-Z0-9]+`, no leading or
/// trailing dot, no empty token. Wildcards (`*`, `>`) are refused, so a key taken from
/// user input can never address more than itself.
///
/// # Errors
///
/// [`Error::InvalidKey`] saying why.
pub fn validate_key(key: &str) -> Result<()> {
    check_key(key).map_err(|reason| invalid_key(key, reason))
}

/// Checks a key filter as used by `watch` and `keys_matching`: a key whose tokens may
/// also be `*` (one token) or, last, `>` (one or more tokens).
///
/// # Errors
///
/// [`Error::InvalidKey`] saying why.
pub fn validate_key_filter(filter: &str) -> Result<()> {
    check_key_filter(filter).map_err(|reason| invalid_key(filter, reason))
}

/// Checks a bucket name: `[a-zA-Z0-9_-]+`.
///
/// # Errors
///
/// [`Error::InvalidBucket`] saying why.
pub fn validate_bucket(bucket: &str) -> Result<()> {
    check_bucket(bucket).map_err(|reason| Error::InvalidBucket {
        bucket: shorten(bucket),
        reason,
    })
}

fn invalid_key(key: &str, reason: &'static str) -> Error {
    Error::InvalidKey {
        key: shorten(key),
        reason,
    }
}

/// At most 64 characters of untrusted input in an error message.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_input_cut_to_64_characters() {
        match validate_key(&"k.".repeat(100)) {
            Err(Error::InvalidKey { key, .. }) => assert_eq!(key.chars().count(), 67),
            other => panic!("expected InvalidKey, got {other:?}"),
        }
        assert!(matches!(
            validate_bucket("a.b"),
            Err(Error::InvalidBucket { .. })
        ));
        assert!(validate_key_filter("a.>").is_ok());
    }
}
