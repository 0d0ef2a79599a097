//! Reading async-nats's errors: by kind, and by the JetStream error code in their
//! chain — never by their text.

use async_nats::jetstream::context::{
    ConsumerInfoError, ConsumerInfoErrorKind, CreateStreamError, CreateStreamErrorKind,
    GetStreamError, GetStreamErrorKind,
};
use async_nats::jetstream::stream::{ConsumerError, ConsumerErrorKind};
use async_nats::jetstream::{self, ErrorCode};

use crate::error::{BoxError, Error, NatsOperation};

/// A failure talking to the server while doing `operation`.
pub(crate) fn nats_error(operation: NatsOperation, source: impl Into<BoxError>) -> Error {
    Error::Nats {
        operation,
        source: source.into(),
    }
}

/// The JetStream error code somewhere in `error`'s chain: as a source, or inside the
/// kind of a stream-management error.
pub(crate) fn jetstream_code(error: &(dyn std::error::Error + 'static)) -> Option<ErrorCode> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(jetstream) = error.downcast_ref::<jetstream::Error>() {
            return Some(jetstream.error_code());
        }
        if let Some(get) = error.downcast_ref::<GetStreamError>()
            && let GetStreamErrorKind::JetStream(jetstream) = get.kind()
        {
            return Some(jetstream.error_code());
        }
        if let Some(create) = error.downcast_ref::<CreateStreamError>()
            && let CreateStreamErrorKind::JetStream(jetstream) = create.kind()
        {
            return Some(jetstream.error_code());
        }
        if let Some(consumer) = error.downcast_ref::<ConsumerError>()
            && let ConsumerErrorKind::JetStream(jetstream) = consumer.kind()
        {
            return Some(jetstream.error_code());
        }
        if let Some(info) = error.downcast_ref::<ConsumerInfoError>() {
            match info.kind() {
                ConsumerInfoErrorKind::JetStream(jetstream) => return Some(jetstream.error_code()),
                ConsumerInfoErrorKind::NotFound => return Some(ErrorCode::CONSUMER_NOT_FOUND),
                ConsumerInfoErrorKind::StreamNotFound => return Some(ErrorCode::STREAM_NOT_FOUND),
                _ => {}
            }
        }
        next = error.source();
    }
    None
}

/// Whether the server said the stream does not exist.
pub(crate) fn is_stream_not_found(error: &(dyn std::error::Error + 'static)) -> bool {
    jetstream_code(error) == Some(ErrorCode::STREAM_NOT_FOUND)
}
