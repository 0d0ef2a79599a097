//! A subscriber's view of the app context that reads without the context's lock.
//!
//! Handlers read the context for every message, and its lock costs two atomic
//! read-modify-write operations per read. Values are rarely replaced once the app runs,
//! so each subscriber keeps weak references to the values present when it started, and
//! uses them while no value has been replaced or removed since. Weak references keep a
//! replaced value from living on in the snapshot.

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use super::{Context, read};
use crate::error::Result;

type WeakValue = Weak<dyn Any + Send + Sync>;

/// The values of a [`Context`] at one point, and whether that point is still current.
#[derive(Clone)]
pub(crate) struct ContextSnapshot {
    /// A list: a context holds a few values, and a scan is cheaper than hashing.
    values: Box<[(TypeId, WeakValue)]>,
    /// The context's replacement count when the snapshot was taken.
    replaced: u64,
}

impl Context {
    /// The values present now.
    pub(crate) fn snapshot(&self) -> ContextSnapshot {
        let values = read(&self.inner.values);
        ContextSnapshot {
            // Read under the lock, which every replacement holds: consistent with `values`.
            replaced: self.inner.replaced.load(Ordering::SeqCst),
            values: values
                .iter()
                .map(|(id, value)| (*id, Arc::downgrade(value)))
                .collect(),
        }
    }
}

impl ContextSnapshot {
    /// `context.get::<T>()`, from the snapshot while it is current (no lock taken);
    /// otherwise, or for a type inserted since, from the context itself.
    #[inline]
    pub(crate) fn get<T: Send + Sync + 'static>(&self, context: &Context) -> Result<Arc<T>> {
        if context.inner.replaced.load(Ordering::SeqCst) == self.replaced
            && let Some(value) = self
                .values
                .iter()
                .find(|(id, _)| *id == TypeId::of::<T>())
                .and_then(|(_, value)| value.upgrade())
                .and_then(|value| value.downcast().ok())
        {
            return Ok(value);
        }
        context.get()
    }
}

impl fmt::Debug for ContextSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextSnapshot")
            .field("values", &self.values.len())
            .field("replaced", &self.replaced)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_values_present_when_taken() {
        let context = Context::new();
        context.insert(1u32);
        let snapshot = context.snapshot();
        assert_eq!(*snapshot.get::<u32>(&context).expect("present"), 1);
        // A type inserted later is read from the context.
        context.insert(String::from("later"));
        assert_eq!(*snapshot.get::<String>(&context).expect("present"), "later");
        assert!(snapshot.get::<u64>(&context).is_err());
    }

    #[test]
    fn a_replaced_value_is_read_from_the_context() {
        let context = Context::new();
        context.insert(1u32);
        let snapshot = context.snapshot();
        context.insert(2u32);
        assert_eq!(*snapshot.get::<u32>(&context).expect("present"), 2);
        context.remove::<u32>().expect("not pinned");
        assert!(snapshot.get::<u32>(&context).is_err());
    }

    #[test]
    fn does_not_keep_a_replaced_value_alive() {
        let context = Context::new();
        let first = Arc::new(1u32);
        context.insert_arc(Arc::clone(&first));
        let snapshot = context.snapshot();
        context.insert(2u32);
        assert_eq!(Arc::strong_count(&first), 1);
        assert_eq!(Arc::weak_count(&first), 1);
        drop(snapshot);
        assert_eq!(Arc::weak_count(&first), 0);
    }
}
