//! The FastStream `correlation_id` header: new ids are UUID v4 strings, as FastStream
//! writes them, without a system call per message. Each thread seeds a SplitMix64
//! generator from the OS once; ids only need to be unique, not unpredictable.

use std::cell::Cell;

use async_nats::{HeaderMap, HeaderName};

use crate::message::CORRELATION_ID;

/// The header name without an allocation per message.
const CORRELATION_ID_HEADER: HeaderName = HeaderName::from_static(CORRELATION_ID);

thread_local! {
    static STATE: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let random = uuid::Uuid::new_v4().as_u64_pair();
    random.0 ^ random.1.rotate_left(32)
}

/// SplitMix64: a full-period 64-bit generator with good statistical quality.
fn next_u64() -> u64 {
    STATE.with(|state| {
        let next = state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        state.set(next);
        let mut z = next;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

/// A new correlation id, not yet written out: a random (version 4) UUID. Copying one
/// is free; the header is built where it is needed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CorrelationId(uuid::Uuid);

impl CorrelationId {
    pub(crate) fn new() -> Self {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&next_u64().to_le_bytes());
        Self(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }

    /// Sets it, hyphenated, as the `correlation_id` header.
    pub(crate) fn insert_into(self, headers: &mut HeaderMap) {
        let mut buffer = uuid::Uuid::encode_buffer();
        let id: &str = self.0.hyphenated().encode_lower(&mut buffer);
        headers.insert(CORRELATION_ID_HEADER, id);
    }
}

/// `headers` with a `correlation_id`: `inherited` (a reply keeps the request's), else
/// the one already set, else a new one.
pub(crate) fn with_correlation_id(
    headers: Option<HeaderMap>,
    inherited: Option<&str>,
) -> HeaderMap {
    let mut headers = headers.unwrap_or_default();
    match inherited {
        Some(id) => headers.insert(CORRELATION_ID_HEADER, id),
        None if headers.get(CORRELATION_ID).is_none() => {
            CorrelationId::new().insert_into(&mut headers);
        }
        None => {}
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v4_uuids_and_distinct() {
        let ids: std::collections::HashSet<String> = (0..10_000)
            .map(|_| {
                let headers = with_correlation_id(None, None);
                headers
                    .get(CORRELATION_ID)
                    .expect("set")
                    .as_str()
                    .to_owned()
            })
            .collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(10) {
            let parsed = uuid::Uuid::parse_str(id).expect("a UUID");
            assert_eq!(parsed.get_version_num(), 4);
        }
    }
}
