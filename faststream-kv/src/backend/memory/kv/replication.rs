//! Buckets fed by other buckets of the same memory broker, as nats-server feeds a
//! stream from its mirror or sources: a task per source watches the source bucket from
//! its first (or `start_revision`) revision and stores each revision in the bucket — a
//! mirror's under the origin's revision, a source's as the bucket's next, under the key
//! the source's subject transform gives. A source bucket not there yet, or deleted, is
//! waited for, as the server retries; the task ends with the bucket.

use std::sync::{Arc, PoisonError, Weak};
use std::time::Duration;

use faststream_kv_subject::Transform;
use futures::StreamExt;
use tokio::sync::oneshot;

use super::bucket::MemoryBucket;
use super::{Buckets, Registry};
use crate::backend_kind::BackendKind;
use crate::error::{Error, Result};
use crate::kv::store::{Events, Start};
use crate::kv::{self, Entry, Source, WatchEvent};

/// The connection id of the copying watches: no client's, so no disconnect ends them.
const COPYING: u64 = u64::MAX;

/// How often a missing source bucket is looked for again.
const SOURCE_RETRY: Duration = Duration::from_millis(50);

/// Refuses the mirror or sources one memory broker cannot copy: from another domain, or
/// from a stream that is not a bucket (streams come with the memory JetStream).
pub(super) fn check(config: &kv::Config) -> Result<()> {
    let unsupported = |what: String| {
        Err(Error::Unsupported {
            backend: BackendKind::Memory,
            what,
        })
    };
    for source in config.mirror.iter().chain(&config.sources) {
        if let Some(domain) = &source.domain {
            return unsupported(format!(
                "source `{}` in domain `{domain}` (the memory broker has one domain)",
                source.name
            ));
        }
        if !source.subject_transforms.is_empty() && !source.name.starts_with("KV_") {
            return unsupported(format!(
                "stream `{}` as a source (the memory broker's sources are buckets)",
                source.name
            ));
        }
    }
    if let Some(mirror) = &config.mirror
        && !mirror.subject_transforms.is_empty()
    {
        return unsupported("a mirror with subject transforms".to_owned());
    }
    Ok(())
}

/// Starts copying `bucket`'s mirror or sources into it.
pub(super) fn start(bucket: &MemoryBucket, registry: &Registry) {
    let config = bucket.config();
    let feeds = config
        .mirror
        .iter()
        .map(|mirror| Feed::new(mirror, Destination::Mirror))
        .chain(
            config
                .sources
                .iter()
                .map(|source| Feed::source(source, &config.bucket)),
        );
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!(bucket = %config.bucket, "no tokio runtime: the bucket's sources are not copied");
        return;
    };
    for feed in feeds {
        let Some(until_deleted) = bucket.until_deleted() else {
            return;
        };
        runtime.spawn(feed.run(bucket.weak(), until_deleted, Arc::downgrade(registry)));
    }
}

/// One source of a bucket and how its revisions are stored.
struct Feed {
    /// The source bucket.
    origin: String,
    /// The source's keys watched.
    filter: String,
    start: Start,
    into: Destination,
}

enum Destination {
    /// Under the same key and revision.
    Mirror,
    /// Under the key the first matching transform gives, prefixed `$KV.<bucket>.`.
    Source {
        transforms: Vec<Transform>,
        prefix: String,
    },
}

impl Feed {
    fn source(source: &Source, bucket: &str) -> Self {
        // Checked with the configuration.
        let transforms = source
            .transforms_into(bucket)
            .iter()
            .filter_map(|transform| Transform::new(&transform.source, &transform.destination).ok())
            .collect();
        let into = Destination::Source {
            transforms,
            prefix: format!("$KV.{bucket}."),
        };
        Self::new(source, into)
    }

    fn new(source: &Source, into: Destination) -> Self {
        Self {
            origin: source.bucket_name().to_owned(),
            filter: source.keys.clone().unwrap_or_else(|| ">".to_owned()),
            start: source.start_revision.map_or(Start::All, Start::From),
            into,
        }
    }

