//! Builds the AsyncAPI 3.0 document: a channel and a `receive` operation per
//! subscriber (with a reply channel when the handler answers requests), a channel per
//! subject published to and a `send` operation per publisher, payload schemas in
//! `components/schemas`.

use std::collections::BTreeMap;

use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

use super::Info;
use super::description::{Consumes, SubscriberDescription};
use super::payload::{DescribePayload, Payload};
use crate::subject::Pattern;
use crate::wire::APPLICATION_JSON;

/// The AsyncAPI version written.
const VERSION: &str = "3.0.0";

/// The document for `subscribers` of an app on `servers` (NATS URLs).
pub(super) fn document<'a>(
    info: &Info,
    servers: &[String],
    subscribers: impl IntoIterator<Item = SubscriberDescription<'a>>,
) -> Value {
    let mut builder = Builder::new();
    for subscriber in subscribers {
        builder.add(&subscriber);
    }
    let mut root = Map::new();
    root.insert("asyncapi".into(), VERSION.into());
    root.insert("info".into(), info_object(info));
    root.insert("defaultContentType".into(), APPLICATION_JSON.into());
    if !servers.is_empty() {
        root.insert("servers".into(), server_objects(servers));
    }
    root.insert("channels".into(), builder.channels.into());
    root.insert("operations".into(), builder.operations.into());
    let schemas = builder.generator.take_definitions(true);
    if !schemas.is_empty() {
        root.insert("components".into(), json!({ "schemas": schemas }));
    }
    root.into()
}

struct Builder {
    generator: SchemaGenerator,
    channels: Map<String, Value>,
    operations: Map<String, Value>,
    /// The channel of each subject published to, shared by its publishers.
    published: BTreeMap<String, String>,
}

impl Builder {
    fn new() -> Self {
        let settings = SchemaSettings::draft07().with(|settings| {
            settings.definitions_path = "/components/schemas".into();
            settings.meta_schema = None;
        });
        Self {
            generator: settings.into_generator(),
            channels: Map::new(),
            operations: Map::new(),
            published: BTreeMap::new(),
        }
    }

    fn add(&mut self, subscriber: &SubscriberDescription<'_>) {
        let id = unique(&self.channels, &identifier(subscriber.name));
        let docs = subscriber.docs;
        // A Key-Value entry is stored, not sent: it has no correlation id.
        let correlated = !matches!(subscriber.consumes, Consumes::KvWatch { .. });
        let mut message = self.message(docs.payload, subscriber.name, correlated);
        let mut channel = Map::new();
        let mut operation = Map::new();
        operation.insert("action".into(), "receive".into());
        operation.insert("channel".into(), reference(&["channels", &id]));
        operation.insert(
            "messages".into(),
            json!([reference(&["channels", &id, "messages", "message"])]),
        );
        if let Some(description) = &docs.description {
            operation.insert("description".into(), description.as_str().into());
        }
        let address = match subscriber.consumes {
            Consumes::Subject { queue } => {
                if let Some(queue) = queue {
                    operation.insert(
                        "bindings".into(),
                        json!({ "nats": { "queue": queue, "bindingVersion": "0.1.0" } }),
                    );
                }
                if docs.replies {
                    let reply = self.reply_channel(&id, subscriber);
                    operation.insert("reply".into(), reply);
                }
                address(subscriber.pattern)
            }
            Consumes::Stream { stream, durable } => {
                channel.insert("x-nats-stream".into(), stream.into());
                if let Some(durable) = durable {
                    operation.insert("x-nats-durable".into(), durable.into());
                }
                address(subscriber.pattern)
            }
            Consumes::KvWatch { bucket } => {
                channel.insert("x-nats-kv-bucket".into(), bucket.into());
                message.insert(
                    "description".into(),
                    "A change of a key: its new value, or an empty payload for a delete or \
                     purge (header `KV-Operation`)."
                        .into(),
                );
                format!("$KV.{bucket}.{}", address(subscriber.pattern))
            }
        };
        channel.insert("address".into(), address.into());
        channel.insert("messages".into(), json!({ "message": message }));
        if subscriber.pattern.capture_count() > 0 {
            channel.insert("parameters".into(), parameters(subscriber));
        }
        self.channels.insert(id.clone(), channel.into());
        let operation_id = unique(&self.operations, &id);
        self.operations.insert(operation_id, operation.into());
        self.add_publishers(&id, subscriber);
    }

    /// A request's reply: a channel without an address (the request's reply subject).
    fn reply_channel(&mut self, id: &str, subscriber: &SubscriberDescription<'_>) -> Value {
        let reply_id = unique(&self.channels, &format!("{id}.reply"));
        let message = self.message(
            subscriber.docs.reply,
            &format!("{}.reply", subscriber.name),
            true,
        );
        self.channels.insert(
            reply_id.clone(),
            json!({
                "address": null,
                "description": "The reply, sent to the request's reply subject.",
                "messages": { "reply": message },
            }),
        );
        json!({
            "channel": reference(&["channels", &reply_id]),
            "messages": [reference(&["channels", &reply_id, "messages", "reply"])],
        })
    }

