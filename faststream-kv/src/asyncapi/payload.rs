//! What the AsyncAPI document says about a message body: its content type and schema.

use bytes::Bytes;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::extract::{Batch, Json};
use crate::wire::{APPLICATION_JSON, TEXT_PLAIN};

/// A message body as the document describes it.
#[derive(Debug, Clone)]
pub struct Payload {
    /// The message's name (the schema's for a JSON type).
    pub name: Option<String>,
    /// Its media type, such as `application/json`.
    pub content_type: &'static str,
    /// Its JSON schema: a `$ref` into `components/schemas` for a named type.
    pub schema: Schema,
}

/// A body type the AsyncAPI document can describe: `Json<T>` where `T: JsonSchema`,
/// `String` and `&str` (text), `Bytes` and `Vec<u8>` (binary); `Option<T>` and
/// `Result<T, E>` of these, and `Batch<T>` (each message's), describe as they do.
///
/// `#[subscriber]` documents the body argument and the result of a handler through this
/// trait by itself; without the macro,
/// [`Subscriber::document_payload`](crate::subscriber::Subscriber::document_payload)
/// names the types.
pub trait PayloadSchema {
    /// The payload's description, its named schemas added to `generator`.
    fn payload(generator: &mut SchemaGenerator) -> Payload;
}

/// A function describing a payload, as a subscriber keeps it.
pub type DescribePayload = fn(&mut SchemaGenerator) -> Payload;

impl<T: JsonSchema> PayloadSchema for Json<T> {
    fn payload(generator: &mut SchemaGenerator) -> Payload {
        Payload {
            name: Some(T::schema_name().into_owned()),
            content_type: APPLICATION_JSON,
            schema: generator.subschema_for::<T>(),
        }
    }
}

impl<T: JsonSchema> PayloadSchema for Batch<T> {
    fn payload(generator: &mut SchemaGenerator) -> Payload {
        Json::<T>::payload(generator)
    }
}

fn text() -> Payload {
    Payload {
        name: None,
        content_type: TEXT_PLAIN,
        schema: json_schema!({ "type": "string" }),
    }
}

fn binary() -> Payload {
    Payload {
        name: None,
        content_type: "application/octet-stream",
        schema: json_schema!({ "type": "string", "format": "binary" }),
    }
}

impl PayloadSchema for String {
    fn payload(_: &mut SchemaGenerator) -> Payload {
        text()
    }
}

impl PayloadSchema for &str {
    fn payload(_: &mut SchemaGenerator) -> Payload {
        text()
    }
}

impl PayloadSchema for Bytes {
    fn payload(_: &mut SchemaGenerator) -> Payload {
        binary()
    }
}

impl PayloadSchema for Vec<u8> {
    fn payload(_: &mut SchemaGenerator) -> Payload {
        binary()
    }
}

impl<T: PayloadSchema> PayloadSchema for Option<T> {
    fn payload(generator: &mut SchemaGenerator) -> Payload {
        T::payload(generator)
    }
}

impl<T: PayloadSchema, E> PayloadSchema for Result<T, E> {
    fn payload(generator: &mut SchemaGenerator) -> Payload {
        T::payload(generator)
    }
}
