//! Reading async-nats's errors: by kind, and by the JetStream error code in their
//! chain — never by their text.

use async_nats::jetstream::context::{
    ConsumerInfoError, ConsumerInfoErrorKind, CreateStreamError, CreateStreamErrorKind,
    GetStreamError, GetStreamErrorKind,
};
use async_nats::jetstream::stream::{ConsumerError, ConsumerErrorKind};
use async_nats::jetstream::{self, ErrorCode};

use crate::error::{BoxError, Error, JsErrorCode, NatsOperation};

/// A failure talking to the server while doing `operation`: a JetStream refusal, by
/// its error code, when the server refused; otherwise the client's error.
pub(crate) fn nats_error(operation: NatsOperation, source: impl Into<BoxError>) -> Error {
    let source = source.into();
    if let Some(refusal) = refusal(source.as_ref()) {
        return Error::JetStream {
            operation,
            code: JsErrorCode(u32::try_from(refusal.error_code().0).unwrap_or(u32::MAX)),
            description: description(&refusal),
        };
    }
    Error::Nats { operation, source }
}

/// The server's description of its refusal somewhere in `error`'s chain.
pub(crate) fn refusal_description(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    refusal(error).map(|refusal| description(&refusal))
}

/// The server's description of `refusal`: async-nats shows it followed by the codes.
fn description(refusal: &jetstream::Error) -> String {
    let shown = refusal.to_string();
    match shown.rfind(" (code ") {
        Some(end) => shown[..end].to_owned(),
        None => shown,
    }
}

/// The JetStream error code somewhere in `error`'s chain: as a source, or inside the
/// kind of a stream-management error.
pub(crate) fn jetstream_code(error: &(dyn std::error::Error + 'static)) -> Option<ErrorCode> {
    if let Some(refusal) = refusal(error) {
        return Some(refusal.error_code());
    }
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(info) = error.downcast_ref::<ConsumerInfoError>() {
            match info.kind() {
                ConsumerInfoErrorKind::NotFound => return Some(ErrorCode::CONSUMER_NOT_FOUND),
                ConsumerInfoErrorKind::StreamNotFound => return Some(ErrorCode::STREAM_NOT_FOUND),
                _ => {}
            }
        }
        next = error.source();
    }
    None
}

/// The server's API error somewhere in `error`'s chain: as a source, or inside the kind
/// of a stream-management error.
fn refusal(error: &(dyn std::error::Error + 'static)) -> Option<jetstream::Error> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(jetstream) = error.downcast_ref::<jetstream::Error>() {
            return Some(jetstream.clone());
        }
        if let Some(get) = error.downcast_ref::<GetStreamError>()
            && let GetStreamErrorKind::JetStream(jetstream) = get.kind()
        {
            return Some(jetstream);
        }
        if let Some(create) = error.downcast_ref::<CreateStreamError>()
            && let CreateStreamErrorKind::JetStream(jetstream) = create.kind()
        {
            return Some(jetstream);
        }
        if let Some(consumer) = error.downcast_ref::<ConsumerError>()
            && let ConsumerErrorKind::JetStream(jetstream) = consumer.kind()
        {
            return Some(jetstream);
        }
        if let Some(info) = error.downcast_ref::<ConsumerInfoError>()
            && let ConsumerInfoErrorKind::JetStream(jetstream) = info.kind()
        {
            return Some(jetstream);
        }
        next = error.source();
    }
    None
}

/// Whether the server said the stream does not exist.
pub(crate) fn is_stream_not_found(error: &(dyn std::error::Error + 'static)) -> bool {
    jetstream_code(error) == Some(ErrorCode::STREAM_NOT_FOUND)
}
