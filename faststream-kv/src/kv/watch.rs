//! Watches per the NATS KV spec (ADR-8): the current values first, then
//! [`WatchEvent::EndOfInitialData`] (always, even when nothing matched), then live
//! updates in revision order.

use std::future::IntoFuture;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};

use super::store::{Events, Start};
use super::{Entry, KeyValue};
use crate::error::{ConfigProblem, Error, Result};

/// What a watch yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// A revision of a matching key.
    Entry(Entry),
    /// Every value that existed when the watch started has been delivered; what
    /// follows are live updates. Sent exactly once, also for an empty bucket.
    EndOfInitialData,
}

/// Options of a watch; set them through [`WatchBuilder`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchOptions {
    /// Deliver every stored revision of matching keys, not just the latest.
    pub include_history: bool,
    /// Skip delete and purge markers.
    pub ignore_deletes: bool,
    /// Deliver entries without their values (keys, revisions, operations only).
    pub meta_only: bool,
    /// Skip the current values: only changes from now on (the end-of-initial-data
    /// marker comes first).
    pub updates_only: bool,
    /// Start at this revision: every matching revision from it on, then live updates.
    pub from_revision: Option<u64>,
}

impl WatchOptions {
    pub(crate) fn start(&self) -> Result<Start> {
        let invalid = |problem| Err(Error::InvalidConfig { problem });
        let conflict =
            |first, second| invalid(ConfigProblem::WatchOptionsConflict { first, second });
        match (self.updates_only, self.include_history, self.from_revision) {
            (true, true, _) => conflict("updates_only", "include_history"),
            (true, _, Some(_)) => conflict("updates_only", "from_revision"),
            (_, _, Some(0)) => invalid(ConfigProblem::RevisionZero),
            (_, _, Some(revision)) => Ok(Start::From(revision)),
            (true, false, None) => Ok(Start::New),
            (false, true, None) => Ok(Start::All),
            (false, false, None) => Ok(Start::LastPerKey),
        }
    }
}

/// A watch being set up: chain options, then `.await` it.
///
/// ```
/// # use faststream_kv::kv::KeyValue;
/// # async fn example(kv: KeyValue) -> Result<(), faststream_kv::Error> {
/// use futures::StreamExt;
/// use faststream_kv::kv::WatchEvent;
///
/// let mut watch = kv.watch("feature.*").ignore_deletes().await?;
/// while let Some(event) = watch.next().await {
///     match event? {
///         WatchEvent::Entry(entry) => println!("{} = {:?}", entry.key(), entry.value()),
///         WatchEvent::EndOfInitialData => println!("caught up"),
///     }
/// }
/// # Ok(()) }
/// ```
#[must_use = "a watch starts when awaited"]
pub struct WatchBuilder {
    kv: KeyValue,
    filters: Vec<String>,
    options: WatchOptions,
}

impl WatchBuilder {
    pub(crate) fn new(kv: KeyValue, filters: Vec<String>) -> Self {
        Self {
            kv,
            filters,
            options: WatchOptions::default(),
        }
    }

    /// Every stored revision of matching keys, not just the latest.
    pub fn include_history(mut self) -> Self {
        self.options.include_history = true;
        self
    }

    /// Skips delete and purge markers.
    pub fn ignore_deletes(mut self) -> Self {
        self.options.ignore_deletes = true;
        self
    }

    /// Entries without values.
    pub fn meta_only(mut self) -> Self {
        self.options.meta_only = true;
        self
    }

    /// Only changes from now on.
    pub fn updates_only(mut self) -> Self {
        self.options.updates_only = true;
        self
    }

    /// Every matching revision from `revision` on, then live updates.
    pub fn from_revision(mut self, revision: u64) -> Self {
        self.options.from_revision = Some(revision);
        self
    }

    /// Replaces all options at once.
    pub fn options(mut self, options: WatchOptions) -> Self {
        self.options = options;
        self
    }
}

impl IntoFuture for WatchBuilder {
    type Output = Result<Watch>;
    type IntoFuture = BoxFuture<'static, Result<Watch>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.kv.open_watch(self.filters, self.options).await })
    }
}

/// A running watch: a [`Stream`] of [`WatchEvent`]s. It survives reconnects and
/// resumes after the last revision it delivered, without gaps or duplicates. Dropping
/// it stops the watch on the server.
pub struct Watch {
    bucket: Arc<str>,
    events: Events,
    ignore_deletes: bool,
    last_revision: u64,
    ended: bool,
}

impl Watch {
    pub(crate) fn new(bucket: Arc<str>, events: Events, options: &WatchOptions) -> Self {
        Self {
            bucket,
            events,
            ignore_deletes: options.ignore_deletes,
            last_revision: 0,
            ended: false,
        }
    }

    /// The latest revision delivered so far (0 before the first entry).
    pub fn last_revision(&self) -> u64 {
        self.last_revision
    }

    /// The bucket watched.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

impl Stream for Watch {
    type Item = Result<WatchEvent>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.ended {
                return Poll::Ready(None);
            }
            let event = match this.events.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    this.ended = true;
                    return Poll::Ready(Some(Err(Error::WatchEnded {
                        bucket: this.bucket.to_string(),
                    })));
                }
                Poll::Ready(Some(event)) => event,
            };
            if let Ok(WatchEvent::Entry(entry)) = &event {
                // A resumed consumer may repeat what was delivered before a reconnect.
                if entry.revision <= this.last_revision {
                    continue;
                }
                this.last_revision = entry.revision;
                if this.ignore_deletes && entry.is_removal() {
                    continue;
                }
            }
            return Poll::Ready(Some(event));
        }
    }
}

/// The keys of the entries a watch delivers before its end-of-initial-data marker, as
/// they come; a watch that ends before the marker ends with [`Error::WatchEnded`].
pub(crate) fn initial_keys(watch: Watch) -> BoxStream<'static, Result<String>> {
    futures::stream::unfold(Some(watch), |watch| async move {
        let mut watch = watch?;
        let key = match watch.next().await {
            Some(Ok(WatchEvent::Entry(entry))) => Ok(entry.key().to_owned()),
            Some(Ok(WatchEvent::EndOfInitialData)) => return None,
            Some(Err(error)) => Err(error),
            None => {
                let bucket = watch.bucket.to_string();
                return Some((Err(Error::WatchEnded { bucket }), None));
            }
        };
        Some((key, Some(watch)))
    })
    .boxed()
}

/// The entries a watch delivers before its end-of-initial-data marker: how `keys` and
/// `history` read a bucket.
pub(crate) async fn initial_entries(mut watch: Watch) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    while let Some(event) = watch.next().await {
        match event? {
            WatchEvent::Entry(entry) => entries.push(entry),
            WatchEvent::EndOfInitialData => return Ok(entries),
        }
    }
    Err(Error::WatchEnded {
        bucket: watch.bucket.to_string(),
    })
}
