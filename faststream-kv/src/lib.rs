//! # faststream-kv
//!
//! FastStream-style NATS services in Rust. An [`App`] runs lifecycle hooks that connect
//! a [`Broker`] and fill a typed [`Context`]; `#[subscriber]` handlers receive the
//! decoded message, subject captures and context objects through extractors, the way
//! axum handlers receive `Json`, `Path` and `State`.
//!
//! ```
//! use faststream_kv::prelude::*;
//! use faststream_kv::testing::TestApp;
//!
//! #[derive(Deserialize)]
//! struct Order { sku: String, qty: u32 }
//!
//! #[derive(Serialize, Deserialize)]
//! struct Receipt { region: String, sku: String, qty: u32 }
//!
//! #[subscriber("orders.{region}.created", queue = "billing")]
//! async fn on_order(Json(order): Json<Order>, Path(region): Path<String>) -> Json<Receipt> {
//!     Json(Receipt { region, sku: order.sku, qty: order.qty })
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Error> {
//! let app = TestApp::start(App::new(Broker::memory()).subscriber(on_order)).await?;
//! let receipt: Receipt = app
//!     .request_json("orders.eu.created", &serde_json::json!({"sku": "sku-1", "qty": 2}))
//!     .await?;
//! assert_eq!((receipt.region.as_str(), receipt.qty), ("eu", 2));
//! app.stop().await
//! # }
//! ```
//!
//! Everything runs on a real `nats-server` ([`Broker::nats`]) and on the embedded
//! in-memory broker ([`Broker::memory`]); [`Broker::from_env`] picks by `NATS_URL`.
//! The cargo feature `testing` adds `testing::TestApp` and `testing::NatsServer`;
//! `opentelemetry` exports each message's span to OpenTelemetry (see [`trace`]).

mod app;
pub mod asyncapi;
mod backend;
mod backend_kind;
pub mod broker;
mod connection_event;
mod context;
pub mod error;
pub mod extract;
pub mod handler;
pub mod jetstream;
pub mod kv;
mod message;
mod pending;
pub mod publisher;
mod response;
pub mod router;
mod runtime;
mod storage;
mod subject;
pub mod subscriber;
#[cfg(feature = "testing")]
pub mod testing;
pub mod trace;
mod wire;

pub use app::{App, Health, HealthCheck, Lifecycle, RunningApp, ShutdownHandle, SubscriberHealth};
/// The NATS client underneath: its types (`HeaderMap`, `Subject`, `Client`) appear in our
/// signatures, and [`Broker::nats_client`] hands out its client.
pub use async_nats;
pub use backend_kind::BackendKind;
pub use broker::{Broker, ConnectOptions, MemoryOptions};
pub use connection_event::ConnectionEvent;
pub use context::{Context, Extensions};
pub use error::{BoxError, Error, Result};
pub use message::Message;
pub use pending::{PendingLimits, PendingStats, SubscriberStats};
pub use response::{IntoReply, Reply};
pub use router::Router;
/// Re-exported for `#[derive(JsonSchema)]` on payload types (see [`asyncapi`]).
pub use schemars;
pub use wire::{
    APPLICATION_JSON, CONTENT_TYPE, CORRELATION_ID, REPLY_TO, SERVICE_ERROR, SERVICE_ERROR_CODE,
    TEXT_PLAIN, TRACEPARENT,
};

/// `#[subscriber("pattern", queue = "...", max_workers = N)]` on an `async fn` makes it a
/// subscriber for [`App::subscriber`] (`pending_messages = N, pending_bytes = N` set its
/// [`PendingLimits`]); `#[subscriber(kv_watch = "bucket", keys = "...")]`
/// makes it handle the changes of a Key-Value bucket (flags: `ignore_deletes`,
/// `include_history`, `meta_only`, `updates_only`).
///
/// The pattern is checked at compile time: `{name}` captures one token, `{name...}` the
/// rest of the subject (or key); every capture must be used by a `Path` argument (also
/// inside `Option<Path<T>>` or `Result<Path<T>, _>`). The function's body stays callable
/// as `name::call(...)`, e.g. from a unit test.
pub use faststream_kv_macros::subscriber;

/// `#[publisher("subject")]` (or `#[publisher("subject", stream)]`, a stream publish
/// that waits for its acknowledgement, or `expected_stream = "STREAM"`, one that stream
/// `STREAM` must store) with `#[subscriber]` publishes each result of the handler there;
/// stack several for several destinations. The subject is checked at compile time, and
/// may name the pattern's captures: `#[publisher("invoices.{region}")]`. See
/// [`Subscriber::publisher`](subscriber::Subscriber::publisher).
pub use faststream_kv_macros::publisher;

#[doc = include_str!("../../docs/guide.md")]
pub mod guide {}

/// The README's tour, compiled and run as a doc test.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// Re-exports for handler code: `use faststream_kv::prelude::*;`.
pub mod prelude {
    pub use crate::extract::{Ctx, FromMessage, Headers, Json, Path, Subject};
    pub use crate::kv::{self, Entry, KeyValue, Operation, WatchEvent};
    pub use crate::{
        App, Broker, Context, Error, IntoReply, Lifecycle, Message, Reply, Router, publisher,
        subscriber,
    };
    pub use bytes::Bytes;
    pub use serde::{Deserialize, Serialize};
}

#[doc(hidden)]
pub mod __private {
    pub use crate::extract::FromMessage;
    pub use crate::response::IntoReply;
}
