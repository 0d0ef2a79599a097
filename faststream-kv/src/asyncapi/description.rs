//! What a subscriber tells the document about itself.

use super::payload::DescribePayload;
use crate::publisher::Publisher;
use crate::subject::Pattern;

/// The documentation a subscriber carries: set by `#[subscriber]` from the handler's
/// doc comment and types, or by the builder's `description` / `document_*` methods.
#[derive(Debug, Clone, Default)]
pub(crate) struct SubscriberDocs {
    pub(crate) description: Option<String>,
    pub(crate) payload: Option<DescribePayload>,
    pub(crate) reply: Option<DescribePayload>,
    /// Whether the handler returns something: a request gets it as its reply.
    pub(crate) replies: bool,
}

/// One subscriber as the document sees it.
pub(crate) struct SubscriberDescription<'a> {
    pub(crate) name: &'a str,
    pub(crate) pattern: &'a Pattern,
    pub(crate) consumes: Consumes<'a>,
    pub(crate) publishers: &'a [Publisher],
    pub(crate) docs: &'a SubscriberDocs,
}

/// Where a subscriber's messages come from.
pub(crate) enum Consumes<'a> {
    /// Core NATS subjects, in a queue group or not; the handler answers requests.
    Subject { queue: Option<&'a str> },
    /// A JetStream stream, through a durable consumer or an ephemeral one.
    Stream {
        stream: &'a str,
        durable: Option<&'a str>,
    },
    /// The changes of a Key-Value bucket's keys.
    KvWatch { bucket: &'a str },
}
