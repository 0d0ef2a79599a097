//! The syntax of subscriber patterns, shared with the `#[subscriber]` macro (which
//! includes this file) so that a pattern is judged the same at compile time and at run
//! time. Plain Rust, no dependencies.
//!
//! A pattern is a NATS subject whose tokens may also be captures:
//! `{name}` matches one token (like `*`), `{name...}` matches the rest (like `>`, last
//! token only). Plain `*` and `>` still work and capture nothing.

/// One capture: its name, the token it starts at, and whether it takes the tail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CaptureSyntax {
    pub(crate) name: String,
    pub(crate) token: usize,
    pub(crate) tail: bool,
}

/// A parsed pattern: the NATS subject to subscribe to and the captures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PatternSyntax {
    pub(crate) subject: String,
    pub(crate) captures: Vec<CaptureSyntax>,
}

/// Parses `pattern`, or says in one sentence what is wrong with it.
pub(crate) fn parse_pattern(pattern: &str) -> Result<PatternSyntax, String> {
    if pattern.is_empty() {
        return Err("the pattern is empty".into());
    }
    let tokens = split_tokens(pattern);
    let mut subject = Vec::with_capacity(tokens.len());
    let mut captures: Vec<CaptureSyntax> = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        let last = index + 1 == tokens.len();
        if token.is_empty() {
            return Err("empty token (leading, trailing or double dot)".into());
        }
        if token.chars().any(char::is_whitespace) {
            return Err(format!("token {token:?} contains whitespace"));
        }
        if let Some(inner) = token.strip_prefix('{') {
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
        } else if token.contains(['{', '}']) {
            return Err(format!(
                "token {token:?}: a capture must be a whole token, like `{{name}}`"
            ));
        } else if *token == ">" && !last {
            return Err("`>` must be the last token".into());
        } else {
            subject.push(token);
        }
    }
    Ok(PatternSyntax {
        subject: subject.join("."),
        captures,
    })
}

/// Splits on dots, except inside `{...}` (so `{rest...}` stays one token).
fn split_tokens(pattern: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start = 0;
    let mut in_capture = false;
    for (index, byte) in pattern.bytes().enumerate() {
        match byte {
            b'{' => in_capture = true,
            b'}' => in_capture = false,
            b'.' if !in_capture => {
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