    /// Copies until the bucket is deleted, waiting for the source whenever it is gone.
    async fn run(
        self,
        bucket: Weak<MemoryBucket>,
        mut until_deleted: oneshot::Receiver<()>,
        registry: Weak<Buckets>,
    ) {
        loop {
            let events = tokio::select! {
                _ = &mut until_deleted => return,
                events = self.watch_source(&registry) => events,
            };
            let Some(mut events) = events else {
                return;
            };
            loop {
                let event = tokio::select! {
                    _ = &mut until_deleted => return,
                    event = events.next() => event,
                };
                match event {
                    Some(Ok(WatchEvent::Entry(entry))) => {
                        let Some(bucket) = bucket.upgrade() else {
                            return;
                        };
                        if !self.store(&bucket, &entry) {
                            return;
                        }
                    }
                    Some(_) => {}
                    // The source was deleted: a new one of that name is copied from its
                    // start.
                    None => break,
                }
            }
        }
    }

    /// A watch of the source bucket once it exists; `None` once the broker is gone.
    async fn watch_source(&self, registry: &Weak<Buckets>) -> Option<Events> {
        loop {
            let source = registry
                .upgrade()?
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&self.origin)
                .cloned();
            if let Some(watch) = source.and_then(|source| {
                source
                    .open_watch(
                        std::slice::from_ref(&self.filter),
                        self.start,
                        false,
                        COPYING,
                    )
                    .ok()
            }) {
                return Some(watch);
            }
            tokio::time::sleep(SOURCE_RETRY).await;
        }
    }

    /// Stores a revision of the source in `bucket`; `false` once the bucket is deleted.
    fn store(&self, bucket: &MemoryBucket, entry: &Entry) -> bool {
        let stored = match &self.into {
            Destination::Mirror => bucket.store_mirrored(entry),
            Destination::Source { transforms, prefix } => {
                let subject = format!("$KV.{}.{}", self.origin, entry.key);
                let key = transforms
                    .iter()
                    .find_map(|transform| transform.apply(&subject))
                    .and_then(|destination| {
                        destination.strip_prefix(prefix.as_str()).map(str::to_owned)
                    });
                match key {
                    Some(key) => bucket.store_sourced(&key, entry),
                    // Matched by no transform, or stored outside the bucket's keys.
                    None => Ok(()),
                }
            }
        };
        match stored {
            Ok(()) => true,
            Err(Error::BucketNotFound { .. }) => false,
            Err(error) => {
                tracing::warn!(
                    bucket = %bucket.name(),
                    source = %self.origin,
                    revision = entry.revision,
                    %error,
                    "a revision of the source was not copied"
                );
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Broker;
    use crate::error::Error;
    use crate::kv::{Config, Source, SubjectTransform};

    async fn refused(broker: &Broker, config: Config) -> String {
        match broker.create_key_value(config).await {
            Err(Error::Unsupported { what, .. }) => what,
            other => panic!("expected Unsupported, got {:?}", other.map(|_| ())),
        }
    }

    #[tokio::test]
    async fn what_one_memory_broker_cannot_copy_is_refused() {
        let broker = Broker::memory();
        let stream = Source {
            subject_transforms: vec![SubjectTransform {
                source: "events.>".to_owned(),
                destination: "$KV.cache.>".to_owned(),
            }],
            ..Source::bucket("EVENTS")
        };
        let from_stream = Config {
            sources: vec![stream],
            ..Config::new("cache")
        };
        assert!(refused(&broker, from_stream).await.contains("EVENTS"));
        let other_domain = Config {
            mirror: Some(Source {
                domain: Some("hub".to_owned()),
                ..Source::bucket("orders")
            }),
            ..Config::new("replica")
        };
        assert!(refused(&broker, other_domain).await.contains("hub"));
    }

    #[tokio::test]
    async fn sources_stay_as_created() -> Result<(), Error> {
        let broker = Broker::memory();
        let config = Config {
            sources: vec![Source::bucket("a")],
            ..Config::new("sourced")
        };
        broker.create_key_value(config.clone()).await?;
        let changed = Config {
            sources: vec![Source::bucket("a"), Source::bucket("b")],
            ..config.clone()
        };
        assert!(matches!(
            broker.update_key_value(changed).await,
            Err(Error::Unsupported { .. })
        ));
        let more_history = Config {
            history: 5,
            ..config
        };
        broker.update_key_value(more_history).await?;
        Ok(())
    }
}
