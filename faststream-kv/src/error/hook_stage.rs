//! The stage a lifecycle hook belongs to.

use std::fmt;

/// When a lifecycle hook runs (see [`App`](crate::App)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HookStage {
    /// Before any subscriber consumes.
    OnStartup,
    /// Once every subscriber consumes.
    AfterStartup,
    /// When shutdown begins, while subscribers still consume.
    OnShutdown,
    /// Last, after handlers drained and the broker closed.
    AfterShutdown,
}

impl fmt::Display for HookStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HookStage::OnStartup => "on_startup",
            HookStage::AfterStartup => "after_startup",
            HookStage::OnShutdown => "on_shutdown",
            HookStage::AfterShutdown => "after_shutdown",
        })
    }
}
