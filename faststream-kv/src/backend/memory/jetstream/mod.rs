//! Streams of the memory broker: the registry (create, update, bind, delete, list)
//! and what the broker hands them, every message published to a subject one of them
//! stores. Each stream lives in [`stream`].

mod advisory;
mod consumer;
mod consumer_handle;
mod handle;
mod message_ttl;
mod pulls;
mod push;
mod stream;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use bytes::Bytes;
use faststream_kv_subject::overlaps;

use handle::StreamHandle;
use stream::Incoming;
use stream::{MemoryStream, check_supported};

use super::Publish;
use crate::error::{Error, JsErrorCode, Result};
use crate::jetstream::store::StreamStore;
use crate::jetstream::{PublishAck, StreamConfig};
use crate::message::Message;

/// The streams, by name; shared with the handles, which look a stream up again once it
/// was deleted.
type Registry = Arc<RwLock<BTreeMap<String, Arc<MemoryStream>>>>;

pub(crate) struct Streams {
    streams: Registry,
    /// How many there are, so that a publish with none reads no lock.
    count: AtomicUsize,
    max_payload: usize,
    /// Publishes the streams' advisories.
    publish: Publish,
}

impl Streams {
    pub(super) fn new(max_payload: usize, publish: Publish) -> Self {
        Self {
            streams: Registry::default(),
            count: AtomicUsize::new(0),
            max_payload,
            publish,
        }
    }

    /// Creates a stream; the same configuration again returns it.
    pub(super) fn create(&self, config: &StreamConfig) -> Result<Arc<dyn StreamStore>> {
        check_supported(config)?;
        let mut streams = self.streams.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(existing) = streams.get(&config.name) {
            if existing.runs_with(config) {
                return Ok(StreamHandle::store(existing, &self.streams));
            }
            return Err(Error::StreamExists {
                stream: config.name.clone(),
                reason: "it has another configuration".to_owned(),
            });
        }
        overlap_check(&streams, config)?;
        let stream = Arc::new(MemoryStream::new(config.clone(), self.publish.clone()));
        streams.insert(config.name.clone(), Arc::clone(&stream));
        self.count.store(streams.len(), Ordering::Release);
        Ok(StreamHandle::store(&stream, &self.streams))
    }

    pub(super) fn update(&self, config: &StreamConfig) -> Result<Arc<dyn StreamStore>> {
        check_supported(config)?;
        let streams = self.streams.read().unwrap_or_else(PoisonError::into_inner);
        let Some(stream) = streams.get(&config.name) else {
            return Err(Error::StreamNotFound {
                stream: config.name.clone(),
            });
        };
        overlap_check(&streams, config)?;
        stream.reconfigure(config.clone())?;
        Ok(StreamHandle::store(stream, &self.streams))
    }

    pub(super) fn bind(&self, name: &str) -> Result<Arc<dyn StreamStore>> {
        let streams = self.streams.read().unwrap_or_else(PoisonError::into_inner);
        match streams.get(name) {
            Some(stream) => Ok(StreamHandle::store(stream, &self.streams)),
            None => Err(Error::StreamNotFound {
                stream: name.to_owned(),
            }),
        }
    }

    pub(super) fn delete(&self, name: &str) -> Result<()> {
        let mut streams = self.streams.write().unwrap_or_else(PoisonError::into_inner);
        let Some(stream) = streams.remove(name) else {
            return Err(Error::StreamNotFound {
                stream: name.to_owned(),
            });
        };
        stream.mark_deleted();
        self.count.store(streams.len(), Ordering::Release);
        Ok(())
    }

    pub(super) fn names(&self) -> Vec<String> {
        let streams = self.streams.read().unwrap_or_else(PoisonError::into_inner);
        streams.keys().cloned().collect()
    }

    /// Hands a published message to the stream storing its subject: `None` when no
    /// stream does. The message is read only then: reading the headers of a message
    /// published with a new correlation id writes them out.
    pub(super) fn capture(&self, message: &Message) -> Option<Result<PublishAck>> {
        let stream = self.storing(message.subject())?;
        Some(stream.store(&Incoming::of(message), self.max_payload))
    }

