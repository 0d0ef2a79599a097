//! A stream as a client sees it, by name as on a server: once the stream is deleted and
//! created again, the handle reaches the new one.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures::future::{BoxFuture, ready};

use super::consumer_handle::MemoryConsumer;
use super::push::MemoryPushConsumer;
use super::{MemoryStream, Registry};
use crate::error::Result;
use crate::jetstream::store::{ConsumerStore, Purge, PushConsumerStore, StreamStore};
use crate::jetstream::{ConsumerConfig, ConsumerInfo, StoredMessage, StreamInfo};

pub(super) struct StreamHandle {
    name: Arc<str>,
    registry: Registry,
    /// The stream of that name when last looked up.
    current: Mutex<Arc<MemoryStream>>,
}

impl StreamHandle {
    pub(super) fn store(stream: &Arc<MemoryStream>, registry: &Registry) -> Arc<dyn StreamStore> {
        Arc::new(Self {
            name: stream.name().into(),
            registry: Arc::clone(registry),
            current: Mutex::new(Arc::clone(stream)),
        })
    }

    /// The stream of this name: the one looked up last, unless it was deleted since and
    /// another took its name.
    fn stream(&self) -> Arc<MemoryStream> {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.is_deleted() {
            let registry = self.registry.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(recreated) = registry.get(&*self.name) {
                *current = Arc::clone(recreated);
            }
        }
        Arc::clone(&current)
    }
}

impl StreamStore for StreamHandle {
    fn name(&self) -> &Arc<str> {
        &self.name
    }

    fn info(&self) -> BoxFuture<'_, Result<StreamInfo>> {
        Box::pin(ready(self.stream().info()))
    }

    fn purge(&self, purge: Purge) -> BoxFuture<'_, Result<u64>> {
        Box::pin(ready(self.stream().purge(&purge)))
    }

    fn message(&self, sequence: u64) -> BoxFuture<'_, Result<Option<StoredMessage>>> {
        Box::pin(ready(self.stream().message(sequence)))
    }

    fn last_message<'a>(
        &'a self,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredMessage>>> {
        Box::pin(ready(self.stream().last_message(subject)))
    }

    fn subject_counts<'a>(
        &'a self,
        filter: &'a str,
    ) -> BoxFuture<'a, Result<BTreeMap<String, u64>>> {
        Box::pin(ready(self.stream().subject_counts(filter)))
    }

    fn deleted_sequences(&self) -> BoxFuture<'_, Result<Vec<u64>>> {
        Box::pin(ready(self.stream().deleted_sequences()))
    }

    fn delete_message(&self, sequence: u64) -> BoxFuture<'_, Result<bool>> {
        Box::pin(ready(self.stream().delete_message(sequence)))
    }

    fn create_consumer<'a>(
        &'a self,
        config: &'a ConsumerConfig,
    ) -> BoxFuture<'a, Result<Arc<dyn ConsumerStore>>> {
        let stream = self.stream();
        let created = stream
            .create_consumer(config, false)
            .map(|name| MemoryConsumer::store(stream, name));
        Box::pin(ready(created))
    }

    fn create_push_consumer<'a>(
        &'a self,
        config: &'a ConsumerConfig,
    ) -> BoxFuture<'a, Result<Arc<dyn PushConsumerStore>>> {
        let stream = self.stream();
        let created = stream.create_consumer(config, true).map(|name| {
            let pushed = MemoryPushConsumer::new(stream, name, config.inactive_threshold);
            Arc::new(pushed) as Arc<dyn PushConsumerStore>
        });
        Box::pin(ready(created))
    }

    fn bind_consumer<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Arc<dyn ConsumerStore>>> {
        let stream = self.stream();
        let bound = stream
            .check_consumer(name)
            .map(|()| MemoryConsumer::store(stream, name.to_owned()));
        Box::pin(ready(bound))
    }

    fn consumer_info<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<ConsumerInfo>> {
        Box::pin(ready(self.stream().consumer_info(name)))
    }

    fn delete_consumer<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(ready(self.stream().delete_consumer(name)))
    }
}
