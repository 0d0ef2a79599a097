//! Key-Value keys, key filters and bucket names (ADR-8): subjects with a narrower
//! alphabet, so that a key taken from user input never addresses more than itself.

use crate::token::{SEPARATOR, Token};

/// Longest key accepted, in bytes. NATS subjects travel in the protocol's control line
/// (4 KiB by default); a longer subject would make the server close the connection.
pub const MAX_KEY_LEN: usize = 1024;

/// Longest bucket name accepted, in bytes (the stream is named `KV_<bucket>`).
pub const MAX_BUCKET_LEN: usize = 250;

/// Checks a key as used by `get`, `put`, `delete`...: `[-/_=.a-zA-Z0-9]+`, no leading or
/// trailing dot, no empty token, no wildcard.
pub fn check_key(key: &str) -> Result<(), &'static str> {
    key_problem(key, false).map_or(Ok(()), Err)
}

/// Checks a key filter as used by watches: a key whose tokens may also be `*` (one
/// token) or, last, `>` (one or more tokens).
pub fn check_key_filter(filter: &str) -> Result<(), &'static str> {
    key_problem(filter, true).map_or(Ok(()), Err)
}

/// Checks a bucket name: `[a-zA-Z0-9_-]+`, at most [`MAX_BUCKET_LEN`] bytes.
pub fn check_bucket(bucket: &str) -> Result<(), &'static str> {
    if bucket.is_empty() {
        return Err("must not be empty");
    }
    if bucket.len() > MAX_BUCKET_LEN {
        return Err("too long");
    }
    if !bucket
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
    {
        return Err("only letters, digits, `_` and `-` are allowed");
    }
    Ok(())
}

fn key_problem(key: &str, wildcards: bool) -> Option<&'static str> {
    if key.is_empty() {
        return Some("must not be empty");
    }
    if key.len() > MAX_KEY_LEN {
        return Some("longer than 1024 bytes");
    }
    if key.starts_with(SEPARATOR) || key.ends_with(SEPARATOR) {
        return Some("must not start or end with `.`");
    }
    let mut tokens = key.split(SEPARATOR).peekable();
    while let Some(token) = tokens.next() {
        let last = tokens.peek().is_none();
        let problem = match Token::parse(token) {
            Token::Literal("") => Some("must not contain an empty token (`..`)"),
            Token::One | Token::Rest if !wildcards => Some("wildcards are not allowed in a key"),
            Token::Rest if !last => Some("`>` may only be the last token"),
            Token::One | Token::Rest => None,
            Token::Literal(literal) if literal.bytes().all(is_key_byte) => None,
            Token::Literal(_) => Some("only letters, digits and `-/_=.` are allowed"),
        };
        if problem.is_some() {
            return problem;
        }
    }
    None
}

fn is_key_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'/' | b'_' | b'=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_user_input_never_become_wildcards() {
        for key in ["", "*", "a.>", ">", "a.*", ".a", "a.", "a..b", "a b", "ä"] {
            assert!(check_key(key).is_err(), "{key:?} accepted");
        }
        assert!(check_key(&"k".repeat(1 << 20)).is_err());
        for key in ["a", "a.b", "A-Z_0/9=x", "user.42.name"] {
            assert!(check_key(key).is_ok(), "{key:?} refused");
        }
    }

    #[test]
    fn filters_allow_wildcards_in_their_place() {
        for filter in ["*", ">", "a.*", "a.>", "*.b.>"] {
            assert!(check_key_filter(filter).is_ok(), "{filter:?} refused");
        }
        for filter in ["a.>.b", "a*", "", "a..b"] {
            assert!(check_key_filter(filter).is_err(), "{filter:?} accepted");
        }
    }

    #[test]
    fn bucket_names() {
        assert!(check_bucket("config_v2-eu").is_ok());
        for bucket in ["", "a.b", "a b", "*", ">"] {
            assert!(check_bucket(bucket).is_err(), "{bucket:?} accepted");
        }
    }
}
