//! Whether a subject matches a filter: how the memory broker routes and how Key-Value
//! watches and views select keys.

use crate::token::{SEPARATOR, Token, tokens};

/// Whether `subject` (literal tokens) matches `filter` (`*` one token, trailing `>` one
/// or more).
pub fn matches(filter: &str, subject: &str) -> bool {
    let mut subject_tokens = subject.split(SEPARATOR);
    for token in tokens(filter) {
        match (token, subject_tokens.next()) {
            (Token::Rest, Some(_)) => return true,
            (Token::One, Some(_)) => {}
            (Token::Literal(literal), Some(part)) if literal == part => {}
            _ => return false,
        }
    }
    subject_tokens.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_nats() {
        assert!(matches("a.*", "a.b"));
        assert!(!matches("a.*", "a.b.c"));
        assert!(matches("a.>", "a.b.c"));
        assert!(!matches("a.>", "a"), "`>` needs at least one more token");
        assert!(matches(">", "a"));
        assert!(matches("a.b", "a.b"));
        assert!(!matches("a.b", "a.b.c"));
        assert!(!matches("a.b.c", "a.b"));
    }
}
