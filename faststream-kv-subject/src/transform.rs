//! Subject transforms as nats-server applies them to stream sources and republish: a
//! subject matching the source filter is rewritten to the destination, whose `*` (in
//! order), `$n` or `{{wildcard(n)}}` take the tokens the source's `*`s matched and whose
//! `>` takes what the source's `>` matched.

use crate::matching::matches;
use crate::token::{SEPARATOR, Token, tokens};

/// A checked transform from a source filter to a destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transform {
    source: String,
    destination: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// The n-th `*` of the source (from 1).
    Wildcard(usize),
    /// What the source's `>` matched.
    Rest,
}

impl Transform {
    /// The transform from `source` to `destination`.
    ///
    /// # Errors
    ///
    /// Why the destination cannot be used: a wildcard the source does not have, a `>`
    /// without one in the source, or a mapping function other than `wildcard`.
    pub fn new(source: &str, destination: &str) -> Result<Self, &'static str> {
        let wildcards = tokens(source).filter(|token| *token == Token::One).count();
        let source_rest = tokens(source).any(|token| token == Token::Rest);
        let mut next_wildcard = 0;
        let mut parts = Vec::new();
        for token in destination.split(SEPARATOR) {
            let part = match token {
                "*" => {
                    next_wildcard += 1;
                    Part::Wildcard(next_wildcard)
                }
                ">" if source_rest => Part::Rest,
                ">" => return Err("`>` in the destination needs one in the source"),
                token => match wildcard_reference(token)? {
                    Some(index) => Part::Wildcard(index),
                    None => Part::Literal(token.to_owned()),
                },
            };
            if let Part::Wildcard(index) = part
                && (index == 0 || index > wildcards)
            {
                return Err("the destination names a wildcard the source does not have");
            }
            parts.push(part);
        }
        Ok(Self {
            source: source.to_owned(),
            destination: parts,
        })
    }

    /// `subject` transformed, or `None` if it does not match the source.
    pub fn apply(&self, subject: &str) -> Option<String> {
        if !matches(&self.source, subject) {
            return None;
        }
        let mut wildcards = Vec::new();
        let mut rest = "";
        let mut offset = 0;
        for (token, part) in tokens(&self.source).zip(subject.split(SEPARATOR)) {
            match token {
                Token::One => wildcards.push(part),
                Token::Rest => {
                    rest = &subject[offset..];
                    break;
                }
                Token::Literal(_) => {}
            }
            offset += part.len() + 1;
        }
        let parts: Vec<&str> = self
            .destination
            .iter()
            .map(|part| match part {
                Part::Literal(literal) => literal.as_str(),
                Part::Wildcard(index) => wildcards[index - 1],
                Part::Rest => rest,
            })
            .collect();
        Some(parts.join("."))
    }
}

/// The wildcard a destination token names (`$2`, `{{wildcard(2)}}`), if it names one.
fn wildcard_reference(token: &str) -> Result<Option<usize>, &'static str> {
    if let Some(index) = token.strip_prefix('$')
        && let Ok(index) = index.parse()
    {
        return Ok(Some(index));
    }
    let Some(function) = token
        .strip_prefix("{{")
        .and_then(|inner| inner.strip_suffix("}}"))
    else {
        return if token.contains("{{") {
            Err("a mapping function must be a whole token")
        } else {
            Ok(None)
        };
    };
    let function: String = function.chars().filter(|c| !c.is_whitespace()).collect();
    let index = function
        .strip_prefix("wildcard(")
        .and_then(|inner| inner.strip_suffix(')'))
        .and_then(|index| index.parse().ok())
        .ok_or("only the wildcard(n) mapping function is supported")?;
    Ok(Some(index))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(source: &str, destination: &str, subject: &str) -> Option<String> {
        Transform::new(source, destination)
            .expect("a valid transform")
            .apply(subject)
    }

    #[test]
    fn the_rest_and_wildcards_move_over() {
        assert_eq!(
            apply(">", "bar.>", "$KV.b.foo").as_deref(),
            Some("bar.$KV.b.foo")
        );
        assert_eq!(
            apply("$KV.a.>", "$KV.b.>", "$KV.a.x.y").as_deref(),
            Some("$KV.b.x.y")
        );
        assert_eq!(
            apply("a.*.c.*", "x.{{wildcard(2)}}.{{ wildcard(1) }}", "a.1.c.2").as_deref(),
            Some("x.2.1")
        );
        assert_eq!(apply("a.*.*", "b.*.*", "a.1.2").as_deref(), Some("b.1.2"));
        assert_eq!(apply("a.*.*", "b.$2.$1", "a.1.2").as_deref(), Some("b.2.1"));
        assert_eq!(apply("a.>", "b.>", "c.d"), None);
    }

    #[test]
    fn destinations_that_cannot_be_filled_are_refused() {
        assert!(Transform::new("a.*", "b.{{wildcard(2)}}").is_err());
        assert!(Transform::new("a.*", "b.>").is_err());
        assert!(Transform::new("a.>", "b.{{partition(3,1)}}").is_err());
        assert!(Transform::new("a.*", "b.*.*").is_err());
    }
}
