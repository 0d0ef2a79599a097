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

/// Whether some subject matches both filters (two streams may not store the same
/// subject).
pub fn overlaps(first: &str, second: &str) -> bool {
    let mut first_tokens = tokens(first);
    let mut second_tokens = tokens(second);
    loop {
        match (first_tokens.next(), second_tokens.next()) {
            (None, None) => return true,
            (Some(Token::Rest), Some(_)) | (Some(_), Some(Token::Rest)) => return true,
            (Some(Token::One), Some(_)) | (Some(_), Some(Token::One)) => {}
            (Some(Token::Literal(a)), Some(Token::Literal(b))) if a == b => {}
            _ => return false,
        }
    }
}

/// Whether every subject matching `inner` matches `outer` too (nats-server's
/// `subjectIsSubsetMatch`: a consumer's filters may not contain one another).
pub fn contains(outer: &str, inner: &str) -> bool {
    let mut outer_tokens = tokens(outer);
    let mut inner_tokens = tokens(inner);
    loop {
        match (outer_tokens.next(), inner_tokens.next()) {
            (None, None) | (Some(Token::Rest), Some(_)) => return true,
            (Some(Token::One), Some(Token::One | Token::Literal(_))) => {}
            (Some(Token::Literal(a)), Some(Token::Literal(b))) if a == b => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_contains_what_it_matches_all_of() {
        assert!(contains("orders.>", "orders.eu.*"));
        assert!(contains("orders.*", "orders.eu"));
        assert!(contains("a.b", "a.b"));
        assert!(contains(">", "a.>"));
        assert!(!contains("orders.*", "orders.>"));
        assert!(!contains("orders.eu", "orders.*"));
        assert!(
            !contains("a.*.c", "a.b.*"),
            "they overlap, neither contains the other"
        );
        assert!(!contains("a.>", "a"));
    }

    #[test]
    fn filters_overlap_when_a_subject_matches_both() {
        assert!(overlaps("orders.>", "orders.eu.*"));
        assert!(overlaps("orders.*", "*.eu"));
        assert!(overlaps("a.b", "a.b"));
        assert!(!overlaps("orders.>", "orders"));
        assert!(!overlaps("a.*", "a.b.c"));
        assert!(!overlaps("a.b", "a.c"));
        assert!(overlaps(">", "x.y"));
    }

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
