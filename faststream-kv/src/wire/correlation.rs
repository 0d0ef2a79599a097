//! FastStream's `correlation_id`: a new id is a random (version 4) UUID string, as
//! FastStream writes it. Ids only need to be unique, so they come from uuid's fast
//! thread-local generator, not a system call per message.

use async_nats::{HeaderMap, HeaderName};

use super::CORRELATION_ID;

/// The header name without an allocation per message.
const CORRELATION_ID_HEADER: HeaderName = HeaderName::from_static(CORRELATION_ID);

/// A new correlation id, not yet written out. Copying one is free; the header is built
/// where it is needed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CorrelationId(uuid::Uuid);

impl CorrelationId {
    pub(crate) fn new() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    /// It, hyphenated, as a string.
    pub(crate) fn hyphenated(self) -> String {
        self.0.hyphenated().to_string()
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

/// `headers` with a `correlation_id`: the one already set, else `fallback` (what a
/// handler publishes carries the id of the message it handles), else a new one.
pub(crate) fn correlated(headers: Option<HeaderMap>, fallback: Option<&str>) -> HeaderMap {
    let mut headers = headers.unwrap_or_default();
    if headers.get(CORRELATION_ID).is_none() {
        match fallback {
            Some(id) => headers.insert(CORRELATION_ID_HEADER, id),
            None => CorrelationId::new().insert_into(&mut headers),
        }
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

    #[test]
    fn a_reply_keeps_the_request_id_and_a_set_id_is_kept() {
        let inherited = with_correlation_id(None, Some("request-id"));
        assert_eq!(
            inherited.get(CORRELATION_ID).map(|v| v.as_str()),
            Some("request-id")
        );
        let kept = with_correlation_id(Some(inherited), None);
        assert_eq!(
            kept.get(CORRELATION_ID).map(|v| v.as_str()),
            Some("request-id")
        );
    }
}
