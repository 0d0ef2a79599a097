//! Where a connection reports its [`ConnectionEvent`]s: to every listener of its
//! broker, and to the log.

use tokio::sync::broadcast;

use crate::connection_event::ConnectionEvent;

/// How many events a listener that falls behind may miss before it is told so.
const BUFFERED: usize = 64;

/// The sending side, shared by a broker and its connection.
#[derive(Debug, Clone)]
pub(crate) struct Events(broadcast::Sender<ConnectionEvent>);

impl Default for Events {
    fn default() -> Self {
        Self(broadcast::Sender::new(BUFFERED))
    }
}

impl Events {
    /// Reports `event` to the listeners, the log and the `metrics` facade
    /// (`faststream_connection_events_total{event}`).
    pub(crate) fn report(&self, event: ConnectionEvent) {
        metrics::counter!("faststream_connection_events_total", "event" => event_name(&event))
            .increment(1);
        match &event {
            ConnectionEvent::Connected | ConnectionEvent::Reconnected => {
                tracing::info!(%event, "NATS connection");
            }
            ConnectionEvent::Closed => tracing::debug!(%event, "NATS connection"),
            ConnectionEvent::ConsumerGone { .. } | ConnectionEvent::MaxDeliveries { .. } => {
                tracing::warn!(%event, "JetStream consumer");
            }
            _ => tracing::warn!(%event, "NATS connection"),
        }
        // Nobody listening is fine.
        let _ = self.0.send(event);
    }

    /// A new listener, which sees the events from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<ConnectionEvent> {
        self.0.subscribe()
    }
}

/// The `event` label of a connection event.
fn event_name(event: &ConnectionEvent) -> &'static str {
    match event {
        ConnectionEvent::Connected => "connected",
        ConnectionEvent::Disconnected => "disconnected",
        ConnectionEvent::Reconnected => "reconnected",
        ConnectionEvent::LameDuck => "lame_duck",
        ConnectionEvent::SlowConsumer { .. } => "slow_consumer",
        ConnectionEvent::ServerError { .. } => "server_error",
        ConnectionEvent::ClientError { .. } => "client_error",
        ConnectionEvent::ConsumerGone { .. } => "consumer_gone",
        ConnectionEvent::MaxDeliveries { .. } => "max_deliveries",
        ConnectionEvent::Closed => "closed",
        _ => "other",
    }
}
