//! Streams on [`Broker`]: bind, create, update, declare (get-or-create, merging
//! subjects as FastStream does), delete, list, and publishing with an acknowledgement.
//! Each call connects the broker first (idempotent), so startup hooks can use them.

use std::future::IntoFuture;

use bytes::Bytes;
use futures::future::BoxFuture;

use serde::Serialize;

use super::{Broker, json_reply};
use crate::error::{Error, Result};
use crate::jetstream::{PublishAck, PublishOptions, Stream, StreamConfig, validate_stream_name};
use crate::subject::validate_publish_subject;
use crate::trace::propagate;
use crate::wire::with_correlation_id;
use faststream_kv_subject::matches;

impl Broker {
    /// The stream `name`: `.await` it to bind an existing stream
    /// ([`Error::StreamNotFound`] if there is none), or
    /// [`declare`](StreamBinding::declare) it.
    pub fn stream(&self, name: impl Into<String>) -> StreamBinding {
        StreamBinding {
            broker: self.clone(),
            name: name.into(),
        }
    }

    /// Creates a stream. Creating it again with the same configuration returns it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidStreamName`] / [`Error::InvalidConfig`] /
    /// [`Error::InvalidSubject`] before anything is sent; [`Error::StreamExists`] when
    /// it exists with another configuration; [`Error::SubjectsOverlap`];
    /// [`Error::Unsupported`] for what the backend cannot do; [`Error::Nats`] when the
    /// server fails.
    pub async fn create_stream(&self, config: StreamConfig) -> Result<Stream> {
        config.validate()?;
        let store = self.connected().await?.create_stream(&config).await?;
        Ok(Stream::new(store))
    }

    /// Changes an existing stream's configuration; its messages stay (within the new
    /// limits).
    ///
    /// # Errors
    ///
    /// [`Error::StreamNotFound`]; [`Error::StreamExists`] for a change the server
    /// cannot make (storage, retention to or from work queue, ...); otherwise as
    /// [`create_stream`](Self::create_stream).
    pub async fn update_stream(&self, config: StreamConfig) -> Result<Stream> {
        config.validate()?;
        let store = self.connected().await?.update_stream(&config).await?;
        Ok(Stream::new(store))
    }

    /// Deletes a stream and its messages.
    ///
    /// # Errors
    ///
    /// [`Error::StreamNotFound`]; [`Error::Nats`] when the server fails.
    pub async fn delete_stream(&self, name: &str) -> Result<()> {
        validate_stream_name(name)?;
        self.connected().await?.delete_stream(name).await
    }

    /// The names of every stream, Key-Value buckets' (`KV_<bucket>`) included, sorted.
    ///
    /// # Errors
    ///
    /// [`Error::Nats`] when the server fails.
    pub async fn stream_names(&self) -> Result<Vec<String>> {
        let mut names = self.connected().await?.stream_names().await?;
        names.sort_unstable();
        Ok(names)
    }

    /// Publishes to a stream and waits for its acknowledgement (with a
    /// `correlation_id` header, as [`publish`](Self::publish)).
    ///
    /// # Errors
    ///
    /// [`Error::NoStream`] when no stream stores `subject`; [`Error::StreamFull`];
    /// [`Error::MessageTooLarge`]; [`Error::Unavailable`] when no acknowledgement came
    /// in time (the message may have been stored); otherwise as
    /// [`publish`](Self::publish).
    pub async fn stream_publish(
        &self,
        subject: &str,
        payload: impl Into<Bytes>,
    ) -> Result<PublishAck> {
        self.stream_publish_with(subject, payload, PublishOptions::new())
            .await
    }

    /// Publishes `value` as JSON (`content-type: application/json`) to a stream and waits
    /// for its acknowledgement.
    ///
    /// # Errors
    ///
    /// [`Error::Encode`] when `value` does not serialize; otherwise as
    /// [`stream_publish`](Self::stream_publish).
    pub async fn stream_publish_json<T: Serialize + ?Sized>(
        &self,
        subject: &str,
        value: &T,
    ) -> Result<PublishAck> {
        let (payload, headers) = json_reply(value)?.into_parts();
        let options = match headers {
            Some(headers) => PublishOptions::new().headers(headers),
            None => PublishOptions::new(),
        };
        self.stream_publish_with(subject, payload, options).await
    }

