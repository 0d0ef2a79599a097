//! Key-Value buckets of the memory broker: the registry (create, bind, delete, list);
//! each bucket lives in [`bucket`].

mod bucket;
mod connection_bucket;
mod replication;
mod republish;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use bucket::MemoryBucket;
use connection_bucket::ConnectionBucket;

use crate::backend_kind::BackendKind;
use crate::error::{Error, Result};
use crate::kv;
use crate::kv::store::Store;
pub(crate) use republish::Publish;

/// Refuses what one node cannot keep: replicas.
fn one_node(config: &kv::Config) -> Result<()> {
    if config.replicas > 1 {
        return Err(Error::Unsupported {
            backend: BackendKind::Memory,
            what: format!(
                "{} replicas (the memory broker is one node)",
                config.replicas
            ),
        });
    }
    Ok(())
}

/// The buckets of one memory broker, by name.
type Buckets = Mutex<BTreeMap<String, Arc<MemoryBucket>>>;

/// The buckets, shared with the handles, which look a bucket up again once it was
/// deleted, and with the tasks that copy sources.
type Registry = Arc<Buckets>;

/// The buckets of one memory broker.
pub(crate) struct KvBuckets {
    buckets: Registry,
    /// The broker's `max_payload`, which every write keeps.
    max_payload: usize,
    /// Publishes on the broker, for republishing buckets.
    publish: Publish,
}

impl KvBuckets {
    pub(crate) fn new(max_payload: usize, publish: Publish) -> Self {
        Self {
            buckets: Registry::default(),
            max_payload,
            publish,
        }
    }

    /// Creates a bucket; creating it again with the same configuration returns it (as
    /// JetStream does), with another configuration fails.
    pub(crate) fn create(&self, config: &kv::Config, connection: u64) -> Result<Arc<dyn Store>> {
        one_node(config)?;
        replication::check(config)?;
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(existing) = buckets.get(&config.bucket) {
            if existing.config() == *config {
                return Ok(ConnectionBucket::store(existing, &self.buckets, connection));
            }
            return Err(Error::BucketExists {
                bucket: config.bucket.clone(),
            });
        }
        let bucket = MemoryBucket::new(config.clone(), self.max_payload, Arc::clone(&self.publish));
        buckets.insert(config.bucket.clone(), Arc::clone(&bucket));
        replication::start(&bucket, &self.buckets);
        Ok(ConnectionBucket::store(&bucket, &self.buckets, connection))
    }

    /// Changes an existing bucket's configuration; its data stays (trimmed to a lower
    /// `history`). Its mirror and sources stay as they are.
    pub(crate) fn update(&self, config: &kv::Config, connection: u64) -> Result<Arc<dyn Store>> {
        one_node(config)?;
        let buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(bucket) = buckets.get(&config.bucket) else {
            return Err(Error::BucketNotFound {
                bucket: config.bucket.clone(),
            });
        };
        let current = bucket.config();
        if current.mirror != config.mirror || current.sources != config.sources {
            return Err(Error::Unsupported {
                backend: BackendKind::Memory,
                what: "changing a bucket's mirror or sources".to_owned(),
            });
        }
        bucket.reconfigure(config.clone());
        Ok(ConnectionBucket::store(bucket, &self.buckets, connection))
    }

    pub(crate) fn bind(&self, name: &str, connection: u64) -> Result<Arc<dyn Store>> {
        let buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        match buckets.get(name) {
            Some(bucket) => Ok(ConnectionBucket::store(bucket, &self.buckets, connection)),
            None => Err(Error::BucketNotFound {
                bucket: name.to_owned(),
            }),
        }
    }

    pub(crate) fn delete(&self, name: &str) -> Result<()> {
        let removed = self
            .buckets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
        match removed {
            Some(bucket) => {
                bucket.mark_deleted();
                Ok(())
            }
            None => Err(Error::BucketNotFound {
                bucket: name.to_owned(),
            }),
        }
    }

    /// Ends the watches `connection` opened (it closed); the buckets keep their data.
    pub(crate) fn end_watches_of(&self, connection: u64) {
        let buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        buckets
            .values()
            .for_each(|bucket| bucket.end_watches_of(connection));
    }

    pub(crate) fn list(&self) -> Result<Vec<kv::Status>> {
        let buckets: Vec<_> = self
            .buckets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        buckets
            .iter()
            .map(|bucket| bucket.current_status())
            .collect()
    }
}
