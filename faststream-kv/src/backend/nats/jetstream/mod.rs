//! JetStream on a NATS server, through async-nats: the connection's way to its API,
//! and streams.

mod admin;
mod api;
mod consumer;
mod convert;
mod publish;
mod pull_stream;
mod pulls;
mod push;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_nats::jetstream::consumer::{FromConsumer, IntoConsumerConfig, pull};
use async_nats::jetstream::stream::{self, DeleteMessageErrorKind, LastRawMessageErrorKind};
use async_nats::jetstream::{ErrorCode, message::StreamMessage};
use futures::TryStreamExt;
use futures::future::BoxFuture;

pub(crate) use admin::{bind, create, delete, names, update};
pub(crate) use api::{JetStream, LOCAL_PREFIX};
use convert::info_from_nats;
pub(crate) use publish::publish;

use super::error::{is_stream_not_found, jetstream_code, nats_error};
use super::sessions::Sessions;
use crate::error::{BoxError, Error, NatsOperation, Result};
use crate::jetstream::store::{ConsumerStore, Purge, PushConsumerStore, StreamStore};
use crate::jetstream::{ConsumerConfig, ConsumerInfo, StoredMessage, StreamInfo};
use consumer::NatsConsumer;
use push::NatsPushConsumer;

/// One bound stream.
pub(crate) struct NatsStream {
    name: Arc<str>,
    stream: stream::Stream,
    /// For its consumers' acknowledgements, each within `bound`.
    client: async_nats::Client,
    bound: Duration,
    /// The JetStream API prefix its consumers' pulls go to.
    api_prefix: Arc<str>,
    /// Tells its pull consumers' deliveries from before a reconnect.
    sessions: Sessions,
}

impl NatsStream {
    fn new(stream: stream::Stream, jetstream: &JetStream) -> Self {
        Self {
            name: stream.cached_info().config.name.as_str().into(),
            stream,
            client: jetstream.client(),
            bound: jetstream.bound(),
            api_prefix: jetstream.prefix().into(),
            sessions: jetstream.sessions().clone(),
        }
    }

    fn consumer_error(
        &self,
        operation: NatsOperation,
        consumer: &str,
        error: impl Into<BoxError>,
    ) -> Error {
        let error = error.into();
        match jetstream_code(error.as_ref()) {
            Some(ErrorCode::CONSUMER_NOT_FOUND) => Error::ConsumerNotFound {
                stream: self.name.to_string(),
                consumer: consumer.to_owned(),
            },
            _ => self.error(operation, error),
        }
    }

    async fn create(&self, config: &ConsumerConfig) -> Result<Arc<dyn ConsumerStore>> {
        let pull = pull::Config::try_from_consumer_config(consumer::to_nats(config))
            .map_err(|error| nats_error(NatsOperation::ConsumerCreate, error))?;
        let created = self.create_or_update(config, pull).await?;
        Ok(Arc::new(NatsConsumer::new(created, self)))
    }

    async fn create_push(&self, config: &ConsumerConfig) -> Result<Arc<dyn PushConsumerStore>> {
        let nats = push::config(self, config).await?;
        let created = self.create_or_update(config, nats).await?;
        Ok(Arc::new(NatsPushConsumer::new(created, self)))
    }

