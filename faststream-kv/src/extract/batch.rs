//! `Batch<T>`: the messages a batch stream subscriber hands its handler at once, each
//! payload decoded as JSON.

use std::ops::Deref;

use serde::de::DeserializeOwned;

use super::json::JsonRejection;
use super::{FromMessage, Requirements, Scope};
use crate::error::Error;
use crate::jetstream::{Acker, BatchParts};
use crate::message::Message;

/// Up to the subscriber's batch size of messages at once (what the consumer had
/// delivered, at least one), for a stream subscriber with
/// [`batches`](crate::subscriber::Subscriber::batches): each payload decoded as JSON,
/// in delivery order. The ack policy settles every message of the batch by the
/// handler's result; under [`AckPolicy::Manual`](crate::jetstream::AckPolicy::Manual)
/// the handler settles each with [`ackers`](Self::ackers) /
/// [`into_parts`](Self::into_parts). A message that does not decode is terminated and
/// left out (logged); when none decodes, the handler is not called.
///
/// ```
/// use faststream_kv::prelude::*;
/// use faststream_kv::extract::Batch;
///
/// #[derive(serde::Deserialize)]
/// struct Order { id: u64 }
///
/// #[subscriber("orders.>", stream = "ORDERS", durable = "billing", batch = 100)]
/// async fn bill(orders: Batch<Order>) {
///     let total: u64 = orders.iter().map(|order| order.id).sum();
///     # let _ = total;
/// }
/// ```
#[derive(Debug)]
pub struct Batch<T> {
    items: Vec<T>,
    messages: Vec<Message>,
    ackers: Vec<Acker>,
}

impl<T> Batch<T> {
    /// The decoded payloads.
    pub fn into_vec(self) -> Vec<T> {
        self.items
    }

    /// Each decoded payload with what settles its message.
    pub fn into_parts(self) -> Vec<(T, Acker)> {
        self.items.into_iter().zip(self.ackers).collect()
    }

    /// The messages, in the order of the payloads (subjects, headers, raw payloads).
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// What settles each message, in the order of the payloads.
    pub fn ackers(&self) -> &[Acker] {
        &self.ackers
    }
}

impl<T> Deref for Batch<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<T> IntoIterator for Batch<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<T: DeserializeOwned + Send> FromMessage for Batch<T> {
    type Rejection = Error;

    async fn from_message(message: &Message, _scope: &Scope) -> Result<Self, Error> {
        let parts = BatchParts::of(message).ok_or(Error::MissingContext {
            type_name: "faststream_kv::extract::Batch",
        })?;
        let mut batch = Batch {
            items: Vec::with_capacity(parts.messages.len()),
            messages: Vec::with_capacity(parts.messages.len()),
            ackers: Vec::with_capacity(parts.messages.len()),
        };
        let mut undecodable = None;
        for (message, acker) in parts.messages.iter().zip(&parts.ackers) {
            match JsonRejection::decode(message.payload()) {
                Ok(item) => {
                    batch.items.push(item);
                    batch.messages.push(message.clone());
                    batch.ackers.push(acker.clone());
                }
                Err(rejection) => {
                    let info = acker.info();
                    tracing::warn!(
                        stream = %info.stream,
                        sequence = info.stream_sequence,
                        error = %rejection,
                        "terminated an undecodable message of a batch"
                    );
                    if let Err(error) = acker.term().await {
                        tracing::warn!(%error, "could not terminate an undecodable message");
                    }
                    undecodable.get_or_insert(rejection);
                }
            }
        }
        match undecodable {
            Some(rejection) if batch.items.is_empty() => Err(rejection.into()),
            _ => Ok(batch),
        }
    }

    fn requirements(requirements: &mut Requirements) {
        requirements.batch();
    }
}
