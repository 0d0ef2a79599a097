//! `kv::View`: a local, read-only replica of a bucket (or of the keys matching a filter)
//! kept current by a watch, so hot handlers read KV state from memory.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use futures::StreamExt;
use serde::de::DeserializeOwned;
use tokio::sync::watch;
use tokio::task::AbortHandle;

use super::{Entry, KeyValue, Watch, WatchEvent};
use crate::error::{Error, Result};

impl KeyValue {
    /// A local, read-only copy of the keys matching `filter` (`">"` for all), kept
    /// current by a watch; returns once it holds every current value.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] for a filter that is not one; [`Error::WatchEnded`] when the
    /// bucket goes away before the view holds its values; otherwise as
    /// [`KeyValue::watch`].
    pub async fn view(&self, filter: &str) -> Result<View> {
        View::start(self, filter).await
    }
}

/// A local copy of a bucket's keys (all, or those matching a filter), updated by a
/// watch in revision order. Reads never leave the process.
///
/// Make one with [`KeyValue::view`], put it in the app context and extract it with
/// `Ctx<kv::View>`:
///
/// ```
/// use faststream_kv::prelude::*;
///
/// # #[tokio::main] async fn main() -> Result<(), Error> {
/// let broker = Broker::memory();
/// let config = broker.key_value("config").declare(kv::Config::default()).await?;
/// let view = config.view("feature.>").await?;
/// let revision = config.put("feature.dark-mode", "on").await?;
/// view.wait_for_revision(revision).await?;       // read your own write
/// assert_eq!(view.get("feature.dark-mode").map(|e| e.value().clone()), Some("on".into()));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct View {
    shared: Arc<Shared>,
}

struct Shared {
    bucket: Arc<str>,
    filter: String,
    entries: RwLock<HashMap<Arc<str>, Entry>>,
    progress: watch::Sender<Progress>,
    lag: AtomicU64,
    task: AbortHandle,
}

#[derive(Debug, Clone, Copy, Default)]
struct Progress {
    revision: u64,
    ended: bool,
}

impl View {
    /// Starts a view of the keys of `kv` matching `filter`; see [`KeyValue::view`].
    async fn start(kv: &KeyValue, filter: &str) -> Result<Self> {
        let mut watch = kv.watch(filter).await?;
        let mut entries = HashMap::new();
        let mut revision = 0;
        loop {
            match watch.next().await {
                Some(Ok(WatchEvent::Entry(entry))) => {
                    revision = entry.revision;
                    apply(&mut entries, entry);
                }
                Some(Ok(WatchEvent::EndOfInitialData)) => break,
                Some(Err(error)) => return Err(error),
                None => {
                    return Err(Error::WatchEnded {
                        bucket: kv.bucket().to_owned(),
                    });
                }
            }
        }
        let (progress, _) = watch::channel(Progress {
            revision,
            ended: false,
        });
        let shared = Arc::new_cyclic(|weak| {
            let task = tokio::spawn(follow(watch, weak.clone()));
            Shared {
                bucket: kv.bucket().into(),
                filter: filter.to_owned(),
                entries: RwLock::new(entries),
                progress,
                lag: AtomicU64::new(0),
                task: task.abort_handle(),
            }
        });
        Ok(Self { shared })
    }

    /// The current value of `key` (`None` when absent, deleted, purged, or outside the
    /// view's filter).
    pub fn get(&self, key: &str) -> Option<Entry> {
        self.read().get(key).cloned()
    }

    /// The current value of `key` decoded from JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] when the value is not JSON for `T`.
    pub fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.get(key).map(|entry| entry.json()).transpose()
    }

    /// The keys the view holds, in no particular order.
    pub fn keys(&self) -> Vec<String> {
        self.read().keys().map(|key| key.to_string()).collect()
    }

    /// How many keys the view holds.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether the view holds no key.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// The latest revision applied.
    pub fn revision(&self) -> u64 {
        self.shared.progress.borrow().revision
    }

    /// How many changes the server had queued for this view behind the latest one
    /// applied (0: caught up).
    pub fn lag(&self) -> u64 {
        self.shared.lag.load(Ordering::Relaxed)
    }

    /// Waits until the view has applied `revision` (a revision a write of a key in
    /// this view returned): read-your-writes. Fails if the view's watch ended.
    ///
    /// # Errors
    ///
    /// [`Error::WatchEnded`] when the view's watch ended before reaching `revision`.
    pub async fn wait_for_revision(&self, revision: u64) -> Result<()> {
        let mut progress = self.shared.progress.subscribe();
        let reached = progress
            .wait_for(|progress| progress.revision >= revision || progress.ended)
            .await
            .map(|progress| progress.revision >= revision);
        match reached {
            Ok(true) => Ok(()),
            _ => Err(Error::WatchEnded {
                bucket: self.shared.bucket.to_string(),
            }),
        }
    }

    /// The bucket viewed.
    pub fn bucket(&self) -> &str {
        &self.shared.bucket
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Arc<str>, Entry>> {
        self.shared
            .entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Applies the watch's live updates until the view is dropped or the watch ends.
async fn follow(mut watch: Watch, view: std::sync::Weak<Shared>) {
    while let Some(event) = watch.next().await {
        let Some(shared) = view.upgrade() else {
            return;
        };
        match event {
            Ok(WatchEvent::Entry(entry)) => {
                let revision = entry.revision;
                shared.lag.store(entry.delta, Ordering::Relaxed);
                apply(
                    &mut shared
                        .entries
                        .write()
                        .unwrap_or_else(PoisonError::into_inner),
                    entry,
                );
                shared
                    .progress
                    .send_modify(|progress| progress.revision = revision);
            }
            Ok(WatchEvent::EndOfInitialData) => {}
            Err(Error::WatchEnded { .. }) => break,
            Err(error) => {
                tracing::warn!(bucket = %shared.bucket, %error, "View watch error");
            }
        }
    }
    if let Some(shared) = view.upgrade() {
        shared
            .progress
            .send_modify(|progress| progress.ended = true);
    }
}

fn apply(entries: &mut HashMap<Arc<str>, Entry>, entry: Entry) {
    if entry.is_removal() {
        entries.remove(&entry.key);
    } else {
        entries.insert(Arc::clone(&entry.key), entry);
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl fmt::Debug for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("View")
            .field("bucket", &self.shared.bucket)
            .field("filter", &self.shared.filter)
            .field("keys", &self.len())
            .field("revision", &self.revision())
            .field("lag", &self.lag())
            .finish()
    }
}
