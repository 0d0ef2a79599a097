//! A memory bucket's republish: each stored revision published again on the broker,
//! with the headers nats-server adds (`Nats-Stream`, `Nats-Subject`, `Nats-Sequence`,
//! `Nats-Last-Sequence`; with `headers_only`, `Nats-Msg-Size` instead of the value).

use std::sync::Arc;

use async_nats::HeaderValue;
use bytes::Bytes;
use faststream_kv_subject::Transform;

use crate::kv::{self, Entry};
use crate::message::Message;
use crate::wire;

pub(crate) use crate::backend::memory::Publish;

pub(super) struct Republisher {
    transform: Transform,
    headers_only: bool,
    publish: Publish,
}

impl Republisher {
    /// The republisher `config` asks for, if any (validated with the configuration).
    pub(super) fn new(config: &kv::Config, publish: &Publish) -> Option<Self> {
        let republish = config.republish.as_ref()?;
        let transform = Transform::new(&republish.source, &republish.destination).ok()?;
        Some(Self {
            transform,
            headers_only: republish.headers_only,
            publish: Arc::clone(publish),
        })
    }

    /// `entry` was stored after the bucket's revision `last_sequence`.
    pub(super) fn stored(&self, entry: &Entry, last_sequence: u64) {
        let bucket = &entry.bucket;
        let subject = format!("$KV.{bucket}.{}", entry.key);
        let Some(destination) = self.transform.apply(&subject) else {
            return;
        };
        let mut headers = wire::write_headers(entry.operation, None, None);
        headers.insert("Nats-Stream", format!("KV_{bucket}").as_str());
        headers.insert("Nats-Subject", subject.as_str());
        headers.insert("Nats-Sequence", HeaderValue::from(entry.revision));
        headers.insert("Nats-Last-Sequence", HeaderValue::from(last_sequence));
        let payload = if self.headers_only {
            headers.insert("Nats-Msg-Size", HeaderValue::from(entry.value.len()));
            Bytes::new()
        } else {
            entry.value.clone()
        };
        (self.publish)(Message::new(destination, payload).with_headers(headers));
    }
}
