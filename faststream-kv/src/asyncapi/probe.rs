//! How `#[subscriber]` finds the payload description of a type it only knows by name:
//! autoref specialization, so a type that is not [`PayloadSchema`] yields `None`
//! instead of an error.
//!
//! `(&&Probe::<T>::new()).describe()` resolves to [`Described`] (implemented for
//! `&Probe<T>`, so its method takes `&&Probe<T>` as is) when `T: PayloadSchema`, and
//! otherwise, one dereference later, to [`Undescribed`].

use std::marker::PhantomData;

use super::payload::{DescribePayload, PayloadSchema};

/// Stands for type `T` in a method call.
pub struct Probe<T: ?Sized>(PhantomData<T>);

impl<T: ?Sized> Probe<T> {
    /// The probe.
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T: ?Sized> Default for Probe<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Chosen when the type describes its payload.
pub trait Described {
    /// The payload's description.
    fn describe(&self) -> Option<DescribePayload>;
}

impl<T: PayloadSchema> Described for &Probe<T> {
    fn describe(&self) -> Option<DescribePayload> {
        Some(T::payload)
    }
}

/// Chosen for any other type.
pub trait Undescribed {
    /// No description.
    fn describe(&self) -> Option<DescribePayload>;
}

impl<T: ?Sized> Undescribed for Probe<T> {
    fn describe(&self) -> Option<DescribePayload> {
        None
    }
}