    fn add_publishers(&mut self, subscriber_id: &str, subscriber: &SubscriberDescription<'_>) {
        if subscriber.publishers.is_empty() {
            return;
        }
        let message = Value::from(self.message(subscriber.docs.reply, subscriber.name, true));
        let message_id = identifier(subscriber.name);
        for publisher in subscriber.publishers {
            let subject = publisher.destination();
            let channel_id = match self.published.get(subject) {
                Some(id) => id.clone(),
                None => {
                    let id = unique(&self.channels, &identifier(subject));
                    let mut channel = Map::new();
                    channel.insert("address".into(), subject.into());
                    channel.insert("messages".into(), Map::new().into());
                    let filled: Map<String, Value> = publisher
                        .captures()
                        .map(|name| {
                            let description = format!(
                                "What `{{{name}}}` matched in the handled message's subject."
                            );
                            (name.to_owned(), json!({ "description": description }))
                        })
                        .collect();
                    if !filled.is_empty() {
                        channel.insert("parameters".into(), filled.into());
                    }
                    if publisher.is_stream() {
                        channel.insert("x-nats-jetstream".into(), true.into());
                        if let Some(stream) = publisher.stream_name() {
                            channel.insert("x-nats-stream".into(), stream.into());
                        }
                    }
                    self.channels.insert(id.clone(), channel.into());
                    self.published.insert(subject.to_owned(), id.clone());
                    id
                }
            };
            if let Some(messages) = self.channels[&channel_id]
                .get_mut("messages")
                .and_then(Value::as_object_mut)
            {
                messages.insert(message_id.clone(), message.clone());
            }
            let operation_id = unique(
                &self.operations,
                &format!("{subscriber_id}.publish.{channel_id}"),
            );
            self.operations.insert(
                operation_id,
                json!({
                    "action": "send",
                    "channel": reference(&["channels", &channel_id]),
                    "messages": [reference(&["channels", &channel_id, "messages", &message_id])],
                    "description": format!("The results of `{}`.", subscriber.name),
                }),
            );
        }
    }

    /// A message object: named after its payload's type, else `fallback`; with
    /// FastStream's `correlation_id` header if `correlated`.
    fn message(
        &mut self,
        payload: Option<DescribePayload>,
        fallback: &str,
        correlated: bool,
    ) -> Map<String, Value> {
        let mut message = Map::new();
        match payload.map(|describe| self.payload(describe)) {
            Some(payload) => {
                let name = payload.name.unwrap_or_else(|| fallback.to_owned());
                message.insert("name".into(), name.into());
                message.insert("contentType".into(), payload.content_type.into());
                message.insert("payload".into(), Schema::to_value(payload.schema));
            }
            None => {
                message.insert("name".into(), fallback.into());
            }
        }
        if correlated {
            message.insert(
                "correlationId".into(),
                json!({ "location": "$message.header#/correlation_id" }),
            );
        }
        message
    }

    fn payload(&mut self, describe: DescribePayload) -> Payload {
        let mut payload = describe(&mut self.generator);
        for transform in self.generator.transforms_mut() {
            transform.transform(&mut payload.schema);
        }
        payload
    }
}

/// The pattern as a channel address: each capture as `{name}`, wildcards as they are.
fn address(pattern: &Pattern) -> String {
    let mut tokens: Vec<String> = pattern.subject().split('.').map(str::to_owned).collect();
    for (name, token, _) in pattern.capture_positions() {
        if let Some(slot) = tokens.get_mut(token) {
            *slot = format!("{{{name}}}");
        }
    }
    tokens.join(".")
}

fn parameters(subscriber: &SubscriberDescription<'_>) -> Value {
    let of = match subscriber.consumes {
        Consumes::KvWatch { .. } => "key",
        _ => "subject",
    };
    let parameters: Map<String, Value> = subscriber
        .pattern
        .capture_positions()
        .map(|(name, _, tail)| {
            let description = if tail {
                format!("The rest of the {of}: one or more tokens.")
            } else {
                format!("One token of the {of}.")
            };
            (name.to_owned(), json!({ "description": description }))
        })
        .collect();
    parameters.into()
}

fn info_object(info: &Info) -> Value {
    let mut object = Map::new();
    object.insert("title".into(), info.title.as_str().into());
    object.insert("version".into(), info.version.as_str().into());
    if let Some(description) = &info.description {
        object.insert("description".into(), description.as_str().into());
    }
    object.into()
}

/// A server object per URL, its credentials left out.
fn server_objects(servers: &[String]) -> Value {
    let objects: Map<String, Value> = servers
        .iter()
        .enumerate()
        .map(|(index, url)| {
            let (scheme, rest) = url.split_once("://").unwrap_or(("nats", url));
            let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            let host = host.trim_end_matches('/');
            let protocol = match scheme {
                "ws" | "wss" => scheme,
                _ => "nats",
            };
            let name = if servers.len() == 1 {
                "nats".to_owned()
            } else {
                format!("nats-{}", index + 1)
            };
            let mut server = json!({ "host": host, "protocol": protocol });
            if scheme == "tls" || scheme == "wss" {
                server["description"] = "TLS".into();
            }
            (name, server)
        })
        .collect();
    objects.into()
}

/// `#/a/b`: the document's names are identifiers, which need no escaping.
fn reference(path: &[&str]) -> Value {
    json!({ "$ref": format!("#/{}", path.join("/")) })
}

/// A name usable as a key and in a reference: letters, digits, `_`, `.` and `-`.
fn identifier(name: &str) -> String {
    let id: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if id.is_empty() { "_".into() } else { id }
}

/// `name`, or `name_2`, `name_3`... if `taken` has it.
fn unique(taken: &Map<String, Value>, name: &str) -> String {
    if !taken.contains_key(name) {
        return name.to_owned();
    }
    (2..)
        .map(|n| format!("{name}_{n}"))
        .find(|candidate| !taken.contains_key(candidate))
        .unwrap_or_else(|| name.to_owned())
}
