//! `Extensions`: values attached to one message.

use std::any::TypeId;
use std::fmt;
use std::sync::Arc;

use super::TypeMap;

/// Values scoped to one message, set by middleware for the handler (like axum's request
/// extensions). [`Ctx`](crate::extract::Ctx) looks here before the global
/// [`Context`](super::Context). Clones share the values (each is behind an `Arc`).
#[derive(Default, Clone)]
pub struct Extensions {
    // Boxed and lazy: most messages never carry local values.
    values: Option<Box<TypeMap>>,
}

impl Extensions {
    /// Inserts a value for this message only.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.values
            .get_or_insert_default()
            .insert(TypeId::of::<T>(), Arc::new(value));
    }

    /// The value of type `T` set for this message, if any.
    #[inline]
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let value = self.values.as_ref()?.get(&TypeId::of::<T>())?.clone();
        value.downcast().ok()
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.values.as_ref().map_or(0, |values| values.len());
        f.debug_struct("Extensions").field("values", &len).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_per_message_and_shared_by_clones() {
        let mut extensions = Extensions::default();
        assert!(extensions.get::<u8>().is_none());
        extensions.insert(7u8);
        assert_eq!(extensions.get::<u8>().as_deref(), Some(&7));
        let clone = extensions.clone();
        assert_eq!(clone.get::<u8>().as_deref(), Some(&7));
    }
}
