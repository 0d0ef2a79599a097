//! Publishing to a stream on a NATS server and reading its acknowledgement.

use async_nats::HeaderMap;
use async_nats::jetstream::ErrorCode;
use async_nats::jetstream::context::{PublishError, PublishErrorKind};
use async_nats::jetstream::stream::LastRawMessageErrorKind;
use bytes::Bytes;

use crate::backend::nats::error::{jetstream_code, nats_error, refusal_description};
use crate::backend::nats::jetstream::JetStream;
use crate::error::{Error, NatsOperation, Result, StreamLimit};
use crate::jetstream::{LastSequenceOf, PublishAck, header};
use crate::wire;

/// Publishes and waits, within the connection's bound, for the stream's acknowledgement.
pub(crate) async fn publish(
    jetstream: &JetStream,
    subject: &str,
    headers: HeaderMap,
    payload: Bytes,
) -> Result<PublishAck> {
    let size = wire::headers_wire_len(&headers) + payload.len();
    // Only what a refusal is explained with is kept, not a copy of every header map.
    let expected = Expected::of(&headers);
    let sent = jetstream
        .context()
        .publish_with_headers(subject.to_owned(), headers, payload)
        .await;
    let acked = match sent {
        Ok(ack) => ack.await,
        Err(error) => Err(error),
    };
    match acked {
        Ok(ack) => Ok(PublishAck {
            stream: ack.stream,
            sequence: ack.sequence,
            duplicate: ack.duplicate,
        }),
        Err(error) => Err(refused(jetstream, subject, expected, size, error).await),
    }
}

/// The expectations a publish carried, for the error that says which one failed.
struct Expected {
    last_sequence: Option<u64>,
    last_subject_sequence: Option<u64>,
    /// The subject `last_subject_sequence` is about, if not the one published to.
    last_subject: Option<String>,
    last_message_id: Option<String>,
    stream: Option<String>,
}

impl Expected {
    fn of(headers: &HeaderMap) -> Self {
        let value = |name: &str| headers.get(name).map(|value| value.as_str());
        let sequence = |name: &str| value(name).and_then(|sequence| sequence.parse().ok());
        Self {
            last_sequence: sequence(header::EXPECTED_LAST_SEQUENCE),
            last_subject_sequence: sequence(header::EXPECTED_LAST_SUBJECT_SEQUENCE),
            last_subject: value(header::EXPECTED_LAST_SUBJECT).map(str::to_owned),
            last_message_id: value(header::EXPECTED_LAST_MESSAGE_ID).map(str::to_owned),
            stream: value(header::EXPECTED_STREAM).map(str::to_owned),
        }
    }
}

impl Expected {
    /// Which sequence expectation the server refused, and what it expected. The
    /// subject's is checked first: with both, the stream's failed only if the
    /// subject's last sequence is the one expected.
    async fn failed_sequence(&self, jetstream: &JetStream, subject: &str) -> (LastSequenceOf, u64) {
        let filter = self.last_subject.as_deref().unwrap_or(subject);
        let of_subject = LastSequenceOf::Subject(filter.to_owned());
        match (self.last_subject_sequence, self.last_sequence) {
            (Some(expected), Some(stream_expected)) => {
                match last_sequence_of(jetstream, subject, filter).await {
                    Some(last) if last == expected => (LastSequenceOf::Stream, stream_expected),
                    _ => (of_subject, expected),
                }
            }
            (Some(expected), None) => (of_subject, expected),
            (None, expected) => (LastSequenceOf::Stream, expected.unwrap_or_default()),
        }
    }
}

/// The sequence of the last message on a subject matching `filter` in the stream
/// storing `subject` (0: none); `None` if it cannot be read.
async fn last_sequence_of(jetstream: &JetStream, subject: &str, filter: &str) -> Option<u64> {
    let name = jetstream.context().stream_by_subject(subject).await.ok()?;
    let stream = jetstream.context().get_stream(&name).await.ok()?;
    match stream.get_last_raw_message_by_subject(filter).await {
        Ok(message) => Some(message.sequence),
        Err(error) if error.kind() == LastRawMessageErrorKind::NoMessageFound => Some(0),
        Err(_) => None,
    }
}

async fn refused(
    jetstream: &JetStream,
    subject: &str,
    expected: Expected,
    size: usize,
    error: PublishError,
) -> Error {
    let subject = subject.to_owned();
    match error.kind() {
        PublishErrorKind::StreamNotFound => Error::NoStream { subject },
        PublishErrorKind::WrongLastSequence => {
            // "wrong last sequence: <the sequence the stream has>"
            let found = refusal_description(&error)
                .and_then(|description| description.rsplit(' ').next()?.parse().ok());
            let (of, expected) = expected.failed_sequence(jetstream, &subject).await;
            Error::WrongLastSequence {
                subject,
                of,
                expected,
                found,
            }
        }
        PublishErrorKind::WrongLastMessageId => Error::WrongLastMessageId {
            subject,
            expected: expected.last_message_id.unwrap_or_default(),
            // "wrong last msg ID: <the stream's last id, or nothing>"
            found: refusal_description(&error)
                .and_then(|description| {
                    description
                        .strip_prefix("wrong last msg ID: ")
                        .map(str::to_owned)
                })
                .filter(|found| !found.is_empty()),
        },
        PublishErrorKind::TimedOut => Error::Unavailable {
            operation: NatsOperation::StreamPublish,
            after: jetstream.bound(),
            may_have_landed: true,
        },
        PublishErrorKind::MaxPayloadExceeded => Error::PayloadTooLarge {
            size,
            max: jetstream.client().server_info().max_payload,
        },
        _ => match jetstream_code(&error) {
            Some(ErrorCode::STREAM_NOT_MATCH) => Error::WrongStream {
                subject,
                expected: expected.stream.unwrap_or_default(),
            },
            Some(ErrorCode::STREAM_MESSAGE_EXCEEDS_MAXIMUM) => {
                match stream_of(jetstream, &subject).await {
                    Some((stream, max)) => Error::MessageTooLarge { stream, size, max },
                    None => nats_error(NatsOperation::StreamPublish, error),
                }
            }
            // The store refused it: a discard-new stream at a limit, which the
            // description names (other store failures keep their code).
            Some(ErrorCode::STREAM_STORE_FAILED) => {
                let limit = refusal_description(&error)
                    .and_then(|description| StreamLimit::from_description(&description));
                match (limit, stream_of(jetstream, &subject).await) {
                    (Some(limit), Some((stream, _))) => Error::StreamFull { stream, limit },
                    _ => nats_error(NatsOperation::StreamPublish, error),
                }
            }
            _ => nats_error(NatsOperation::StreamPublish, error),
        },
    }
}

/// The stream storing `subject`, and its `max_message_size`.
async fn stream_of(jetstream: &JetStream, subject: &str) -> Option<(String, u32)> {
    let name = jetstream.context().stream_by_subject(subject).await.ok()?;
    let mut stream = jetstream.context().get_stream(&name).await.ok()?;
    let max = stream.info().await.ok()?.config.max_message_size;
    Some((name, u32::try_from(max).unwrap_or_default()))
}
