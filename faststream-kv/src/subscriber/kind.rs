//! The kinds of subscriber, each with the options only it has.

use crate::kv::WatchOptions;

/// A subscriber on subjects: it may join a queue group.
#[derive(Debug, Clone, Default)]
pub struct OnSubject {
    pub(super) queue: Option<String>,
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
