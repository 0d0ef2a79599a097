//! W3C trace context (`traceparent`) across messages: a handled message's
//! `traceparent` puts its handler's span in the sender's trace, and what the handler
//! publishes or requests carries the trace on.
//!
//! - The `message` span records the incoming trace id as its `trace_id` field.
//! - While a handler runs, [`TraceContext::current`] is the message's trace with a new
//!   span id (this hop's), and every publish, stream publish and request made from it
//!   carries that as its `traceparent` header, unless the message already sets one.
//! - With the cargo feature `opentelemetry` and a `tracing-opentelemetry` layer
//!   installed, the `message` span is exported as a child of the sender's span, and
//!   publishes carry the current OpenTelemetry span (in handlers, hooks or anywhere)
//!   as their parent.
//!
//! A message without a valid `traceparent` starts no trace of ours (an OpenTelemetry
//! layer starts its own). `tracestate` is not carried on.

mod context;
#[cfg(feature = "opentelemetry")]
mod opentelemetry;
mod propagate;
mod scope;

pub use context::TraceContext;
#[cfg(feature = "opentelemetry")]
pub(crate) use opentelemetry::set_remote_parent;
pub(crate) use propagate::propagate;
pub(crate) use scope::Entered;
