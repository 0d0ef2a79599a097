//! The kinds of subscriber, each with the options only it has.

use crate::kv::WatchOptions;
use crate::pending::PendingLimits;

/// A subscriber on subjects: it may join a queue group, and holds up to its pending
/// limits while its handler is busy.
#[derive(Debug, Clone, Default)]
pub struct OnSubject {
    pub(super) queue: Option<String>,
    pub(super) limits: PendingLimits,
}

/// A subscriber on the changes of a Key-Value bucket: it has watch options.
#[derive(Debug, Clone)]
pub struct OnKvWatch {
    pub(super) bucket: String,
    pub(super) options: WatchOptions,
}

impl OnKvWatch {
    pub(super) fn new(bucket: String) -> Self {
        Self {
            bucket,
            options: WatchOptions::default(),
        }
    }
}
