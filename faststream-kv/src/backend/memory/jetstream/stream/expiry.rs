//! Expiry, as nats-server expires: messages past the stream's `max_age` or their own
//! TTL leave, and message ids past the duplicate window stop counting. With
//! `subject_delete_marker_ttl` (ADR-43), a subject's last message leaves a marker in
//! its place: an empty message on the subject with `Nats-Marker-Reason: MaxAge`, a
//! `Nats-TTL` of the marker TTL and a subject rollup (which removes the expired
//! message); the marker expires in turn without leaving another.
//!
//! The memory broker expires when the stream is next used, so it replays the
//! expiries in the order and at the instants they fell due: a marker is stored at the
//! instant its message expired, and may itself have expired by now.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::time::Instant;

use super::{Incoming, MessageTtl, State};
use crate::backend::memory::stored_size::stored_size;
use crate::jetstream::Rollup;
use crate::wire;

impl State {
    /// Expires what fell due by `now`.
    pub(super) fn expire(&mut self, now: Instant) {
        while let Some((deadline, _)) = self.id_deadlines.front()
            && *deadline <= now
        {
            if let Some((_, id)) = self.id_deadlines.pop_front() {
                self.ids.remove(&id);
            }
        }
        while let Some((due, sequence)) = self.next_expiry().filter(|(due, _)| *due <= now) {
            self.expire_one(sequence, due);
        }
    }

    /// When a marker may next be placed, for a fetch waiting for messages to wake
    /// then: the next expiry, if the stream places markers.
    pub(super) fn next_marker(&self) -> Option<Instant> {
        self.config.subject_delete_marker_ttl?;
        self.next_expiry().map(|(due, _)| due)
    }

    /// The soonest expiry: a message's own TTL, or the oldest message's `max_age`
    /// (stored in order, oldest first; a message that never expires stays).
    fn next_expiry(&self) -> Option<(Instant, u64)> {
        let by_ttl = self.ttl_deadlines.first().copied();
        let by_age = self.config.max_age.and_then(|max_age| {
            let mut records = self.records.iter();
            let (sequence, record) =
                records.find(|(_, record)| record.ttl != Some(MessageTtl::Never))?;
            Some((record.stored_at + max_age, *sequence))
        });
        by_ttl.into_iter().chain(by_age).min()
    }

    /// Message `sequence` expires at `due`: removed, or replaced by a marker if it is
    /// its subject's last and the stream places markers.
    fn expire_one(&mut self, sequence: u64, due: Instant) {
        self.ttl_deadlines.remove(&(due, sequence));
        let Some(record) = self.records.get(&sequence) else {
            return;
        };
        if let Some(MessageTtl::After(ttl)) = record.ttl {
            self.ttl_deadlines
                .remove(&(record.stored_at + ttl, sequence));
        }
        let subject = &record.message.subject;
        let last_of_subject = self
            .by_subject
            .get(subject)
            .is_some_and(|sequences| sequences.len() == 1);
        let is_marker = record.message.headers.get(wire::MARKER_REASON).is_some();
        match self.config.subject_delete_marker_ttl {
            Some(marker_ttl) if last_of_subject && !is_marker => {
                let subject = subject.clone();
                self.place_marker(&subject, marker_ttl, due);
            }
            _ => {
                self.remove(sequence);
            }
        }
    }

    /// Stores the marker of `subject`'s expired last message at instant `at`, through
    /// what a publish goes through: its rollup removes the message.
    fn place_marker(&mut self, subject: &str, ttl: Duration, at: Instant) {
        let headers = wire::expiry_marker_headers(ttl.as_secs());
        let payload = Bytes::new();
        let incoming = Incoming {
            subject,
            headers: Some(&headers),
            payload: &payload,
        };
        let size = stored_size(
            self.config.storage,
            subject.len(),
            wire::headers_wire_len(&headers),
            0,
        );
        let ttl = Some(MessageTtl::After(ttl));
        let now = SystemTime::now();
        let time = now.checked_sub(at.elapsed()).unwrap_or(now);
        let sequence = self.append(&incoming, size, ttl, (at, time));
        self.appended(sequence, subject, Some(Rollup::Subject));
    }
}
