//! Subjects to publish and subscribe on, and queue group names.

use crate::token::{is_whitespace, token_problem};

/// Checks a subject to publish or request on: no wildcard tokens, so a `*` or `>` from
/// user input never fans out. The error says why in a few words.
pub fn check_publish_subject(subject: &str) -> Result<(), &'static str> {
    token_problem(subject, false).map_or(Ok(()), Err)
}

/// Checks a subject to subscribe to: `*` may stand for one token, `>` (last) for the
/// rest.
pub fn check_subscribe_subject(subject: &str) -> Result<(), &'static str> {
    token_problem(subject, true).map_or(Ok(()), Err)
}

/// Checks a queue group name: non-empty and without whitespace.
pub fn check_queue_group(queue: &str) -> Result<(), &'static str> {
    if queue.is_empty() {
        return Err("must not be empty");
    }
    if queue.bytes().any(is_whitespace) {
        return Err("contains whitespace");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_subjects() {
        assert!(check_publish_subject("orders.eu.created").is_ok());
        assert!(
            check_publish_subject("a-b_c.d*e").is_ok(),
            "`*` inside a token is literal"
        );
        for bad in ["", ".a", "a.", "a..b", "a b", "a.*", ">", "a.>", "a\tb"] {
            assert!(
                check_publish_subject(bad).is_err(),
                "{bad:?} must be rejected"
            );
        }
    }

    #[test]
    fn subscribe_subjects() {
        for good in ["a", "a.*", "*.b.>", ">", "a.*.*"] {
            assert!(check_subscribe_subject(good).is_ok(), "{good:?}");
        }
        for bad in ["", "a.>.b", "a..b", ".a", "a b"] {
            assert!(check_subscribe_subject(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn queue_groups() {
        assert!(check_queue_group("billing").is_ok());
        assert!(check_queue_group("").is_err());
        assert!(check_queue_group("a b").is_err());
    }
}