    /// Creates the consumer, or updates the durable one of its name.
    async fn create_or_update<C: IntoConsumerConfig + FromConsumer>(
        &self,
        config: &ConsumerConfig,
        nats: C,
    ) -> Result<async_nats::jetstream::consumer::Consumer<C>> {
        match self.stream.create_consumer(nats).await {
            Ok(created) => Ok(created),
            // A durable that exists with a configuration it cannot change to: the server
            // says which.
            Err(error)
                if config.durable.is_some()
                    && matches!(
                        jetstream_code(&error),
                        Some(ErrorCode::CONSUMER_CREATE | ErrorCode::CONSUMER_NAME_EXIST)
                    ) =>
            {
                Err(Error::ConsumerExists {
                    stream: self.name.to_string(),
                    consumer: config.durable.clone().unwrap_or_default(),
                    reason: error.to_string(),
                })
            }
            Err(error)
                if matches!(
                    jetstream_code(&error),
                    Some(
                        ErrorCode::CONSUMER_WQ_MULTIPLE_UNFILTERED
                            | ErrorCode::CONSUMER_WQ_CONSUMER_NOT_UNIQUE
                            | ErrorCode::CONSUMER_WQ_CONSUMER_NOT_DELIVER_ALL
                            | ErrorCode::CONSUMER_PULL_REQUIRES_ACK
                            | ErrorCode::CONSUMER_WQ_REQUIRES_EXPLICIT_ACK
                    )
                ) =>
            {
                Err(Error::WorkQueueConsumer {
                    stream: self.name.to_string(),
                    reason: error.to_string(),
                })
            }
            Err(error) => Err(self.error(NatsOperation::ConsumerCreate, error)),
        }
    }

    async fn bind(&self, name: &str) -> Result<Arc<dyn ConsumerStore>> {
        match self.stream.get_consumer::<pull::Config>(name).await {
            Ok(bound) => Ok(Arc::new(NatsConsumer::new(bound, self))),
            Err(error) => Err(self.consumer_error(NatsOperation::ConsumerBind, name, error)),
        }
    }

    async fn remove_consumer(&self, name: &str) -> Result<()> {
        match self.stream.delete_consumer(name).await {
            Ok(_) => Ok(()),
            Err(error) => Err(self.consumer_error(NatsOperation::ConsumerDelete, name, error)),
        }
    }

    /// `error`, or [`Error::StreamNotFound`] when it says the stream is gone.
    fn error(&self, operation: NatsOperation, error: impl Into<BoxError>) -> Error {
        let error = error.into();
        if is_stream_not_found(error.as_ref()) {
            return Error::StreamNotFound {
                stream: self.name.to_string(),
            };
        }
        nats_error(operation, error)
    }

    async fn read_info(&self) -> Result<StreamInfo> {
        let mut stream = self.stream.clone();
        match stream.info().await {
            Ok(info) => Ok(info_from_nats(info)),
            Err(error) => Err(self.error(NatsOperation::StreamInfo, error)),
        }
    }

    /// Whether the stream's configuration says `denied` (after the server refused).
    async fn denies(&self, denied: fn(&crate::jetstream::StreamConfig) -> bool) -> bool {
        self.read_info()
            .await
            .is_ok_and(|info| denied(&info.config))
    }

    async fn purge_messages(&self, purge: Purge) -> Result<u64> {
        let request = self.stream.purge();
        let purged = match (purge.filter, purge.keep, purge.before) {
            (Some(filter), _, Some(before)) => request.filter(filter).sequence(before).await,
            (None, _, Some(before)) => request.sequence(before).await,
            (Some(filter), Some(keep), None) => request.filter(filter).keep(keep).await,
            (Some(filter), None, None) => request.filter(filter).await,
            (None, Some(keep), None) => request.keep(keep).await,
            (None, None, None) => request.await,
        };
        match purged {
            Ok(response) => Ok(response.purged),
            Err(error) if self.denies(|config| config.deny_purge).await => {
                drop(error);
                Err(Error::StreamDenies {
                    stream: self.name.to_string(),
                    what: "purge",
                })
            }
            Err(error) => Err(self.error(NatsOperation::StreamPurge, error)),
        }
    }

