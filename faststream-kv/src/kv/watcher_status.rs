//! How far a running app's `kv_watch` subscriber has come, as
//! [`RunningApp::kv_watchers`](crate::RunningApp::kv_watchers) reports it.

/// One `kv_watch` subscriber of a running app.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WatcherStatus {
    /// The handler's name.
    pub name: String,
    /// The bucket watched.
    pub bucket: String,
    /// Whether the handler has handled every value the bucket held when the watch
    /// started (the watch passed its end-of-initial-data marker and the handlers of the
    /// entries before it finished); live updates follow.
    pub initial_data_loaded: bool,
}
