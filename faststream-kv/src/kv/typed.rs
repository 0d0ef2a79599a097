//! Typed access: values as JSON, and the compare-and-set retry loop `update_with`.

use std::fmt;
use std::marker::PhantomData;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Entry, KeyValue};
use crate::error::{Error, Result};

impl KeyValue {
    /// The value of `key` decoded from JSON (`None` when absent, deleted or purged).
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] when the value is not JSON for `T`; otherwise as
    /// [`get`](Self::get).
    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        match self.get(key).await? {
            Some(entry) => entry.json().map(Some),
            None => Ok(None),
        }
    }

    /// Sets `key` to `value` as JSON; returns the new revision.
    ///
    /// # Errors
    ///
    /// [`Error::Encode`] when `value` does not serialize; otherwise as
    /// [`put`](Self::put).
    pub async fn put_json<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<u64> {
        self.put(key, encode(value)?).await
    }

    /// Reads `key`, computes its new value with `update` and writes it with
    /// compare-and-set, retrying from a fresh read whenever another writer got in
    /// between — so concurrent increments never lose one. `update` receives `None`
    /// when the key is absent, deleted or purged, and may run several times.
    ///
    /// Returns the value written and its revision.
    ///
    /// # Errors
    ///
    /// As [`KeyValue::update_with`].
    pub async fn update_with<T, F>(&self, key: &str, mut update: F) -> Result<(T, u64)>
    where
        T: Serialize + DeserializeOwned,
        F: FnMut(Option<T>) -> T,
    {
        loop {
            let current = self.entry(key).await?;
            let (old, revision) = match &current {
                Some(entry) if !entry.is_removal() => (Some(entry.json()?), entry.revision()),
                Some(marker) => (None, marker.revision()),
                None => (None, 0),
            };
            let new = update(old);
            match self.update(key, encode(&new)?, revision).await {
                Ok(revision) => return Ok((new, revision)),
                Err(Error::WrongRevision { .. }) => continue,
                Err(error) => return Err(error),
            }
        }
    }

    /// A typed view of this bucket whose values are `T` as JSON.
    pub fn typed<T>(&self) -> Typed<T> {
        Typed {
            kv: self.clone(),
            value: PhantomData,
        }
    }
}

fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Bytes> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|source| Error::Encode {
            target: std::any::type_name::<T>(),
            source: Box::new(source),
        })
}

/// A bucket whose values are `T`, stored as JSON (interoperable with any NATS client
/// that reads JSON). Build it with [`KeyValue::typed`].
///
/// ```
/// use faststream_kv::prelude::*;
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Counter { hits: u64 }
///
/// # #[tokio::main] async fn main() -> Result<(), Error> {
/// let broker = Broker::memory();
/// let bucket = broker.key_value("counters").declare(kv::Config::default()).await?;
/// let counters = bucket.typed::<Counter>();
/// counters.update_with("home", |old| Counter { hits: old.map_or(0, |c| c.hits) + 1 }).await?;
/// assert_eq!(counters.get("home").await?, Some(Counter { hits: 1 }));
/// # Ok(()) }
/// ```
pub struct Typed<T> {
    kv: KeyValue,
    value: PhantomData<fn() -> T>,
}

impl<T: Serialize + DeserializeOwned> Typed<T> {
    /// The value of `key` (`None` when absent, deleted or purged).
    ///
    /// # Errors
    ///
    /// As [`KeyValue::get_json`].
    pub async fn get(&self, key: &str) -> Result<Option<T>> {
        self.kv.get_json(key).await
    }

    /// The value of `key` with its entry (revision, time).
    ///
    /// # Errors
    ///
    /// As [`KeyValue::get_json`].
    pub async fn get_entry(&self, key: &str) -> Result<Option<(T, Entry)>> {
        match self.kv.get(key).await? {
            Some(entry) => Ok(Some((entry.json()?, entry))),
            None => Ok(None),
        }
    }

    /// Sets `key`; returns the new revision.
    ///
    /// # Errors
    ///
    /// As [`KeyValue::put_json`].
    pub async fn put(&self, key: &str, value: &T) -> Result<u64> {
        self.kv.put_json(key, value).await
    }

    /// Sets `key` only if it has no value ([`Error::KeyExists`] otherwise).
    ///
    /// # Errors
    ///
    /// [`Error::Encode`] when `value` does not serialize; otherwise as
    /// [`KeyValue::create`].
    pub async fn create(&self, key: &str, value: &T) -> Result<u64> {
        self.kv.create(key, encode(value)?).await
    }

    /// Compare-and-set ([`Error::WrongRevision`] if `key` moved past `last_revision`).
    ///
    /// # Errors
    ///
    /// [`Error::Encode`] when `value` does not serialize; otherwise as
    /// [`KeyValue::update`].
    pub async fn update(&self, key: &str, value: &T, last_revision: u64) -> Result<u64> {
        self.kv.update(key, encode(value)?, last_revision).await
    }

    /// The retry loop of [`KeyValue::update_with`].
    ///
    /// # Errors
    ///
    /// As [`KeyValue::update_with`].
    pub async fn update_with<F>(&self, key: &str, update: F) -> Result<(T, u64)>
    where
        F: FnMut(Option<T>) -> T,
    {
        self.kv.update_with(key, update).await
    }

    /// Deletes `key`.
    ///
    /// # Errors
    ///
    /// As [`KeyValue::delete`].
    pub async fn delete(&self, key: &str) -> Result<u64> {
        self.kv.delete(key).await
    }

    /// The untyped bucket.
    pub fn raw(&self) -> &KeyValue {
        &self.kv
    }
}

impl<T> Clone for Typed<T> {
    fn clone(&self) -> Self {
        Self {
            kv: self.kv.clone(),
            value: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Typed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Typed")
            .field("bucket", &self.kv.bucket())
            .field("value", &std::any::type_name::<T>())
            .finish()
    }
}
