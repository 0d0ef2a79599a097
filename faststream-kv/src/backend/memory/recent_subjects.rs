//! Subjects this thread publishes to again and again, kept so that a memory publish
//! does not copy the subject each time.
//!
//! The copy would be freed by the subscriber's thread, and allocations freed on another
//! thread than the one that made them contend on the allocator, which a subscriber that
//! keeps up makes the publisher's largest cost. A kept subject is shared instead (a
//! reference count). A subject is kept from its second publish on, so publishes to
//! ever new subjects cost one copy, as before.

use std::cell::RefCell;
use std::hash::{DefaultHasher, Hash, Hasher};

use async_nats::Subject;

/// How many subjects, and fingerprints of subjects published once, each thread keeps.
const KEPT: usize = 8;

thread_local! {
    static RECENT: RefCell<RecentSubjects> = RefCell::default();
}

/// `subject` as an owned [`Subject`], shared with earlier publishes when it is kept.
pub(crate) fn subject(subject: &str) -> Subject {
    RECENT.with_borrow_mut(|recent| recent.get(subject))
}

#[derive(Default)]
struct RecentSubjects {
    kept: Vec<Subject>,
    /// The slot of `kept` replaced next once it is full.
    next_kept: usize,
    /// Fingerprints of subjects published once.
    seen: [u64; KEPT],
    next_seen: usize,
}

impl RecentSubjects {
    fn get(&mut self, subject: &str) -> Subject {
        if let Some(kept) = self.kept.iter().find(|kept| kept.as_str() == subject) {
            return kept.clone();
        }
        let copy = Subject::from(subject);
        let fingerprint = fingerprint(subject);
        if self.seen.contains(&fingerprint) {
            self.keep(copy.clone());
        } else {
            self.seen[self.next_seen] = fingerprint;
            self.next_seen = (self.next_seen + 1) % KEPT;
        }
        copy
    }

    fn keep(&mut self, subject: Subject) {
        if self.kept.len() < KEPT {
            self.kept.push(subject);
        } else {
            self.kept[self.next_kept] = subject;
            self.next_kept = (self.next_kept + 1) % KEPT;
        }
    }
}

fn fingerprint(subject: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    subject.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shares_storage(a: &Subject, b: &Subject) -> bool {
        a.as_str().as_ptr() == b.as_str().as_ptr()
    }

    #[test]
    fn a_subject_is_shared_from_its_second_publish_on() {
        let mut recent = RecentSubjects::default();
        let first = recent.get("orders.eu");
        let second = recent.get("orders.eu");
        let third = recent.get("orders.eu");
        assert_eq!(first.as_str(), "orders.eu");
        assert!(!shares_storage(&first, &second), "published once: a copy");
        assert!(
            shares_storage(&second, &third),
            "kept from the second publish"
        );
    }

    #[test]
    fn ever_new_subjects_are_not_kept_and_old_ones_give_way() {
        let mut recent = RecentSubjects::default();
        for n in 0..100 {
            assert_eq!(
                recent.get(&format!("orders.{n}")).as_str(),
                format!("orders.{n}")
            );
        }
        assert!(recent.kept.is_empty());
        for n in 0..=KEPT {
            recent.get(&format!("hot.{n}"));
            recent.get(&format!("hot.{n}"));
        }
        assert_eq!(recent.kept.len(), KEPT);
        assert!(
            recent.kept.iter().all(|kept| kept.as_str() != "hot.0"),
            "the oldest gave way"
        );
        assert_eq!(recent.get("hot.0").as_str(), "hot.0");
    }
}
