//! The headers of Key-Value writes and of the markers the server leaves, as the NATS
//! Key-Value spec (ADR-8) and the JetStream ADRs they come from define them.

use async_nats::{HeaderMap, HeaderValue};

use crate::kv::Operation;

/// ADR-8: marks a delete (`DEL`) or purge (`PURGE`) revision; absent for a put.
pub(crate) const KV_OPERATION: &str = "KV-Operation";
/// ADR-8: the `KV-Operation` value of a delete.
pub(crate) const KV_OPERATION_DELETE: &str = "DEL";
/// ADR-8: the `KV-Operation` value of a purge.
pub(crate) const KV_OPERATION_PURGE: &str = "PURGE";

/// ADR-8 with JetStream rollups: a purge rolls its subject up to itself.
pub(crate) const ROLLUP: &str = "Nats-Rollup";
/// The `Nats-Rollup` value that removes the subject's earlier messages.
pub(crate) const ROLLUP_SUBJECT: &str = "sub";

/// JetStream's optimistic concurrency (ADR-8's `update`): the subject's last sequence
/// must be this (0: the subject has none).
pub(crate) const EXPECTED_LAST_SUBJECT_SEQUENCE: &str = "Nats-Expected-Last-Subject-Sequence";

/// ADR-43: a per-message TTL (`"30s"`), allowed when the stream has `allow_msg_ttl`.
pub(crate) const MESSAGE_TTL: &str = "Nats-TTL";

/// ADR-43: on a marker the server left (a key's TTL expired, `MaxAge`, a purge), why.
pub(crate) const MARKER_REASON: &str = "Nats-Marker-Reason";
/// ADR-43: the `Nats-Marker-Reason` of an expiry, which reads as a purge.
pub(crate) const MARKER_REASON_MAX_AGE: &str = "MaxAge";
/// ADR-43: the `Nats-Marker-Reason` of a removal, which reads as a delete.
pub(crate) const MARKER_REASON_REMOVE: &str = "Remove";

/// The headers a Key-Value write sends (none for a plain put): what the NATS backend
/// publishes and what the memory backend counts as stored.
pub(crate) fn write_headers(
    operation: Operation,
    expected_revision: Option<u64>,
    ttl_seconds: Option<u64>,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    match operation {
        Operation::Put => {}
        Operation::Delete => headers.insert(KV_OPERATION, KV_OPERATION_DELETE),
        Operation::Purge => {
            headers.insert(KV_OPERATION, KV_OPERATION_PURGE);
            headers.insert(ROLLUP, ROLLUP_SUBJECT);
        }
    }
    if let Some(expected) = expected_revision {
        headers.insert(EXPECTED_LAST_SUBJECT_SEQUENCE, HeaderValue::from(expected));
    }
    if let Some(seconds) = ttl_seconds {
        headers.insert(MESSAGE_TTL, HeaderValue::from(format!("{seconds}s")));
    }
    headers
}

/// The headers of the purge marker the server leaves when a key's last value expires
/// (ADR-43), the marker itself expiring after `marker_ttl_seconds`.
pub(crate) fn expiry_marker_headers(marker_ttl_seconds: u64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    // In the server's order, the TTL as Go writes a duration.
    headers.insert(MARKER_REASON, MARKER_REASON_MAX_AGE);
    headers.insert(MESSAGE_TTL, go_seconds(marker_ttl_seconds).as_str());
    headers.insert(ROLLUP, ROLLUP_SUBJECT);
    headers
}

/// Whole seconds as Go's `time.Duration` writes them: `"5s"`, `"1m30s"`, `"1h0m0s"`.
fn go_seconds(seconds: u64) -> String {
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (hours, minutes) {
        (0, 0) => format!("{seconds}s"),
        (0, _) => format!("{minutes}m{seconds}s"),
        _ => format!("{hours}h{minutes}m{seconds}s"),
    }
}

/// The size of a header block on the wire (`NATS/1.0`, one line per value, a blank
/// line); 0 without headers, which are then not sent at all.
pub(crate) fn headers_wire_len(headers: &HeaderMap) -> usize {
    if headers.is_empty() {
        return 0;
    }
    let lines: usize = headers
        .iter()
        .flat_map(|(name, values)| {
            values.iter().map(move |value| {
                AsRef::<str>::as_ref(name).len() + ": ".len() + value.as_str().len() + 2
            })
        })
        .sum();
    "NATS/1.0\r\n".len() + lines + "\r\n".len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_sizes_are_those_the_server_stores() {
        // Measured on nats-server 2.11+: a create's header block is 52 bytes, a
        // delete's 31, an expiry marker's (marker TTL 5 s) 72.
        assert_eq!(
            headers_wire_len(&write_headers(Operation::Put, Some(0), None)),
            52
        );
        assert_eq!(
            headers_wire_len(&write_headers(Operation::Delete, None, None)),
            31
        );
        assert_eq!(
            headers_wire_len(&write_headers(Operation::Put, None, None)),
            0
        );
        assert_eq!(headers_wire_len(&expiry_marker_headers(5)), 72);
    }

    #[test]
    fn marker_ttls_read_as_go_writes_them() {
        let written = [(5, "5s"), (60, "1m0s"), (90, "1m30s"), (3600, "1h0m0s")];
        for (seconds, go) in written {
            assert_eq!(super::go_seconds(seconds), go);
        }
        let marker = expiry_marker_headers(3661);
        let ttl = marker.get(MESSAGE_TTL).map(|value| value.as_str());
        assert_eq!(ttl, Some("1h1m1s"));
    }
}
