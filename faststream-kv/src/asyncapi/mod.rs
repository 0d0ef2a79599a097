//! AsyncAPI 3.0: the document describing an app's channels and operations, as
//! FastStream generates it. [`App::asyncapi`](crate::App::asyncapi) builds it from the
//! subscribers:
//!
//! - a channel (its address the subject pattern, each `{capture}` a parameter) and a
//!   `receive` operation per subscriber — on subjects (with its queue group as the NATS
//!   binding), on a stream (`x-nats-stream`), on a Key-Value bucket's changes
//!   (address `$KV.<bucket>.<keys>`, `x-nats-kv-bucket`);
//! - the reply of a handler that returns something, as the operation's `reply`;
//! - a channel per subject published to and a `send` operation per publisher;
//! - message payloads from the handler's body argument and result: the schema of
//!   `T` in `Json<T>` (derive [`schemars::JsonSchema`] on it), text or binary.
//!
//! An app run with `--asyncapi[=json|yaml]` or [`ASYNCAPI_ENV`] set prints its
//! document and returns instead of starting.
//!
//! ```
//! use faststream_kv::prelude::*;
//! use schemars::JsonSchema;
//!
//! #[derive(Deserialize, Serialize, JsonSchema)]
//! struct Order {
//!     id: u64,
//! }
//!
//! /// Bills an order.
//! #[subscriber("orders.{region}.created")]
//! async fn bill(Json(order): Json<Order>, Path(_region): Path<String>) -> Json<Order> {
//!     Json(order)
//! }
//!
//! let document = App::new(Broker::memory()).subscriber(bill).asyncapi();
//! let channel = &document.as_json()["channels"]["bill"];
//! assert_eq!(channel["address"], "orders.{region}.created");
//! assert!(document.to_yaml().contains("Bills an order."));
//! ```

mod description;
mod document;
mod payload;
mod probe;
mod request;
mod yaml;

use serde_json::Value;

pub use payload::{DescribePayload, Payload, PayloadSchema};
pub use request::{ASYNCAPI_ARG, ASYNCAPI_ENV, Format};

pub(crate) use description::{Consumes, SubscriberDescription, SubscriberDocs};
pub(crate) use request::requested;

/// What `#[subscriber]` expands to; not part of the API.
#[doc(hidden)]
pub mod __probe {
    pub use super::probe::{Described, Probe, Undescribed};
}

/// The document's `info`: the service's title, version and description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    title: String,
    version: String,
    description: Option<String>,
}

impl Info {
    /// A title and a version, e.g.
    /// `Info::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))`.
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            version: version.into(),
            description: None,
        }
    }

    /// A longer description (CommonMark).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

impl Default for Info {
    /// FastStream's defaults: this framework's name and version `0.1.0`.
    fn default() -> Self {
        Self::new("faststream-kv", "0.1.0")
    }
}

/// An AsyncAPI 3.0 document.
#[derive(Debug, Clone, PartialEq)]
pub struct AsyncApi {
    document: Value,
}

impl AsyncApi {
    pub(crate) fn build<'a>(
        info: &Info,
        servers: &[String],
        subscribers: impl IntoIterator<Item = SubscriberDescription<'a>>,
    ) -> Self {
        Self {
            document: document::document(info, servers, subscribers),
        }
    }

    /// The document as a JSON value.
    pub fn as_json(&self) -> &Value {
        &self.document
    }

    /// The document as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        format!("{:#}", self.document)
    }

    /// The document as YAML.
    pub fn to_yaml(&self) -> String {
        yaml::to_yaml(&self.document)
    }

    /// The document written in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => self.to_json(),
            Format::Yaml => self.to_yaml(),
        }
    }
}
