//! Bucket management on [`Broker`]: bind, create, declare (get-or-create), delete, list.
//! Each call connects the broker first (idempotent), so startup hooks can use them.

use std::future::IntoFuture;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};

use super::Broker;
use crate::error::{ConfigProblem, Error, Result};
use crate::kv::store::Store;
use crate::kv::{self, KeyValue, validate_bucket};

impl Broker {
    /// The bucket `bucket`: `.await` it to bind an existing bucket
    /// ([`Error::BucketNotFound`] if there is none), or
    /// [`declare`](KeyValueBinding::declare) it to create it when missing.
    pub fn key_value(&self, bucket: impl Into<String>) -> KeyValueBinding {
        KeyValueBinding {
            broker: self.clone(),
            bucket: bucket.into(),
        }
    }

    /// Creates a bucket. Creating it again with the same configuration returns it; with
    /// another configuration fails with [`Error::BucketExists`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBucket`] / [`Error::InvalidConfig`] before anything is sent;
    /// [`Error::BucketExists`] when it exists with another configuration;
    /// [`Error::Unsupported`] for what the backend cannot do (replicas in memory, TTL
    /// markers before nats-server 2.11); [`Error::Nats`] when the server fails.
    pub async fn create_key_value(&self, config: kv::Config) -> Result<KeyValue> {
        let config = config.checked()?;
        let store = self.connected().await?.create_bucket(&config).await?;
        Ok(self.key_value_handle(store))
    }

    /// Changes an existing bucket's configuration; its keys stay (a lower `history`
    /// trims their older revisions at once).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBucket`] / [`Error::InvalidConfig`] before anything is sent (also
    /// [`ConfigProblem::CannotChange`] for a
    /// different storage, which the server cannot change); [`Error::BucketNotFound`];
    /// otherwise as [`create_key_value`](Self::create_key_value).
    pub async fn update_key_value(&self, config: kv::Config) -> Result<KeyValue> {
        let config = config.checked()?;
        let current = self.bind_key_value(&config.bucket).await?.status().await?;
        if current.config.storage != config.storage {
            return Err(Error::InvalidConfig {
                problem: ConfigProblem::CannotChange { what: "storage" },
            });
        }
        let store = self.connected().await?.update_bucket(&config).await?;
        Ok(self.key_value_handle(store))
    }

    /// Creates the bucket, or changes its configuration if it exists.
    ///
    /// # Errors
    ///
    /// As [`update_key_value`](Self::update_key_value) and
    /// [`create_key_value`](Self::create_key_value), without
    /// [`Error::BucketExists`] and [`Error::BucketNotFound`].
    pub async fn create_or_update_key_value(&self, config: kv::Config) -> Result<KeyValue> {
        match self.create_key_value(config.clone()).await {
            Err(Error::BucketExists { .. }) => self.update_key_value(config).await,
            created => created,
        }
    }

    /// Deletes a bucket with all its keys ([`Error::BucketNotFound`] if there is none).
    /// Watches on it end.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBucket`] before anything is sent; [`Error::BucketNotFound`];
    /// [`Error::Nats`] when the server fails.
    pub async fn delete_key_value(&self, bucket: &str) -> Result<()> {
        validate_bucket(bucket)?;
        self.connected().await?.delete_bucket(bucket).await
    }

    /// Every bucket with its configuration and size, by name.
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] when the broker cannot connect; [`Error::Nats`] when the
    /// server fails.
    pub async fn key_value_buckets(&self) -> Result<Vec<kv::Status>> {
        let mut buckets: Vec<kv::Status> = self.key_value_statuses().try_collect().await?;
        buckets.sort_by(|a, b| a.config.bucket.cmp(&b.config.bucket));
        Ok(buckets)
    }

    /// Every bucket's status as it comes from the server, page by page (thousands of
    /// buckets need not be held at once).
    ///
    /// # Errors
    ///
    /// Items are [`Error::Connect`] when the broker cannot connect, [`Error::Nats`]
    /// when the server fails.
    pub fn key_value_statuses(&self) -> BoxStream<'static, Result<kv::Status>> {
        let broker = self.clone();
        futures::stream::once(async move {
            let statuses = broker.connected().await?.bucket_statuses();
            Ok::<_, Error>(statuses)
        })
        .try_flatten()
        .boxed()
    }

    /// Every bucket's name (without the stream's `KV_` prefix), as it comes.
    ///
    /// # Errors
    ///
    /// As [`key_value_statuses`](Self::key_value_statuses).
    pub fn key_value_bucket_names(&self) -> BoxStream<'static, Result<String>> {
        self.key_value_statuses()
            .map_ok(|status| status.config.bucket)
            .boxed()
    }

    async fn bind_key_value(&self, bucket: &str) -> Result<KeyValue> {
        validate_bucket(bucket)?;
        let store = self.connected().await?.bind_bucket(bucket).await?;
        Ok(self.key_value_handle(store))
    }

    fn key_value_handle(&self, store: Arc<dyn Store>) -> KeyValue {
        KeyValue::new(store, Arc::clone(&self.shared.closed))
    }
}

/// A bucket by name, from [`Broker::key_value`]: `.await` binds it,
/// [`declare`](Self::declare) gets or creates it.
#[must_use = "a binding does nothing until awaited or declared"]
pub struct KeyValueBinding {
    broker: Broker,
    bucket: String,
}

impl KeyValueBinding {
    /// Binds the bucket, creating it with `config` (its `bucket` field is replaced by
    /// this binding's name) when it does not exist. Idempotent, and safe when several
    /// apps declare the same bucket at once: an existing bucket is used as it is.
    ///
    /// # Errors
    ///
    /// As [`Broker::create_key_value`], except that an existing bucket is no error.
    pub async fn declare(self, config: kv::Config) -> Result<KeyValue> {
        let config = kv::Config {
            bucket: self.bucket,
            ..config
        }
        .checked()?;
        match self.broker.bind_key_value(&config.bucket).await {
            Err(Error::BucketNotFound { .. }) => {}
            bound => return bound,
        }
        match self.broker.create_key_value(config.clone()).await {
            // Someone else created it between our bind and create: use theirs.
            Err(Error::BucketExists { .. }) => self.broker.bind_key_value(&config.bucket).await,
            created => created,
        }
    }
}

impl IntoFuture for KeyValueBinding {
    type Output = Result<KeyValue>;
    type IntoFuture = BoxFuture<'static, Result<KeyValue>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.broker.bind_key_value(&self.bucket).await })
    }
}
