//! What happens to a broker's connection, as [`Broker::events`](crate::Broker::events)
//! reports it.

use std::fmt;

/// A change in the state of a broker's connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// The first connection was made.
    Connected,
    /// The connection to the server was lost; the client reconnects.
    Disconnected,
    /// Connected again after [`Disconnected`](Self::Disconnected).
    Reconnected,
    /// The server is shutting down gracefully (lame duck mode): expect a disconnect.
    LameDuck,
    /// A subscription could not keep up: messages over its
    /// [`PendingLimits`](crate::PendingLimits) were dropped (reported at once, then at
    /// most once a second per subscription, with the counts since the last report).
    #[non_exhaustive]
    SlowConsumer {
        /// The subscriber's name, or the subject of a plain subscription.
        subscription: String,
        /// Messages dropped since the last report.
        dropped_messages: u64,
        /// Their payload bytes (0 when async-nats itself dropped them: it does not
        /// say their size).
        dropped_bytes: u64,
    },
    /// The server reported an error (permissions, a protocol violation, ...).
    #[non_exhaustive]
    ServerError {
        /// The server's description.
        message: String,
    },
    /// The client failed (e.g. it gave up reconnecting).
    #[non_exhaustive]
    ClientError {
        /// The client's description.
        message: String,
    },
    /// A stream subscriber's consumer was gone (deleted by an operator, or with its
    /// stream); the subscriber declared it again from its own configuration if it
    /// could (else it tries again, and its health says it does not consume meanwhile).
    #[non_exhaustive]
    ConsumerGone {
        /// The subscriber's name.
        subscriber: String,
        /// The stream.
        stream: String,
        /// Whether it was declared again.
        declared_again: bool,
    },
    /// A stream subscriber's consumer gave up on a message: it was delivered
    /// `max_deliver` times and never acknowledged, and the server delivers it no more
    /// (its max-deliveries advisory, on
    /// `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>`, which a
    /// dead-letter stream may store).
    #[non_exhaustive]
    MaxDeliveries {
        /// The subscriber's name.
        subscriber: String,
        /// The stream.
        stream: String,
        /// The consumer's name.
        consumer: String,
        /// The message's stream sequence.
        stream_sequence: u64,
        /// How often it was delivered.
        deliveries: u64,
    },
    /// The connection was closed.
    Closed,
    /// This listener fell behind and missed events.
    #[non_exhaustive]
    Missed {
        /// How many.
        events: u64,
    },
}

impl fmt::Display for ConnectionEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionEvent::Connected => f.write_str("connected"),
            ConnectionEvent::Disconnected => f.write_str("disconnected"),
            ConnectionEvent::Reconnected => f.write_str("reconnected"),
            ConnectionEvent::LameDuck => f.write_str("server in lame duck mode"),
            ConnectionEvent::SlowConsumer {
                subscription,
                dropped_messages,
                dropped_bytes,
            } => write!(
                f,
                "slow consumer {subscription}: pending limit reached, {dropped_messages} message(s) ({dropped_bytes} bytes) dropped"
            ),
            ConnectionEvent::ServerError { message } => write!(f, "server error: {message}"),
            ConnectionEvent::ClientError { message } => write!(f, "client error: {message}"),
            ConnectionEvent::ConsumerGone {
                subscriber,
                stream,
                declared_again,
            } => {
                let then = if *declared_again {
                    "declared again"
                } else {
                    "could not declare it again yet"
                };
                write!(
                    f,
                    "consumer of {subscriber} on stream {stream} gone: {then}"
                )
            }
            ConnectionEvent::MaxDeliveries {
                subscriber,
                stream,
                consumer,
                stream_sequence,
                deliveries,
            } => write!(
                f,
                "consumer {consumer} of {subscriber} on stream {stream} gave up on message {stream_sequence} after {deliveries} deliveries"
            ),
            ConnectionEvent::Closed => f.write_str("closed"),
            ConnectionEvent::Missed { events } => write!(f, "{events} events missed"),
        }
    }
}