    /// Publishes to a stream with a message id, expectations or headers, and waits for
    /// its acknowledgement.
    ///
    /// # Errors
    ///
    /// [`Error::WrongLastSequence`], [`Error::WrongLastMessageId`],
    /// [`Error::WrongStream`] when an expectation fails; otherwise as
    /// [`stream_publish`](Self::stream_publish).
    pub async fn stream_publish_with(
        &self,
        subject: &str,
        payload: impl Into<Bytes>,
        options: PublishOptions,
    ) -> Result<PublishAck> {
        validate_publish_subject(subject)?;
        let headers = with_correlation_id(propagate(Some(options.to_headers())), None);
        let (connection, payload) = (self.connected().await?, payload.into());
        self.observe(subject, None, &headers, &payload);
        connection.stream_publish(subject, headers, payload).await
    }

    async fn bind_stream(&self, name: &str) -> Result<Stream> {
        validate_stream_name(name)?;
        let store = self.connected().await?.bind_stream(name).await?;
        Ok(Stream::new(store))
    }
}

/// A stream by name, from [`Broker::stream`]: `.await` binds it,
/// [`declare`](Self::declare) gets or creates it.
#[must_use = "a binding does nothing until awaited or declared"]
pub struct StreamBinding {
    broker: Broker,
    name: String,
}

impl StreamBinding {
    /// The stream as `config` says (its `name` is replaced by this binding's): created
    /// when missing; when it exists, `config`'s subjects are added to its own (as
    /// FastStream's declare does) and it is updated if anything else differs.
    /// Idempotent, and safe when several apps declare the same stream at once.
    ///
    /// # Errors
    ///
    /// [`Error::StreamExists`] when the existing stream cannot become what `config`
    /// says; otherwise as [`Broker::create_stream`].
    pub async fn declare(self, config: StreamConfig) -> Result<Stream> {
        let config = StreamConfig {
            name: self.name.clone(),
            ..config
        };
        config.validate()?;
        self.bind_or_create(&config, async |existing| {
            declared(&self.broker, existing, config.clone()).await
        })
        .await
    }

    /// The stream, with a subject covering `subject`: created with just that subject
    /// when missing; when it exists and none of its subjects covers `subject`, it is
    /// added, in place of those it covers (nothing else changes). What a stream
    /// subscriber declares.
    pub(crate) async fn with_subject(self, subject: &str) -> Result<Stream> {
        let created = StreamConfig {
            subjects: vec![subject.to_owned()],
            ..StreamConfig::new(self.name.as_str())
        };
        created.validate()?;
        self.bind_or_create(&created, async |existing| {
            let mut config = existing.info().await?.config;
            if config.subjects.iter().any(|own| matches(own, subject)) {
                return Ok(existing);
            }
            config.subjects.retain(|own| !matches(subject, own));
            config.subjects.push(subject.to_owned());
            self.broker.update_stream(config).await
        })
        .await
    }

    /// The stream made what `update` makes of it, or created as `created` when it is
    /// missing; one that someone else created between the bind and the create is bound
    /// after all, so several apps may declare the same stream at once.
    async fn bind_or_create(
        &self,
        created: &StreamConfig,
        update: impl AsyncFnOnce(Stream) -> Result<Stream>,
    ) -> Result<Stream> {
        loop {
            match self.broker.bind_stream(&self.name).await {
                Ok(existing) => return update(existing).await,
                Err(Error::StreamNotFound { .. }) => {}
                Err(error) => return Err(error),
            }
            match self.broker.create_stream(created.clone()).await {
                // Someone else created it between our bind and create: take theirs.
                Err(Error::StreamExists { .. }) => continue,
                created => return created,
            }
        }
    }
}

/// `existing`, updated to `config` with its own subjects kept, unless it is that already.
async fn declared(broker: &Broker, existing: Stream, config: StreamConfig) -> Result<Stream> {
    let current = existing.info().await?.config;
    let mut wanted = config.with_subjects_of(&current);
    // No window asked for: the one the server chose is fine.
    wanted.duplicate_window = wanted.duplicate_window.or(current.duplicate_window);
    if same_config(&current, &wanted) {
        return Ok(existing);
    }
    broker.update_stream(wanted).await
}

/// Whether two configurations are the same but for the order of their subjects.
fn same_config(current: &StreamConfig, wanted: &StreamConfig) -> bool {
    let sorted = |config: &StreamConfig| {
        let mut subjects = config.subjects.clone();
        subjects.sort_unstable();
        StreamConfig {
            subjects,
            ..config.clone()
        }
    };
    sorted(current) == sorted(wanted)
}

impl IntoFuture for StreamBinding {
    type Output = Result<Stream>;
    type IntoFuture = BoxFuture<'static, Result<Stream>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.broker.bind_stream(&self.name).await })
    }
}
