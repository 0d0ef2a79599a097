//! Removing the markers deletes and purges leave (nats.go's `PurgeDeletes`): a deleted
//! key keeps its marker, and with `history` its older revisions, until this runs.

use std::time::{Duration, SystemTime};

use super::{KeyValue, Operation};
use crate::error::Result;

/// Markers younger than this keep their key's marker (nats.go's default), so that a
/// watcher that is behind still sees the delete.
pub const DEFAULT_MARKER_THRESHOLD: Duration = Duration::from_secs(30 * 60);

impl KeyValue {
    /// Removes every deleted or purged key with its history: a key whose latest revision
    /// is a delete or purge marker older than [`DEFAULT_MARKER_THRESHOLD`] goes
    /// completely; a younger marker stays, its key's older revisions go.
    ///
    /// # Errors
    ///
    /// As [`keys`](Self::keys), and [`Error::Nats`](crate::Error::Nats) when the server
    /// refuses to purge.
    pub async fn purge_deletes(&self) -> Result<()> {
        self.purge_deletes_older_than(DEFAULT_MARKER_THRESHOLD)
            .await
    }

    /// Like [`purge_deletes`](Self::purge_deletes) with markers older than
    /// `older_than` removed too (`Duration::ZERO`: every marker).
    ///
    /// # Errors
    ///
    /// As [`purge_deletes`](Self::purge_deletes).
    pub async fn purge_deletes_older_than(&self, older_than: Duration) -> Result<()> {
        let latest = super::watch::initial_entries(self.watch_all().meta_only().await?).await?;
        let threshold = SystemTime::now().checked_sub(older_than);
        for marker in latest
            .iter()
            .filter(|entry| matches!(entry.operation(), Operation::Delete | Operation::Purge))
        {
            let young = !older_than.is_zero()
                && threshold.is_none_or(|threshold| marker.created() > threshold);
            let keep = u64::from(young);
            self.open()?.purge_revisions(marker.key(), keep).await?;
        }
        Ok(())
    }
}
