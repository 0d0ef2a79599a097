//! Who is told of what goes through a broker: the test harness, which records each
//! publish and each handler's call for a test's assertions. Without one, a publish and
//! a handled message read one empty slot.

use crate::error::BoxError;
use crate::message::Message;
use crate::response::Reply;

/// Told of each message published through a broker (and its clones), and of each
/// message a subscriber of an app on it handled.
pub(crate) trait Observer: Send + Sync + 'static {
    /// A message as sent: subject, reply subject, headers with the correlation id,
    /// payload.
    fn published(&self, message: Message);

    /// Handler `handler` returned `result` for `message` (after its result was
    /// published).
    fn called(&self, handler: &str, message: Message, result: Result<&Reply, &BoxError>);
}
