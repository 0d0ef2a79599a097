//! What the client was doing when talking to the server failed.

use std::fmt;

/// What an [`Error::Nats`](super::Error::Nats) was doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NatsOperation {
    /// Publishing a message.
    Publish,
    /// Sending a request.
    Request,
    /// Subscribing.
    Subscribe,
    /// Waiting for the server to process what was sent.
    Flush,
    /// Draining a subscription or the connection.
    Drain,
    /// Reading a Key-Value entry.
    KvRead,
    /// Writing a Key-Value entry.
    KvWrite,
    /// Watching Key-Value changes.
    KvWatch,
    /// Reading a bucket's status.
    KvStatus,
    /// Binding a bucket.
    KvBind,
    /// Creating a bucket.
    KvCreate,
    /// Changing a bucket's configuration.
    KvUpdate,
    /// Removing revisions (purging delete markers).
    KvPurge,
    /// Deleting a bucket.
    KvDelete,
    /// Listing buckets.
    KvList,
    /// Creating a stream.
    StreamCreate,
    /// Binding a stream (reading its info).
    StreamBind,
    /// Changing a stream's configuration.
    StreamUpdate,
    /// Deleting a stream.
    StreamDelete,
    /// Listing streams.
    StreamList,
    /// Reading a stream's info.
    StreamInfo,
    /// Purging a stream.
    StreamPurge,
    /// Reading a stored message.
    StreamGet,
    /// Deleting a stored message.
    StreamDeleteMessage,
    /// Publishing to a stream (and waiting for its acknowledgement).
    StreamPublish,
    /// Creating (or updating) a consumer.
    ConsumerCreate,
    /// Binding a consumer.
    ConsumerBind,
    /// Deleting a consumer.
    ConsumerDelete,
    /// Reading a consumer's info.
    ConsumerInfo,
    /// Fetching messages from a consumer.
    ConsumerFetch,
    /// Acknowledging a delivered message.
    Ack,
}

impl fmt::Display for NatsOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NatsOperation::Publish => "publish",
            NatsOperation::Request => "request",
            NatsOperation::Subscribe => "subscribe",
            NatsOperation::Flush => "flush",
            NatsOperation::Drain => "drain",
            NatsOperation::KvRead => "kv read",
            NatsOperation::KvWrite => "kv write",
            NatsOperation::KvWatch => "kv watch",
            NatsOperation::KvStatus => "kv status",
            NatsOperation::KvBind => "kv bind",
            NatsOperation::KvCreate => "kv create",
            NatsOperation::KvUpdate => "kv update",
            NatsOperation::KvPurge => "kv purge",
            NatsOperation::KvDelete => "kv delete",
            NatsOperation::KvList => "kv list",
            NatsOperation::StreamCreate => "stream create",
            NatsOperation::StreamBind => "stream bind",
            NatsOperation::StreamUpdate => "stream update",
            NatsOperation::StreamDelete => "stream delete",
            NatsOperation::StreamList => "stream list",
            NatsOperation::StreamInfo => "stream info",
            NatsOperation::StreamPurge => "stream purge",
            NatsOperation::StreamGet => "stream get",
            NatsOperation::StreamDeleteMessage => "stream delete message",
            NatsOperation::StreamPublish => "stream publish",
            NatsOperation::ConsumerCreate => "consumer create",
            NatsOperation::ConsumerBind => "consumer bind",
            NatsOperation::ConsumerDelete => "consumer delete",
            NatsOperation::ConsumerInfo => "consumer info",
            NatsOperation::ConsumerFetch => "consumer fetch",
            NatsOperation::Ack => "ack",
        })
    }
}
