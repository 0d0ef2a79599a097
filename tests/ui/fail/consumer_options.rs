use faststream_kv::prelude::*;

#[subscriber("orders.*", ack_wait = "10s")]
async fn consumer_option_without_stream() {}

#[subscriber("orders.*", stream = "ORDERS", ack_wait = "10 seconds")]
async fn bad_duration() {}

#[subscriber("orders.*", stream = "ORDERS", deliver = "newest")]
async fn unknown_deliver_policy() {}

#[subscriber("orders.*", stream = "ORDERS", deliver = "new", start_sequence = 5)]
async fn deliver_and_start_sequence() {}

#[subscriber("orders.*", stream = "ORDERS", backoff = ["1s", "5s", "10s"], max_deliver = 2)]
async fn fewer_deliveries_than_backoff_steps() {}

#[subscriber("orders.*", stream = "ORDERS", backoff = ["1s"], ack_wait = "5s")]
async fn ack_wait_with_backoff() {}

#[subscriber("orders.*", stream = "ORDERS", max_ack_pending = 0)]
async fn no_ack_pending() {}

#[subscriber("orders.{region}", stream = "ORDERS", filter_subjects = ["payments.eu"])]
async fn filter_outside_the_pattern(Path(_region): Path<String>) {}

#[subscriber("orders.>", stream = "ORDERS", filter_subjects = ["orders.eu.*", "orders.eu.created"])]
async fn filters_containing_one_another() {}

#[subscriber("orders.*", stream = "ORDERS", nak_delay = "5s")]
async fn nak_delay_without_nack_on_error() {}

fn main() {}
