//! The headers of Key-Value writes and of the markers the server leaves, as the NATS
//! Key-Value spec (ADR-8) and the JetStream ADRs they come from define them.

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
/// ADR-43: the `Nats-Marker-Reason` of a removal, which reads as a delete.
pub(crate) const MARKER_REASON_REMOVE: &str = "Remove";
