//! Subjects, queue groups and subscriber patterns, checked by the grammar shared with
//! the macro crate ([`faststream_kv_subject`]), so that both backends reject exactly
//! the same input before anything reaches the wire.

mod pattern;

use faststream_kv_subject::{check_publish_subject, check_queue_group, check_subscribe_subject};

pub use pattern::Pattern;

use crate::error::{Error, Result};

/// Checks a subject to publish or request on: dot-separated non-empty tokens, no
/// whitespace, and no wildcard tokens (a `*` or `>` from user input must never fan out).
///
/// # Errors
///
/// [`Error::InvalidSubject`] saying why.
pub fn validate_publish_subject(subject: &str) -> Result<()> {
    check_publish_subject(subject).map_err(|reason| invalid_subject(subject, reason))
}

/// Checks a subject to subscribe to: like a publish subject, but `*` may stand for one
/// token and `>` for the rest (last token only).
///
/// # Errors
///
/// [`Error::InvalidSubject`] saying why.
pub fn validate_subscribe_subject(subject: &str) -> Result<()> {
    check_subscribe_subject(subject).map_err(|reason| invalid_subject(subject, reason))
}

/// Checks a queue group name: non-empty and without whitespace.
///
/// # Errors
///
/// [`Error::InvalidQueueGroup`] naming it.
pub fn validate_queue_group(queue: &str) -> Result<()> {
    check_queue_group(queue).map_err(|_| Error::InvalidQueueGroup {
        queue: queue.to_owned(),
    })
}

fn invalid_subject(subject: &str, reason: &'static str) -> Error {
    Error::InvalidSubject {
        subject: subject.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_typed_and_name_the_input() {
        match validate_publish_subject("orders.*") {
            Err(Error::InvalidSubject { subject, .. }) => assert_eq!(subject, "orders.*"),
            other => panic!("expected InvalidSubject, got {other:?}"),
        }
        assert!(validate_subscribe_subject("orders.*").is_ok());
        assert!(matches!(
            validate_queue_group("a b"),
            Err(Error::InvalidQueueGroup { .. })
        ));
    }
}
