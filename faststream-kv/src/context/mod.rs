//! The typed context: one value per Rust type, shared by hooks and handlers.

mod extensions;
mod snapshot;

use std::any::{Any, TypeId, type_name};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

pub use extensions::Extensions;
pub(crate) use snapshot::ContextSnapshot;

use crate::error::{Error, Result};

type AnyValue = Arc<dyn Any + Send + Sync>;
pub(crate) type TypeMap = HashMap<TypeId, AnyValue, BuildHasherDefault<TypeIdHasher>>;

/// The app's global context: a map from a Rust type to one shared value of it.
///
/// Startup hooks insert what handlers need (a Key-Value bucket, a
/// database pool, settings); handlers receive it with the [`Ctx`](crate::extract::Ctx)
/// extractor. Values are stored behind an [`Arc`], so reading one is a lookup and a
/// reference-count increment, never a clone of the value.
///
/// `Context` is a cheap handle: clones share the same map.
///
/// ```
/// use faststream_kv::Context;
///
/// struct Settings { greeting: String }
///
/// let context = Context::new();
/// context.insert(Settings { greeting: "hi".into() });
/// assert_eq!(context.get::<Settings>()?.greeting, "hi");
/// # Ok::<(), faststream_kv::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Context {
    inner: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    values: RwLock<TypeMap>,
    /// Types that running subscribers extract: removing them would fail messages later.
    pinned: RwLock<HashSet<TypeId>>,
    /// How many times a value was replaced or removed (inserting a new type does not
    /// count): a [`ContextSnapshot`] is current while this is unchanged.
    replaced: AtomicU64,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Inserts `value`, replacing (and returning) the previous value of that type.
    pub fn insert<T: Send + Sync + 'static>(&self, value: T) -> Option<Arc<T>> {
        self.insert_arc(Arc::new(value))
    }

    /// Inserts a value that is already shared.
    pub fn insert_arc<T: Send + Sync + 'static>(&self, value: Arc<T>) -> Option<Arc<T>> {
        let mut values = write(&self.inner.values);
        let previous = values.insert(TypeId::of::<T>(), value);
        if previous.is_some() {
            self.inner.replaced.fetch_add(1, Ordering::SeqCst);
        }
        drop(values);
        previous.and_then(|old| old.downcast().ok())
    }

    /// The value of type `T`, or [`Error::MissingContext`] naming the type.
    ///
    /// # Errors
    ///
    /// [`Error::MissingContext`] naming the type.
    pub fn get<T: Send + Sync + 'static>(&self) -> Result<Arc<T>> {
        self.try_get().ok_or_else(|| Error::MissingContext {
            type_name: type_name::<T>(),
        })
    }

    /// The value of type `T`, if there is one.
    pub fn try_get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let value = read(&self.inner.values).get(&TypeId::of::<T>())?.clone();
        value.downcast().ok()
    }

    /// Whether a value of type `T` is present.
    pub fn contains<T: 'static>(&self) -> bool {
        self.contains_type(TypeId::of::<T>())
    }

    /// Removes the value of type `T`.
    ///
    /// Fails with [`Error::ContextInUse`] while running subscribers extract a `T`: the app
    /// checked at startup that they have one, and that promise holds until they stop.
    ///
    /// # Errors
    ///
    /// [`Error::ContextInUse`] while running subscribers extract a `T`.
    pub fn remove<T: Send + Sync + 'static>(&self) -> Result<Option<Arc<T>>> {
        let id = TypeId::of::<T>();
        if read(&self.inner.pinned).contains(&id) {
            return Err(Error::ContextInUse {
                type_name: type_name::<T>(),
            });
        }
        let mut values = write(&self.inner.values);
        let removed = values.remove(&id);
        if removed.is_some() {
            self.inner.replaced.fetch_add(1, Ordering::SeqCst);
        }
        drop(values);
        Ok(removed.and_then(|old| old.downcast().ok()))
    }

    pub(crate) fn contains_type(&self, id: TypeId) -> bool {
        read(&self.inner.values).contains_key(&id)
    }

    pub(crate) fn pin(&self, types: impl IntoIterator<Item = TypeId>) {
        write(&self.inner.pinned).extend(types);
    }

    pub(crate) fn unpin_all(&self) {
        write(&self.inner.pinned).clear();
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("values", &read(&self.inner.values).len())
            .finish()
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    // A panic while holding the lock cannot leave a HashMap half-updated in a way that
    // matters here, so a poisoned lock is still good to use.
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// `TypeId`s are already hashes; hashing them again is wasted work on every lookup.
#[derive(Default)]
pub(crate) struct TypeIdHasher(u64);

impl Hasher for TypeIdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_ne_bytes(word);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_replace_remove() {
        let context = Context::new();
        assert!(matches!(
            context.get::<u32>(),
            Err(Error::MissingContext { type_name: "u32" })
        ));
        assert!(context.insert(1u32).is_none());
        assert_eq!(context.insert(2u32).as_deref(), Some(&1));
        assert_eq!(*context.get::<u32>().expect("present"), 2);
        assert!(context.contains::<u32>());
        assert!(!context.contains::<u64>());
        assert_eq!(
            context.remove::<u32>().expect("not pinned").as_deref(),
            Some(&2)
        );
        assert!(!context.contains::<u32>());
    }

    #[test]
    fn pinned_types_cannot_be_removed() {
        let context = Context::new();
        context.insert(String::from("kept"));
        context.pin([TypeId::of::<String>()]);
        assert!(matches!(
            context.remove::<String>(),
            Err(Error::ContextInUse { .. })
        ));
        context.insert(String::from("replaced is fine"));
        context.unpin_all();
        assert!(context.remove::<String>().expect("unpinned").is_some());
    }
}
