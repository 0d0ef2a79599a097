//! What extractors need from the app, declared up front and checked at startup.

use std::any::{TypeId, type_name};

/// The shape of a [`Path`](super::Path) target, as far as the pattern must match it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathShape {
    /// One value (`Path<String>`): the pattern needs exactly one capture.
    Single,
    /// A tuple (`Path<(String, u32)>`): the pattern needs exactly that many captures.
    Tuple(usize),
    /// A struct: every field must be a capture name.
    Fields(&'static [&'static str]),
    /// A map or sequence: any captures will do.
    Any,
}

/// One need of one extractor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// A value of this type must be in the app's [`Context`](crate::Context).
    Context {
        /// The type's id.
        type_id: TypeId,
        /// The type's name, for the startup error.
        type_name: &'static str,
    },
    /// The subscriber pattern must have captures of this shape.
    Path(PathShape),
    /// The subscriber must be a `kv_watch` subscriber (its messages are Key-Value entries).
    KvWatch,
    /// The subscriber must be a stream subscriber (its messages come from a consumer).
    Stream,
    /// The subscriber must hand its handler batches of stream messages.
    Batch,
}

/// The needs of a handler's extractors, each tagged with its argument position.
#[derive(Debug, Default, Clone)]
pub struct Requirements {
    argument: usize,
    argument_types: Vec<&'static str>,
    needs: Vec<(usize, Requirement)>,
}

impl Requirements {
    /// Requires a `T` in the app context.
    pub fn context<T: 'static>(&mut self) {
        self.push(Requirement::Context {
            type_id: TypeId::of::<T>(),
            type_name: type_name::<T>(),
        });
    }

    /// Requires captures of `shape` in the subscriber pattern.
    pub fn path(&mut self, shape: PathShape) {
        self.push(Requirement::Path(shape));
    }

    /// Requires a `kv_watch` subscriber.
    pub fn kv_watch(&mut self) {
        self.push(Requirement::KvWatch);
    }

    /// Requires a stream subscriber.
    pub fn stream(&mut self) {
        self.push(Requirement::Stream);
    }

    /// Requires a stream subscriber handing out batches.
    pub fn batch(&mut self) {
        self.push(Requirement::Batch);
    }

    /// Adds a requirement for the current argument.
    pub fn push(&mut self, requirement: Requirement) {
        self.needs.push((self.argument, requirement));
    }

    /// The needs collected so far, with the argument position (from 0) of each.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Requirement)> {
        self.needs.iter().map(|(argument, need)| (*argument, need))
    }

    /// Forgets the requirements of extractors that may be absent (`Option<E>`).
    pub(crate) fn truncate(&mut self, len: usize) {
        self.needs.truncate(len);
    }

    pub(crate) fn len(&self) -> usize {
        self.needs.len()
    }

    /// The type of argument `index`, as the handler declared it.
    pub fn argument_type(&self, index: usize) -> Option<&'static str> {
        self.argument_types.get(index).copied()
    }

    /// Starts recording for argument `index` of type `T` (called by the handler impls).
    #[doc(hidden)]
    pub fn set_argument<T>(&mut self, index: usize) {
        self.argument = index;
        self.argument_types.truncate(index);
        self.argument_types.push(type_name::<T>());
    }
}
