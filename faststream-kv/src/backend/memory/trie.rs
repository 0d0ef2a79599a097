//! A subject trie: subscriptions by token, matched against a published subject in one
//! walk, with `*` and `>` branches.

use std::collections::HashMap;

use faststream_kv_subject::{SEPARATOR, Token, tokens};

/// Subscriptions of type `T` keyed by subject, each with a unique id.
pub(crate) struct SubjectTrie<T> {
    root: Node<T>,
}

struct Node<T> {
    literals: HashMap<Box<str>, Node<T>>,
    star: Option<Box<Node<T>>>,
    /// Subscriptions ending at this node.
    here: Vec<(u64, T)>,
    /// Subscriptions ending in `>` after this node: they match one or more further tokens.
    tail: Vec<(u64, T)>,
}

impl<T> Default for Node<T> {
    fn default() -> Self {
        Self {
            literals: HashMap::new(),
            star: None,
            here: Vec::new(),
            tail: Vec::new(),
        }
    }
}

impl<T> Node<T> {
    fn is_empty(&self) -> bool {
        self.literals.is_empty()
            && self.star.is_none()
            && self.here.is_empty()
            && self.tail.is_empty()
    }
}

impl<T> Default for SubjectTrie<T> {
    fn default() -> Self {
        Self {
            root: Node::default(),
        }
    }
}

impl<T> SubjectTrie<T> {
    /// Adds subscription `id` on a (validated) subscribe subject.
    pub(crate) fn insert(&mut self, subject: &str, id: u64, value: T) {
        let mut node = &mut self.root;
        for token in tokens(subject) {
            node = match token {
                Token::Rest => return node.tail.push((id, value)),
                Token::One => node.star.get_or_insert_with(Box::default),
                Token::Literal(literal) => node.literals.entry(literal.into()).or_default(),
            };
        }
        node.here.push((id, value));
    }

    /// Removes subscription `id` from `subject`, pruning branches left empty.
    pub(crate) fn remove(&mut self, subject: &str, id: u64) -> Option<T> {
        let tokens: Vec<Token<'_>> = tokens(subject).collect();
        remove_from(&mut self.root, &tokens, id)
    }

    /// Keeps only the subscriptions for which `keep` holds, pruning branches left empty.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        retain_in(&mut self.root, &mut keep);
    }

    /// Calls `visit` for every subscription matching a (validated) publish subject.
    pub(crate) fn for_each_match<'a>(&'a self, subject: &str, mut visit: impl FnMut(&'a T)) {
        visit_matches(&self.root, subject.split(SEPARATOR), &mut visit);
    }
}

fn visit_matches<'t, T>(
    node: &'t Node<T>,
    mut tokens: std::str::Split<'_, char>,
    visit: &mut impl FnMut(&'t T),
) {
    let Some(token) = tokens.next() else {
        node.here.iter().for_each(|(_, value)| visit(value));
        return;
    };
    node.tail.iter().for_each(|(_, value)| visit(value));
    if let Some(child) = node.literals.get(token) {
        visit_matches(child, tokens.clone(), visit);
    }
    if let Some(star) = &node.star {
        visit_matches(star, tokens, visit);
    }
}

fn retain_in<T>(node: &mut Node<T>, keep: &mut impl FnMut(&T) -> bool) {
    node.here.retain(|(_, value)| keep(value));
    node.tail.retain(|(_, value)| keep(value));
    node.literals.retain(|_, child| {
        retain_in(child, keep);
        !child.is_empty()
    });
    if let Some(star) = &mut node.star {
        retain_in(star, keep);
        if star.is_empty() {
            node.star = None;
        }
    }
}

fn remove_from<T>(node: &mut Node<T>, tokens: &[Token<'_>], id: u64) -> Option<T> {
    let take = |list: &mut Vec<(u64, T)>| {
        let position = list.iter().position(|(entry, _)| *entry == id)?;
        Some(list.swap_remove(position).1)
    };
    match tokens {
        [] => take(&mut node.here),
        [Token::Rest, ..] => take(&mut node.tail),
        [Token::One, rest @ ..] => {
            let star = node.star.as_mut()?;
            let removed = remove_from(star, rest, id);
            if star.is_empty() {
                node.star = None;
            }
            removed
        }
        [Token::Literal(literal), rest @ ..] => {
            let child = node.literals.get_mut(*literal)?;
            let removed = remove_from(child, rest, id);
            if child.is_empty() {
                node.literals.remove(*literal);
            }
            removed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(trie: &SubjectTrie<&'static str>, subject: &str) -> Vec<&'static str> {
        let mut found = Vec::new();
        trie.for_each_match(subject, |name| found.push(*name));
        found.sort_unstable();
        found
    }

    #[test]
    fn wildcards_match_like_nats() {
        let mut trie = SubjectTrie::default();
        trie.insert("orders.eu.created", 1, "exact");
        trie.insert("orders.*.created", 2, "star");
        trie.insert("orders.>", 3, "tail");
        trie.insert(">", 4, "all");
        trie.insert("orders.*", 5, "two-tokens");
        assert_eq!(
            matches(&trie, "orders.eu.created"),
            ["all", "exact", "star", "tail"]
        );
        assert_eq!(matches(&trie, "orders.us"), ["all", "tail", "two-tokens"]);
        assert_eq!(
            matches(&trie, "orders"),
            ["all"],
            "`>` needs at least one more token"
        );
        assert_eq!(matches(&trie, "other.x"), ["all"]);
    }

    #[test]
    fn retain_removes_and_prunes() {
        let mut trie = SubjectTrie::default();
        trie.insert("a.*.c", 1, "one");
        trie.insert("a.>", 2, "two");
        trie.insert("b", 3, "one");
        trie.retain(|name| *name != "one");
        assert_eq!(matches(&trie, "a.b.c"), ["two"]);
        assert!(matches(&trie, "b").is_empty());
        trie.retain(|_| false);
        assert!(trie.root.is_empty());
    }

    #[test]
    fn remove_prunes() {
        let mut trie = SubjectTrie::default();
        trie.insert("a.*.c", 1, "one");
        trie.insert("a.*.c", 2, "two");
        assert_eq!(trie.remove("a.*.c", 1), Some("one"));
        assert_eq!(matches(&trie, "a.b.c"), ["two"]);
        assert_eq!(trie.remove("a.*.c", 2), Some("two"));
        assert_eq!(trie.remove("a.*.c", 2), None);
        assert!(trie.root.is_empty());
    }
}
