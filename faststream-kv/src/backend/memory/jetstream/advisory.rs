//! The JetStream advisories the memory broker publishes, as nats-server writes them.

use bytes::Bytes;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::message::Message;

/// The subject prefix of a consumer's max-deliveries advisory; the stream and the
/// consumer follow.
const MAX_DELIVERIES: &str = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES";

/// Consumer `consumer` of `stream` gave up on message `sequence` after `deliveries`
/// deliveries (nats-server's `JSConsumerDeliveryExceededAdvisory`).
pub(super) fn max_deliveries(
    stream: &str,
    consumer: &str,
    sequence: u64,
    deliveries: u64,
) -> Message {
    let advisory = serde_json::json!({
        "type": "io.nats.jetstream.advisory.v1.max_deliver",
        "id": nuid::next().to_string(),
        "timestamp": OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default(),
        "stream": stream,
        "consumer": consumer,
        "stream_seq": sequence,
        "deliveries": deliveries,
    });
    let subject = format!("{MAX_DELIVERIES}.{stream}.{consumer}");
    Message::new(subject, Bytes::from(advisory.to_string()))
}
