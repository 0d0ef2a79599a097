//! Stream management on a NATS server: create, update, bind, delete, list.

use async_nats::jetstream::ErrorCode;
use async_nats::jetstream::context::{CreateStreamErrorKind, UpdateStreamErrorKind};
use futures::TryStreamExt;

use super::NatsStream;
use super::convert::to_nats;
use crate::backend::nats::error::{is_stream_not_found, jetstream_code, nats_error};
use crate::backend::nats::jetstream::JetStream;
use crate::error::{Error, NatsOperation, Result};
use crate::jetstream::StreamConfig;

/// Creates a stream; the same configuration again returns it.
pub(crate) async fn create(jetstream: &JetStream, config: &StreamConfig) -> Result<NatsStream> {
    match jetstream.context().create_stream(to_nats(config)).await {
        Ok(stream) => Ok(NatsStream::new(stream, jetstream)),
        Err(error) => Err(match (error.kind(), jetstream_code(&error)) {
            (_, Some(ErrorCode::STREAM_NAME_EXIST)) => Error::StreamExists {
                stream: config.name.clone(),
                reason: refusal(&error),
            },
            (_, Some(ErrorCode::STREAM_SUBJECT_OVERLAP)) => Error::SubjectsOverlap {
                stream: config.name.clone(),
            },
            (CreateStreamErrorKind::TimedOut, _) => Error::Unavailable {
                operation: NatsOperation::StreamCreate,
                after: jetstream.bound(),
                may_have_landed: true,
            },
            _ => nats_error(NatsOperation::StreamCreate, error),
        }),
    }
}

/// Changes a stream's configuration.
pub(crate) async fn update(jetstream: &JetStream, config: &StreamConfig) -> Result<NatsStream> {
    match jetstream.context().update_stream(to_nats(config)).await {
        Ok(_) => bind(jetstream, &config.name).await,
        Err(error) if error.kind() == UpdateStreamErrorKind::NotFound => {
            Err(Error::StreamNotFound {
                stream: config.name.clone(),
            })
        }
        Err(error) => Err(match jetstream_code(&error) {
            Some(ErrorCode::STREAM_SUBJECT_OVERLAP) => Error::SubjectsOverlap {
                stream: config.name.clone(),
            },
            // What a stream cannot become (storage, retention, ...): the server says why.
            Some(
                ErrorCode::STREAM_INVALID_CONFIG
                | ErrorCode::STREAM_UPDATE
                | ErrorCode::STREAM_MIRROR_NOT_UPDATABLE
                | ErrorCode::STREAM_REPLICAS_NOT_UPDATABLE,
            ) => Error::StreamExists {
                stream: config.name.clone(),
                reason: refusal(&error),
            },
            _ => nats_error(NatsOperation::StreamUpdate, error),
        }),
    }
}

pub(crate) async fn bind(jetstream: &JetStream, name: &str) -> Result<NatsStream> {
    match jetstream.context().get_stream(name).await {
        Ok(stream) => Ok(NatsStream::new(stream, jetstream)),
        Err(error) if is_stream_not_found(&error) => Err(Error::StreamNotFound {
            stream: name.to_owned(),
        }),
        Err(error) => Err(nats_error(NatsOperation::StreamBind, error)),
    }
}

pub(crate) async fn delete(jetstream: &JetStream, name: &str) -> Result<()> {
    match jetstream.context().delete_stream(name).await {
        Ok(_) => Ok(()),
        Err(error) if is_stream_not_found(&error) => Err(Error::StreamNotFound {
            stream: name.to_owned(),
        }),
        Err(error) => Err(nats_error(NatsOperation::StreamDelete, error)),
    }
}

pub(crate) async fn names(jetstream: &JetStream) -> Result<Vec<String>> {
    jetstream
        .context()
        .stream_names()
        .try_collect()
        .await
        .map_err(|error| nats_error(NatsOperation::StreamList, error))
}

/// What the server said, for the error.
fn refusal(error: &(dyn std::error::Error + 'static)) -> String {
    error.to_string()
}
