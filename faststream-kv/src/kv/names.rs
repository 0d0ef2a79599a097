//! Validation of keys, key filters and bucket names, before anything reaches the wire,
//! and matching of keys against filters (for the memory backend and views).

use crate::error::{Error, Result};

/// Longest key accepted, in bytes. NATS subjects travel in the protocol's control line
/// (4 KiB by default); a longer subject would make the server close the connection.
pub const MAX_KEY_LEN: usize = 1024;

/// Longest bucket name accepted, in bytes (the stream is named `KV_<bucket>`).
pub const MAX_BUCKET_LEN: usize = 250;

/// Checks a key as used by `get`, `put`, `delete`...: `[-/_=.a-zA-Z0-9]+`, no leading or
/// trailing dot, no empty token. Wildcards (`*`, `>`) are refused, so a key taken from
/// user input can never address more than itself.
pub fn validate_key(key: &str) -> Result<()> {
    check_key_shape(key, false).map_err(|reason| invalid_key(key, reason))
}

/// Checks a key filter as used by `watch` and `keys_matching`: a key whose tokens may
/// also be `*` (one token) or, last, `>` (one or more tokens).
pub fn validate_key_filter(filter: &str) -> Result<()> {
    check_key_shape(filter, true).map_err(|reason| invalid_key(filter, reason))
}

/// Checks a bucket name: `[a-zA-Z0-9_-]+`.
pub fn validate_bucket(bucket: &str) -> Result<()> {
    let reason = if bucket.is_empty() {
        Some("must not be empty")
    } else if bucket.len() > MAX_BUCKET_LEN {
        Some("too long")
    } else if !bucket
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
    {
        Some("only letters, digits, `_` and `-` are allowed")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::InvalidBucket {
            bucket: shorten(bucket),
            reason,
        }),
        None => Ok(()),
    }
}

fn check_key_shape(key: &str, wildcards: bool) -> Result<(), &'static str> {
    if key.is_empty() {
        return Err("must not be empty");
    }
    if key.len() > MAX_KEY_LEN {
        return Err("longer than 1024 bytes");
    }
    if key.starts_with('.') || key.ends_with('.') {
        return Err("must not start or end with `.`");
    }
    let mut tokens = key.split('.').peekable();
    while let Some(token) = tokens.next() {
        if token.is_empty() {
            return Err("must not contain an empty token (`..`)");
        }
        match token {
            "*" | ">" if !wildcards => return Err("wildcards are not allowed in a key"),
            "*" => {}
            ">" if tokens.peek().is_none() => {}
            ">" => return Err("`>` may only be the last token"),
            _ if token.bytes().all(is_key_byte) => {}
            _ => return Err("only letters, digits and `-/_=.` are allowed"),
        }
    }
    Ok(())
}

fn is_key_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'/' | b'_' | b'=' | b'.')
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

/// Whether `key` matches `filter` (`*` one token, trailing `>` one or more).
pub(crate) fn filter_matches(filter: &str, key: &str) -> bool {
    let mut keys = key.split('.');
    for token in filter.split('.') {
        match (token, keys.next()) {
            (">", Some(_)) => return true,
            ("*", Some(_)) => {}
            (token, Some(part)) if token == part => {}
            _ => return false,
        }
    }
    keys.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_user_input_never_become_wildcards() {
        for key in ["", "*", "a.>", ">", "a.*", ".a", "a.", "a..b", "a b", "ä"] {
            assert!(validate_key(key).is_err(), "{key:?} accepted");
        }
        assert!(validate_key(&"k".repeat(1 << 20)).is_err());
        for key in ["a", "a.b", "A-Z_0/9=x", "user.42.name"] {
            assert!(validate_key(key).is_ok(), "{key:?} refused");
        }
    }

    #[test]
    fn filters_allow_wildcards_in_their_place() {
        for filter in ["*", ">", "a.*", "a.>", "*.b.>"] {
            assert!(validate_key_filter(filter).is_ok(), "{filter:?} refused");
        }
        for filter in ["a.>.b", "a*", "", "a..b"] {
            assert!(validate_key_filter(filter).is_err(), "{filter:?} accepted");
        }
    }

    #[test]
    fn bucket_names() {
        assert!(validate_bucket("config_v2-eu").is_ok());
        for bucket in ["", "a.b", "a b", "*", ">"] {
            assert!(validate_bucket(bucket).is_err(), "{bucket:?} accepted");
        }
    }

    #[test]
    fn matching() {
        assert!(filter_matches("a.*", "a.b"));
        assert!(!filter_matches("a.*", "a.b.c"));
        assert!(filter_matches("a.>", "a.b.c"));
        assert!(!filter_matches("a.>", "a"));
        assert!(filter_matches(">", "a"));
        assert!(filter_matches("a.b", "a.b"));
        assert!(!filter_matches("a.b", "a.b.c"));
        assert!(!filter_matches("a.b.c", "a.b"));
    }
}
