//! Conversions between our Key-Value types and async-nats's / JetStream's.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_nats::jetstream::kv as nats_kv;
use async_nats::jetstream::stream::{Compression, Info, StorageType};
use async_nats::{HeaderMap, HeaderValue};

use super::stream_config::{max_value_size, user_metadata};
use super::stream_sources;
use crate::kv::{self, Entry, Operation, Storage};
use crate::wire;

/// The operation a stored message records: the `KV-Operation` header, or for a marker
/// the server left (TTL expiry, `Nats-Marker-Reason`), a purge or delete.
pub(super) fn operation_of(headers: Option<&HeaderMap>) -> Operation {
    let Some(headers) = headers else {
        return Operation::Put;
    };
    match headers.get(wire::KV_OPERATION).map(HeaderValue::as_str) {
        Some(wire::KV_OPERATION_DELETE) => return Operation::Delete,
        Some(wire::KV_OPERATION_PURGE) => return Operation::Purge,
        _ => {}
    }
    match headers.get(wire::MARKER_REASON).map(HeaderValue::as_str) {
        Some(wire::MARKER_REASON_REMOVE) => Operation::Delete,
        Some(_) => Operation::Purge,
        None => Operation::Put,
    }
}

pub(super) fn entry_from_nats(bucket: &Arc<str>, entry: nats_kv::Entry) -> Entry {
    Entry {
        bucket: Arc::clone(bucket),
        key: entry.key.into(),
        value: entry.value,
        revision: entry.revision,
        delta: entry.delta,
        created: SystemTime::from(entry.created),
        operation: match entry.operation {
            nats_kv::Operation::Put => Operation::Put,
            nats_kv::Operation::Delete => Operation::Delete,
            nats_kv::Operation::Purge => Operation::Purge,
        },
    }
}

pub(super) fn status_from_info(bucket: &str, info: &Info) -> kv::Status {
    let stream = &info.config;
    let positive = |value: i64| u64::try_from(value).ok().filter(|value| *value > 0);
    let replication = stream_sources::read(bucket, stream);
    kv::Status {
        backing_store: kv::BACKING_STORE,
        config: kv::Config {
            bucket: bucket.to_owned(),
            description: stream.description.clone().unwrap_or_default(),
            history: u8::try_from(stream.max_messages_per_subject).unwrap_or(u8::MAX),
            max_age: Some(stream.max_age).filter(|age| !age.is_zero()),
            max_bytes: positive(stream.max_bytes),
            max_value_size: max_value_size(stream),
            storage: match stream.storage {
                StorageType::File => Storage::File,
                StorageType::Memory => Storage::Memory,
            },
            replicas: stream.num_replicas.max(1),
            compression: matches!(stream.compression, Some(Compression::S2)),
            key_ttl_markers: stream
                .subject_delete_marker_ttl
                .filter(|_| stream.allow_message_ttl)
                .or_else(|| stream.allow_message_ttl.then_some(Duration::ZERO)),
            metadata: user_metadata(&stream.metadata),
            republish: replication.republish,
            placement: replication.placement,
            mirror: replication.mirror,
            sources: replication.sources,
        },
        values: info.state.messages,
        bytes: info.state.bytes,
        last_revision: info.state.last_sequence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_from_kv_headers_and_server_markers() {
        let with = |name: &str, value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(name, value);
            headers
        };
        assert_eq!(operation_of(None), Operation::Put);
        assert_eq!(operation_of(Some(&HeaderMap::new())), Operation::Put);
        let delete = with(wire::KV_OPERATION, wire::KV_OPERATION_DELETE);
        assert_eq!(operation_of(Some(&delete)), Operation::Delete);
        let purge = with(wire::KV_OPERATION, wire::KV_OPERATION_PURGE);
        assert_eq!(operation_of(Some(&purge)), Operation::Purge);
        let expired = with(wire::MARKER_REASON, "MaxAge");
        assert_eq!(operation_of(Some(&expired)), Operation::Purge);
        let removed = with(wire::MARKER_REASON, wire::MARKER_REASON_REMOVE);
        assert_eq!(operation_of(Some(&removed)), Operation::Delete);
    }
}
