//! Subject and queue-group validation, shared by both backends so that they reject
//! exactly the same input, before anything reaches the wire.

use crate::error::{Error, Result};

/// Checks a subject to publish or request on: dot-separated non-empty tokens, no
/// whitespace, and no wildcard tokens (a `*` or `>` from user input must never fan out).
pub fn validate_publish_subject(subject: &str) -> Result<()> {
    check_tokens(subject, false)
}

/// Checks a subject to subscribe to: like a publish subject, but `*` may stand for one
/// token and `>` for the rest (last token only).
pub fn validate_subscribe_subject(subject: &str) -> Result<()> {
    check_tokens(subject, true)
}

/// Checks a queue group name: non-empty and without whitespace.
pub fn validate_queue_group(queue: &str) -> Result<()> {
    if queue.is_empty() || queue.bytes().any(is_whitespace) {
        return Err(Error::InvalidQueueGroup(queue.to_owned()));
    }
    Ok(())
}

fn check_tokens(subject: &str, wildcards_allowed: bool) -> Result<()> {
    let invalid = |reason| {
        Err(Error::InvalidSubject {
            subject: subject.to_owned(),
            reason,
        })
    };
    if subject.is_empty() {
        return invalid("empty subject");
    }
    if subject.bytes().any(is_whitespace) {
        return invalid("contains whitespace");
    }
    let mut tokens = subject.split('.').peekable();
    while let Some(token) = tokens.next() {
        match token {
            "" => return invalid("empty token (leading, trailing or double dot)"),
            "*" | ">" if !wildcards_allowed => {
                return invalid("wildcards are only allowed when subscribing");
            }
            ">" if tokens.peek().is_some() => return invalid("`>` must be the last token"),
            _ => {}
        }
    }
    Ok(())
}

fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_subjects() {
        assert!(validate_publish_subject("orders.eu.created").is_ok());
        assert!(
            validate_publish_subject("a-b_c.d*e").is_ok(),
            "`*` inside a token is literal"
        );
        for bad in ["", ".a", "a.", "a..b", "a b", "a.*", ">", "a.>", "a\tb"] {
            assert!(
                matches!(
                    validate_publish_subject(bad),
                    Err(Error::InvalidSubject { .. })
                ),
                "{bad:?} must be rejected"
            );
        }
    }

    #[test]
    fn subscribe_subjects() {
        for good in ["a", "a.*", "*.b.>", ">", "a.*.*"] {
            assert!(validate_subscribe_subject(good).is_ok(), "{good:?}");
        }
        for bad in ["", "a.>.b", "a..b", ".a", "a b"] {
            assert!(validate_subscribe_subject(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn queue_groups() {
        assert!(validate_queue_group("billing").is_ok());
        assert!(validate_queue_group("").is_err());
        assert!(validate_queue_group("a b").is_err());
    }
}
