//! Publishing to a stream on a NATS server and reading its acknowledgement.

use async_nats::HeaderMap;
use async_nats::jetstream::ErrorCode;
use async_nats::jetstream::context::{PublishError, PublishErrorKind};
use bytes::Bytes;

use crate::backend::nats::error::{jetstream_code, nats_error};
use crate::backend::nats::jetstream::JetStream;
use crate::error::{Error, NatsOperation, Result};
use crate::jetstream::{PublishAck, header};
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
    last_message_id: Option<String>,
    stream: Option<String>,
}

impl Expected {
    fn of(headers: &HeaderMap) -> Self {
        let value = |name: &str| headers.get(name).map(|value| value.as_str());
        Self {
            last_sequence: value(header::EXPECTED_LAST_SEQUENCE)
                .or_else(|| value(header::EXPECTED_LAST_SUBJECT_SEQUENCE))
                .and_then(|sequence| sequence.parse().ok()),
            last_message_id: value(header::EXPECTED_LAST_MESSAGE_ID).map(str::to_owned),
            stream: value(header::EXPECTED_STREAM).map(str::to_owned),
        }
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
        PublishErrorKind::WrongLastSequence => Error::WrongLastSequence {
            subject,
            expected: expected.last_sequence.unwrap_or_default(),
        },
        PublishErrorKind::WrongLastMessageId => Error::WrongLastMessageId {
            subject,
            expected: expected.last_message_id.unwrap_or_default(),
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
            // The store refused it: a discard-new stream at a limit.
            Some(ErrorCode::STREAM_STORE_FAILED) => match stream_of(jetstream, &subject).await {
                Some((stream, _)) => Error::StreamFull { stream },
                None => nats_error(NatsOperation::StreamPublish, error),
            },
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