    async fn remove_message(&self, sequence: u64) -> Result<bool> {
        let error = match self.stream.delete_message(sequence).await {
            Ok(deleted) => return Ok(deleted),
            Err(error) => error,
        };
        let DeleteMessageErrorKind::JetStream(refused) = error.kind() else {
            return Err(self.error(NatsOperation::StreamDeleteMessage, error));
        };
        if self.denies(|config| config.deny_delete).await {
            return Err(Error::StreamDenies {
                stream: self.name.to_string(),
                what: "delete",
            });
        }
        // The server says "no message found" with the code of a failed delete.
        let missing = [
            ErrorCode::STREAM_MESSAGE_DELETE_FAILED,
            ErrorCode::NO_MESSAGE_FOUND,
            ErrorCode::SEQUENCE_NOT_FOUND,
        ];
        if missing.contains(&refused.error_code()) {
            return Ok(false);
        }
        Err(self.error(NatsOperation::StreamDeleteMessage, error))
    }
}

fn stored(message: StreamMessage) -> StoredMessage {
    StoredMessage {
        subject: message.subject.to_string(),
        sequence: message.sequence,
        headers: message.headers,
        payload: message.payload,
        time: SystemTime::from(message.time),
    }
}

impl StreamStore for NatsStream {
    fn name(&self) -> &Arc<str> {
        &self.name
    }

    fn info(&self) -> BoxFuture<'_, Result<StreamInfo>> {
        Box::pin(self.read_info())
    }

    fn purge(&self, purge: Purge) -> BoxFuture<'_, Result<u64>> {
        Box::pin(self.purge_messages(purge))
    }

    fn message(&self, sequence: u64) -> BoxFuture<'_, Result<Option<StoredMessage>>> {
        Box::pin(async move {
            match self.stream.get_raw_message(sequence).await {
                Ok(message) => Ok(Some(stored(message))),
                Err(error) if error.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(None),
                Err(error) => Err(self.error(NatsOperation::StreamGet, error)),
            }
        })
    }

    fn last_message<'a>(
        &'a self,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredMessage>>> {
        Box::pin(async move {
            match self.stream.get_last_raw_message_by_subject(subject).await {
                Ok(message) => Ok(Some(stored(message))),
                Err(error) if error.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(None),
                Err(error) => Err(self.error(NatsOperation::StreamGet, error)),
            }
        })
    }

    fn subject_counts<'a>(
        &'a self,
        filter: &'a str,
    ) -> BoxFuture<'a, Result<BTreeMap<String, u64>>> {
        Box::pin(async move {
            let error = |error| self.error(NatsOperation::StreamInfo, error);
            let counts = self
                .stream
                .info_with_subjects(filter)
                .await
                .map_err(error)?;
            counts
                .map_ok(|(subject, count)| (subject, count as u64))
                .try_collect()
                .await
                .map_err(error)
        })
    }

    fn deleted_sequences(&self) -> BoxFuture<'_, Result<Vec<u64>>> {
        Box::pin(async move {
            let details = self.stream.info_builder().with_deleted(true).fetch().await;
            match details {
                Ok(details) => Ok(details.info.state.deleted.unwrap_or_default()),
                Err(error) => Err(self.error(NatsOperation::StreamInfo, error)),
            }
        })
    }

    fn delete_message(&self, sequence: u64) -> BoxFuture<'_, Result<bool>> {
        Box::pin(self.remove_message(sequence))
    }

    fn create_consumer<'a>(
        &'a self,
        config: &'a ConsumerConfig,
    ) -> BoxFuture<'a, Result<Arc<dyn ConsumerStore>>> {
        Box::pin(self.create(config))
    }

    fn create_push_consumer<'a>(
        &'a self,
        config: &'a ConsumerConfig,
    ) -> BoxFuture<'a, Result<Arc<dyn PushConsumerStore>>> {
        Box::pin(self.create_push(config))
    }

    fn bind_consumer<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Arc<dyn ConsumerStore>>> {
        Box::pin(self.bind(name))
    }

    fn consumer_info<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<ConsumerInfo>> {
        Box::pin(async move {
            match self.stream.consumer_info(name).await {
                Ok(info) => Ok(consumer::info_from_nats(&info)),
                Err(error) => Err(self.consumer_error(NatsOperation::ConsumerInfo, name, error)),
            }
        })
    }

    fn delete_consumer<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.remove_consumer(name))
    }
}
