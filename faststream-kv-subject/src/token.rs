//! Tokens: what a subject is made of, and the wildcards among them.

/// What separates the tokens of a subject.
pub const SEPARATOR: char = '.';

/// One token of a subject or filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token<'a> {
    /// A literal token (`orders`); a `*` inside a longer token is literal too.
    Literal(&'a str),
    /// `*`: exactly one token.
    One,
    /// `>`: one or more tokens (last only).
    Rest,
}

impl<'a> Token<'a> {
    /// Classifies one token.
    pub fn parse(token: &'a str) -> Self {
        match token {
            "*" => Token::One,
            ">" => Token::Rest,
            literal => Token::Literal(literal),
        }
    }
}

/// The tokens of `subject`, classified.
pub fn tokens(subject: &str) -> impl Iterator<Item = Token<'_>> + Clone {
    subject.split(SEPARATOR).map(Token::parse)
}

/// Why a list of tokens is not a subject (with wildcards where `wildcards` allows them),
/// or `None` when it is one.
pub(crate) fn token_problem(subject: &str, wildcards: bool) -> Option<&'static str> {
    if subject.is_empty() {
        return Some("empty subject");
    }
    if subject.bytes().any(is_whitespace) {
        return Some("contains whitespace");
    }
    let mut tokens = subject.split(SEPARATOR).peekable();
    while let Some(token) = tokens.next() {
        let last = tokens.peek().is_none();
        if let Some(problem) = single_token_problem(token, last, wildcards) {
            return Some(problem);
        }
    }
    None
}

/// Why one token (`last` of its subject or not) is not valid, or `None`.
pub(crate) fn single_token_problem(
    token: &str,
    last: bool,
    wildcards: bool,
) -> Option<&'static str> {
    match Token::parse(token) {
        Token::Literal("") => Some("empty token (leading, trailing or double dot)"),
        Token::One | Token::Rest if !wildcards => {
            Some("wildcards are only allowed when subscribing")
        }
        Token::Rest if !last => Some("`>` must be the last token"),
        _ => None,
    }
}

/// The bytes that would split a subject on the wire (the protocol separates fields by
/// spaces and tabs, commands by CR LF).
pub(crate) fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_tokens() {
        let found: Vec<Token<'_>> = tokens("a.*.b*.>").collect();
        assert_eq!(
            found,
            [
                Token::Literal("a"),
                Token::One,
                Token::Literal("b*"),
                Token::Rest
            ]
        );
    }
}
