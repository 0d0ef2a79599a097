//! A compiled subscriber pattern: the NATS subject plus where its captures sit.

use std::fmt;

use crate::error::{Error, Result};
use faststream_kv_subject::parse_pattern;

/// A subscriber pattern such as `orders.{region}.created` or `logs.{service}.{rest...}`,
/// compiled once: the NATS subject (`orders.*.created`) and the token position of each
/// capture, so extracting a [`Path`](crate::extract::Path) is an index, not a match.
///
/// ```
/// use faststream_kv::subscriber::Pattern;
///
/// let pattern = Pattern::parse("orders.{region}.{rest...}")?;
/// assert_eq!(pattern.subject(), "orders.*.>");
/// let captures = pattern.captures("orders.eu.created.today");
/// assert_eq!(captures, [("region", "eu"), ("rest", "created.today")]);
/// # Ok::<(), faststream_kv::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Pattern {
    raw: Box<str>,
    subject: Box<str>,
    captures: Box<[Capture]>,
}

#[derive(Clone, PartialEq, Eq)]
struct Capture {
    name: Box<str>,
    token: usize,
    tail: bool,
}

impl Pattern {
    /// Parses and checks a pattern.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPattern`] saying what is wrong.
    pub fn parse(pattern: &str) -> Result<Self> {
        let parsed = parse_pattern(pattern).map_err(|reason| Error::InvalidPattern {
            pattern: pattern.to_owned(),
            reason,
        })?;
        Ok(Self {
            raw: pattern.into(),
            subject: parsed.subject.into(),
            captures: parsed
                .captures
                .into_iter()
                .map(|capture| Capture {
                    name: capture.name.into(),
                    token: capture.token,
                    tail: capture.tail,
                })
                .collect(),
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The NATS subject subscribed to (captures replaced by `*` / `>`).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The capture names, in order.
    pub fn capture_names(&self) -> impl Iterator<Item = &str> {
        self.captures.iter().map(|capture| &*capture.name)
    }

    /// Whether the pattern has a capture called `name`.
    pub fn has_capture(&self, name: &str) -> bool {
        self.capture_names().any(|capture| capture == name)
    }

    /// Each capture's name, token index and whether it takes the tail (`{name...}`).
    pub(crate) fn capture_positions(&self) -> impl Iterator<Item = (&str, usize, bool)> {
        self.captures
            .iter()
            .map(|capture| (&*capture.name, capture.token, capture.tail))
    }

    /// The number of captures.
    pub fn capture_count(&self) -> usize {
        self.captures.len()
    }

    /// The captured `(name, value)` pairs of a subject this pattern matched.
    ///
    /// A subject with fewer tokens than the pattern (which NATS would not have delivered)
    /// yields only the captures it reaches.
    pub fn captures<'s>(&self, subject: &'s str) -> Vec<(&str, &'s str)> {
        let mut found = Vec::with_capacity(self.captures.len());
        self.for_each_capture(subject, |name, value| found.push((name, value)));
        found
    }

    /// The value of capture `name` in a subject this pattern matched.
    pub(crate) fn capture<'s>(&self, subject: &'s str, name: &str) -> Option<&'s str> {
        let mut value = None;
        self.for_each_capture(subject, |capture, found| {
            if capture == name {
                value = Some(found);
            }
        });
        value
    }

    /// Calls `found` with each captured `(name, value)` pair, in order, without
    /// allocating.
    #[inline]
    pub(crate) fn for_each_capture<'p, 's>(
        &'p self,
        subject: &'s str,
        mut found: impl FnMut(&'p str, &'s str),
    ) {
        // A byte scan: tokens are short, and `str::split` calls `memchr` per token.
        let bytes = subject.as_bytes();
        let next_dot = |from: usize| bytes[from..].iter().position(|&byte| byte == b'.');
        let (mut start, mut index) = (0, 0);
        for capture in &self.captures {
            while index < capture.token {
                let Some(dot) = next_dot(start) else { return };
                start += dot + 1;
                index += 1;
            }
            let end = if capture.tail {
                bytes.len()
            } else {
                next_dot(start).map_or(bytes.len(), |dot| start + dot)
            };
            found(&capture.name, &subject[start..end]);
        }
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&self.raw).finish()
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_captures_to_wildcards() {
        let pattern = Pattern::parse("orders.{region}.created").expect("valid");
        assert_eq!(pattern.subject(), "orders.*.created");
        assert_eq!(pattern.captures("orders.eu.created"), [("region", "eu")]);
        let plain = Pattern::parse("a.*.>").expect("valid");
        assert_eq!(plain.subject(), "a.*.>");
        assert_eq!(plain.capture_count(), 0);
    }

    #[test]
    fn captures_first_middle_and_last_tokens() {
        let pattern = Pattern::parse("{a}.x.{b}.{c}").expect("valid");
        assert_eq!(
            pattern.captures("1.x.two.3"),
            [("a", "1"), ("b", "two"), ("c", "3")]
        );
        // Fewer tokens than the pattern: only the captures reached.
        assert_eq!(pattern.captures("1.x"), [("a", "1")]);
        assert_eq!(pattern.captures("1.x.two"), [("a", "1"), ("b", "two")]);
    }

    #[test]
    fn tail_capture_takes_the_rest() {
        let pattern = Pattern::parse("logs.{service}.{rest...}").expect("valid");
        assert_eq!(pattern.subject(), "logs.*.>");
        assert_eq!(
            pattern.captures("logs.api.http.500"),
            [("service", "api"), ("rest", "http.500")]
        );
    }

    #[test]
    fn a_bad_pattern_is_a_typed_error_naming_it() {
        // The grammar itself is tested in faststream-kv-subject.
        match Pattern::parse("a.{rest...}.b") {
            Err(Error::InvalidPattern {
                pattern, reason, ..
            }) => {
                assert_eq!(pattern, "a.{rest...}.b");
                assert!(reason.contains("last token"), "{reason}");
            }
            other => panic!("expected InvalidPattern, got {other:?}"),
        }
    }
}
