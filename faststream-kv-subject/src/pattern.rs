//! Subscriber patterns: a subscribe subject whose tokens may also be captures.
//! `{name}` matches one token (like `*`), `{name...}` the rest (like `>`, last token
//! only). Plain `*` and `>` still work and capture nothing.

use crate::token::{SEPARATOR, is_whitespace, single_token_problem};

/// One capture: its name, the token it starts at, and whether it takes the tail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureSyntax {
    /// The name between the braces.
    pub name: String,
    /// The index of its token in the subject (from 0).
    pub token: usize,
    /// Whether it is `{name...}`: the rest of the subject.
    pub tail: bool,
}

/// A parsed pattern: the NATS subject to subscribe to and the captures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternSyntax {
    /// The subscribe subject, captures replaced by `*` and `>`.
    pub subject: String,
    /// The captures, in order.
    pub captures: Vec<CaptureSyntax>,
}

/// Parses `pattern`, or says in one sentence what is wrong with it.
pub fn parse_pattern(pattern: &str) -> Result<PatternSyntax, String> {
    if pattern.is_empty() {
        return Err("the pattern is empty".into());
    }
    let tokens = split_tokens(pattern);
    let mut subject = Vec::with_capacity(tokens.len());
    let mut captures: Vec<CaptureSyntax> = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        let last = index + 1 == tokens.len();
        if token.bytes().any(is_whitespace) {
            return Err(format!("token {token:?} contains whitespace"));
        }
        if let Some((name, tail)) = capture(token)? {
            if tail && !last {
                return Err(format!("tail capture {token:?} must be the last token"));
            }
            if captures.iter().any(|capture| capture.name == name) {
                return Err(format!("capture `{name}` appears twice"));
            }
            captures.push(CaptureSyntax {
                name: name.to_owned(),
                token: index,
                tail,
            });
            subject.push(if tail { ">" } else { "*" });
        } else if let Some(problem) = single_token_problem(token, last, true) {
            return Err(problem.into());
        } else {
            subject.push(token);
        }
    }
    Ok(PatternSyntax {
        subject: subject.join("."),
        captures,
    })
}

/// The capture `token` is — its name and whether it is a tail (`{name...}`) — or `None`
/// for a plain token; an error for braces that make no capture.
pub(crate) fn capture(token: &str) -> Result<Option<(&str, bool)>, String> {
    let Some(inner) = token.strip_prefix('{') else {
        if token.contains(['{', '}']) {
            return Err(format!(
                "token {token:?}: a capture must be a whole token, like `{{name}}`"
            ));
        }
        return Ok(None);
    };
    let Some(inner) = inner.strip_suffix('}') else {
        return Err(format!(
            "token {token:?} opens `{{` but does not end with `}}`"
        ));
    };
    let (name, tail) = match inner.strip_suffix("...") {
        Some(name) => (name, true),
        None => (inner, false),
    };
    if !is_identifier(name) {
        return Err(format!(
            "capture {token:?} needs a name made of letters, digits and `_`"
        ));
    }
    Ok(Some((name, tail)))
}

/// Splits on dots, except inside `{...}` (so `{rest...}` stays one token).
pub(crate) fn split_tokens(pattern: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start = 0;
    let mut in_capture = false;
    for (index, character) in pattern.char_indices() {
        match character {
            '{' => in_capture = true,
            '}' => in_capture = false,
            SEPARATOR if !in_capture => {
                tokens.push(&pattern[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    tokens.push(&pattern[start..]);
    tokens
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_become_wildcards() {
        let parsed = parse_pattern("logs.{service}.{rest...}").expect("valid");
        assert_eq!(parsed.subject, "logs.*.>");
        assert_eq!(
            parsed.captures,
            [
                CaptureSyntax {
                    name: "service".into(),
                    token: 1,
                    tail: false
                },
                CaptureSyntax {
                    name: "rest".into(),
                    token: 2,
                    tail: true
                }
            ]
        );
        assert_eq!(parse_pattern("a.*.>").expect("valid").subject, "a.*.>");
    }

    #[test]
    fn rejects_bad_patterns() {
        for bad in [
            "",
            "a..b",
            "a.{x",
            "a.{}",
            "a.{1x}",
            "a.{x}.{x}",
            "a.{rest...}.b",
            "a.>.b",
            "a.b{x}",
            "a b",
        ] {
            assert!(parse_pattern(bad).is_err(), "{bad:?} must be rejected");
        }
    }
}
