//! Our stream configuration and info to and from async-nats's.

use std::time::{Duration, SystemTime};

use async_nats::jetstream::stream::{self, DiscardPolicy, Info, RetentionPolicy, StorageType};

use crate::jetstream::{Discard, Retention, Storage, StreamConfig, StreamInfo, StreamState};

/// The stream configuration the server gets for `config`.
pub(super) fn to_nats(config: &StreamConfig) -> stream::Config {
    let limit =
        |value: Option<u64>| value.map_or(-1, |value| i64::try_from(value).unwrap_or(i64::MAX));
    stream::Config {
        name: config.name.clone(),
        description: Some(config.description.clone()).filter(|text| !text.is_empty()),
        subjects: config.subjects.clone(),
        retention: match config.retention {
            Retention::Limits => RetentionPolicy::Limits,
            Retention::WorkQueue => RetentionPolicy::WorkQueue,
            Retention::Interest => RetentionPolicy::Interest,
        },
        max_messages: limit(config.max_messages),
        max_bytes: limit(config.max_bytes),
        max_age: config.max_age.unwrap_or_default(),
        max_messages_per_subject: limit(config.max_messages_per_subject),
        max_message_size: config
            .max_message_size
            .map_or(-1, |size| i32::try_from(size).unwrap_or(i32::MAX)),
        discard: match config.discard {
            Discard::Old => DiscardPolicy::Old,
            Discard::New => DiscardPolicy::New,
        },
        discard_new_per_subject: config.discard_new_per_subject,
        storage: match config.storage {
            Storage::File => StorageType::File,
            Storage::Memory => StorageType::Memory,
        },
        num_replicas: config.replicas,
        duplicate_window: config.duplicate_window.unwrap_or_default(),
        deny_delete: config.deny_delete,
        deny_purge: config.deny_purge,
        allow_rollup: config.allow_rollup,
        allow_message_ttl: config.allow_msg_ttl,
        subject_delete_marker_ttl: config.subject_delete_marker_ttl,
        metadata: config
            .metadata
            .iter()
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
        ..stream::Config::default()
    }
}

/// Our configuration of a stream as the server reports it.
pub(super) fn from_nats(stream: &stream::Config) -> StreamConfig {
    let limit = |value: i64| u64::try_from(value).ok().filter(|value| *value > 0);
    StreamConfig {
        name: stream.name.clone(),
        description: stream.description.clone().unwrap_or_default(),
        subjects: stream.subjects.clone(),
        retention: match stream.retention {
            RetentionPolicy::Limits => Retention::Limits,
            RetentionPolicy::WorkQueue => Retention::WorkQueue,
            RetentionPolicy::Interest => Retention::Interest,
        },
        max_messages: limit(stream.max_messages),
        max_bytes: limit(stream.max_bytes),
        max_age: Some(stream.max_age).filter(|age| !age.is_zero()),
        max_messages_per_subject: limit(stream.max_messages_per_subject),
        max_message_size: u32::try_from(stream.max_message_size)
            .ok()
            .filter(|size| *size > 0),
        discard: match stream.discard {
            DiscardPolicy::Old => Discard::Old,
            DiscardPolicy::New => Discard::New,
        },
        discard_new_per_subject: stream.discard_new_per_subject,
        storage: match stream.storage {
            StorageType::File => Storage::File,
            StorageType::Memory => Storage::Memory,
        },
        replicas: stream.num_replicas.max(1),
        duplicate_window: Some(stream.duplicate_window).filter(|window| *window > Duration::ZERO),
        deny_delete: stream.deny_delete,
        deny_purge: stream.deny_purge,
        allow_rollup: stream.allow_rollup,
        allow_msg_ttl: stream.allow_message_ttl,
        subject_delete_marker_ttl: stream
            .subject_delete_marker_ttl
            .filter(|ttl| !ttl.is_zero()),
        metadata: stream
            .metadata
            .iter()
            .filter(|(key, _)| !key.starts_with("_nats."))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
    }
}

pub(super) fn info_from_nats(info: &Info) -> StreamInfo {
    StreamInfo {
        config: from_nats(&info.config),
        state: StreamState {
            messages: info.state.messages,
            bytes: info.state.bytes,
            first_sequence: info.state.first_sequence,
            last_sequence: info.state.last_sequence,
            first_time: set_time(info.state.first_timestamp),
            last_time: set_time(info.state.last_timestamp),
            subjects: info.state.subjects_count,
            deleted: info.state.deleted_count.unwrap_or_default(),
            consumers: info.state.consumer_count,
        },
        created: SystemTime::from(info.created),
    }
}

/// A time the server sent, or `None` for the zero time it sends for "none"
/// (`0001-01-01T00:00:00Z`).
fn set_time(time: time::OffsetDateTime) -> Option<SystemTime> {
    (time.unix_timestamp() > 0).then(|| SystemTime::from(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_reads_back_as_written() {
        let config = StreamConfig {
            description: "orders".to_owned(),
            subjects: vec!["orders.>".to_owned()],
            retention: Retention::WorkQueue,
            max_messages: Some(10),
            max_bytes: Some(1 << 20),
            max_age: Some(Duration::from_secs(60)),
            max_messages_per_subject: Some(2),
            max_message_size: Some(1024),
            discard: Discard::New,
            storage: Storage::Memory,
            replicas: 1,
            duplicate_window: Some(Duration::from_secs(30)),
            deny_delete: true,
            deny_purge: true,
            allow_rollup: true,
            metadata: [("team".to_owned(), "billing".to_owned())].into(),
            ..StreamConfig::new("ORDERS")
        };
        assert_eq!(from_nats(&to_nats(&config)), config);
        let plain = StreamConfig {
            subjects: vec!["a".to_owned()],
            ..StreamConfig::new("PLAIN")
        };
        assert_eq!(from_nats(&to_nats(&plain)), plain);
    }
}