    /// [`capture`](Self::capture), answered as the stream answers a plain publish with
    /// a reply subject.
    pub(super) fn capture_answered(&self, message: &Message) -> Option<Bytes> {
        let stream = self.storing(message.subject())?;
        let stored = stream.store(&Incoming::of(message), self.max_payload);
        Some(ack_reply(stream.name(), &stored))
    }

    fn storing(&self, subject: &str) -> Option<Arc<MemoryStream>> {
        if self.count.load(Ordering::Acquire) == 0 {
            return None;
        }
        let streams = self.streams.read().unwrap_or_else(PoisonError::into_inner);
        streams
            .values()
            .find(|stream| stream.stores(subject))
            .cloned()
    }
}

/// Refuses a configuration whose subjects overlap another stream's.
fn overlap_check(
    streams: &BTreeMap<String, Arc<MemoryStream>>,
    config: &StreamConfig,
) -> Result<()> {
    let overlapping = streams
        .values()
        .filter(|stream| stream.name() != config.name)
        .any(|stream| {
            let theirs = stream.config().subjects;
            config
                .subjects
                .iter()
                .any(|ours| theirs.iter().any(|subject| overlaps(ours, subject)))
        });
    if overlapping {
        return Err(Error::SubjectsOverlap {
            stream: config.name.clone(),
        });
    }
    Ok(())
}

/// The ack `stream` sends to the reply subject of a plain publish it stored (or the
/// error it answers with), byte for byte as nats-server writes it.
fn ack_reply(stream: &str, stored: &Result<PublishAck>) -> Bytes {
    let quoted = |text: &str| serde_json::Value::from(text).to_string();
    let stream = quoted(stream);
    let reply = match stored {
        Ok(ack) if ack.duplicate => format!(
            r#"{{"stream":{stream},"seq":{},"duplicate": true}}"#,
            ack.sequence
        ),
        Ok(ack) => format!(r#"{{"stream":{stream},"seq":{}}}"#, ack.sequence),
        Err(error) => {
            let (status, err_code, description) = refusal(error);
            format!(
                r#"{{"error":{{"code":{status},"err_code":{err_code},"description":{}}},"stream":{stream},"seq":0}}"#,
                quoted(&description),
            )
        }
    };
    Bytes::from(reply)
}

/// The status, error code and description of the server's answer to a publish it
/// refuses with `error`.
fn refusal(error: &Error) -> (u16, u32, String) {
    match error {
        Error::WrongLastSequence { found, .. } => (
            400,
            JsErrorCode::STREAM_WRONG_LAST_SEQUENCE.0,
            format!("wrong last sequence: {}", found.unwrap_or_default()),
        ),
        Error::WrongLastMessageId { found, .. } => (
            400,
            JsErrorCode::STREAM_WRONG_LAST_MSG_ID.0,
            format!(
                "wrong last msg ID: {}",
                found.as_deref().unwrap_or_default()
            ),
        ),
        Error::WrongStream { .. } => (
            400,
            JsErrorCode::STREAM_NOT_MATCH.0,
            "expected stream does not match".to_owned(),
        ),
        Error::MessageTooLarge { .. } => (
            400,
            JsErrorCode::STREAM_MESSAGE_EXCEEDS_MAXIMUM.0,
            "message size exceeds maximum allowed".to_owned(),
        ),
        Error::StreamFull { limit, .. } => (
            503,
            JsErrorCode::STREAM_STORE_FAILED.0,
            limit.description().to_owned(),
        ),
        // A rollup the store could not make is the server's internal error; the other
        // refusals of a publish are its input's.
        Error::JetStream {
            code, description, ..
        } => {
            let status = if *code == JsErrorCode::STREAM_ROLLUP_FAILED {
                500
            } else {
                400
            };
            (status, code.0, description.clone())
        }
        _ => (503, JsErrorCode::STREAM_STORE_FAILED.0, error.to_string()),
    }
}
