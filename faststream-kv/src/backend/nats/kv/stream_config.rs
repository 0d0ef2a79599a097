//! The stream behind a bucket, configured as nats.go configures it (ADR-8), with room
//! in its message-size limit for the headers of our writes.
//!
//! The server counts a write's headers against the stream's `max_msg_size`, so with the
//! limit at `max_value_size` a `create` of a value of exactly that size is refused, and
//! in a small bucket even a delete or purge. The stream's limit is `max_value_size`
//! plus [`HEADER_ROOM`], the value is checked on our side, and the stream's metadata
//! keeps `max_value_size` for the bucket's status.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use async_nats::jetstream::stream::{self, Compression, DiscardPolicy, StorageType};

use super::stream_sources;
use crate::kv::{self, Storage};

/// Room for the headers of any write of ours (operation, rollup, expected revision,
/// TTL: under 150 bytes).
pub(super) const HEADER_ROOM: u32 = 256;

/// The stream metadata entry that keeps the bucket's `max_value_size`.
pub(super) const MAX_VALUE_SIZE_METADATA: &str = "faststream_kv.max_value_size";

/// nats.go's duplicate window for a bucket: 2 minutes, or its `max_age` if shorter.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

pub(super) fn stream_config(config: &kv::Config) -> stream::Config {
    let mut metadata: HashMap<String, String> = config
        .metadata
        .iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let max_message_size = match config.max_value_size {
        Some(size) => {
            metadata.insert(MAX_VALUE_SIZE_METADATA.to_owned(), size.to_string());
            i32::try_from(size.saturating_add(HEADER_ROOM)).unwrap_or(i32::MAX)
        }
        None => -1,
    };
    let max_age = config.max_age.unwrap_or_default();
    let mut stream = stream::Config {
        name: format!("KV_{}", config.bucket),
        description: Some(config.description.clone()).filter(|text| !text.is_empty()),
        subjects: vec![format!("$KV.{}.>", config.bucket)],
        max_messages_per_subject: i64::from(config.history),
        max_bytes: config
            .max_bytes
            .map_or(-1, |bytes| i64::try_from(bytes).unwrap_or(i64::MAX)),
        max_age,
        max_message_size,
        storage: match config.storage {
            Storage::File => StorageType::File,
            Storage::Memory => StorageType::Memory,
        },
        num_replicas: config.replicas,
        allow_rollup: true,
        deny_delete: true,
        deny_purge: false,
        allow_direct: true,
        discard: DiscardPolicy::New,
        duplicate_window: match config.max_age {
            Some(age) if age < DUPLICATE_WINDOW => age,
            _ => DUPLICATE_WINDOW,
        },
        compression: config.compression.then_some(Compression::S2),
        allow_message_ttl: config.key_ttl_markers.is_some(),
        subject_delete_marker_ttl: config.key_ttl_markers,
        metadata,
        ..stream::Config::default()
    };
    stream_sources::write(config, &mut stream);
    stream
}

/// The metadata the bucket's user set: without ours and the server's (`_nats.*`).
pub(super) fn user_metadata(metadata: &HashMap<String, String>) -> BTreeMap<String, String> {
    metadata
        .iter()
        .filter(|(key, _)| *key != MAX_VALUE_SIZE_METADATA && !key.starts_with("_nats."))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// The bucket's `max_value_size`: what our metadata keeps, or for a bucket made by
/// another client the stream's message-size limit.
pub(super) fn max_value_size(stream: &stream::Config) -> Option<u32> {
    if let Some(kept) = stream.metadata.get(MAX_VALUE_SIZE_METADATA)
        && let Ok(size) = kept.parse()
    {
        return Some(size);
    }
    u32::try_from(stream.max_message_size)
        .ok()
        .filter(|size| *size > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_has_room_for_headers_and_the_value_size_is_kept() {
        let config = kv::Config {
            max_value_size: Some(1024),
            ..kv::Config::new("sized")
        };
        let stream = stream_config(&config);
        assert_eq!(stream.max_message_size, 1024 + 256);
        assert_eq!(max_value_size(&stream), Some(1024));
        let unlimited = stream_config(&kv::Config::new("free"));
        assert_eq!(max_value_size(&unlimited), None);
    }

    #[test]
    fn the_duplicate_window_is_nats_gos() {
        let short = kv::Config {
            max_age: Some(Duration::from_secs(30)),
            ..kv::Config::new("short")
        };
        assert_eq!(
            stream_config(&short).duplicate_window,
            Duration::from_secs(30)
        );
        assert_eq!(
            stream_config(&kv::Config::new("long")).duplicate_window,
            DUPLICATE_WINDOW
        );
    }

    #[test]
    fn a_stream_made_elsewhere_reads_its_message_size_limit() {
        let stream = stream::Config {
            max_message_size: 512,
            ..stream::Config::default()
        };
        assert_eq!(max_value_size(&stream), Some(512));
    }
}
