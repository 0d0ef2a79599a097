//! What nats-server counts for a stored message against a stream's (or bucket's)
//! `max_bytes` and reports in its `bytes`.

use crate::jetstream::Storage;

/// The size of a message with a `subject_len`-byte subject, a `header_len`-byte header
/// block and a `payload_len`-byte payload, as nats-server's file store counts it (record
/// length, sequence, subject length, timestamp and checksum; the header length when
/// there are headers) or its memory store.
pub(super) fn stored_size(
    storage: Storage,
    subject_len: usize,
    header_len: usize,
    payload_len: usize,
) -> u64 {
    let size = match storage {
        Storage::File if header_len == 0 => 22 + subject_len + payload_len + 8,
        Storage::File => 22 + subject_len + 4 + header_len + payload_len + 8,
        Storage::Memory => subject_len + header_len + payload_len + 16,
    };
    size as u64
}
