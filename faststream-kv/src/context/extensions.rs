//! `Extensions`: values attached to one message.

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::Arc;

use super::TypeMap;

/// Values scoped to one message, set by middleware for the handler (like axum's request
/// extensions). [`Ctx`](crate::extract::Ctx) looks here before the global
/// [`Context`](super::Context). Clones share the values (each is behind an `Arc`).
#[derive(Default, Clone)]
pub struct Extensions {
    // Boxed and lazy: most messages never carry local values.
    values: Option<Box<Values>>,
}

#[derive(Default, Clone)]
struct Values {
    /// What the runtime attaches to every message of a kind (a stream message's
    /// acker): one allocation for the box, none for a map entry and its `Arc`.
    delivery: Option<Arc<dyn Any + Send + Sync>>,
    map: TypeMap,
}

impl Extensions {
    /// Inserts a value for this message only.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.values
            .get_or_insert_default()
            .map
            .insert(TypeId::of::<T>(), Arc::new(value));
    }

    /// The value of type `T` set for this message, if any.
    #[inline]
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let value = self.values.as_ref()?.map.get(&TypeId::of::<T>())?.clone();
        value.downcast().ok()
    }

    /// Attaches what the runtime delivers the message with.
    pub(crate) fn set_delivery(&mut self, delivery: Arc<dyn Any + Send + Sync>) {
        self.values.get_or_insert_default().delivery = Some(delivery);
    }

    /// What [`set_delivery`](Self::set_delivery) attached.
    pub(crate) fn delivery(&self) -> Option<&Arc<dyn Any + Send + Sync>> {
        self.values.as_ref()?.delivery.as_ref()
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.values.as_ref().map_or(0, |values| values.map.len());
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
