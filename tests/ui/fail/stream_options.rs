use faststream_kv::prelude::*;

#[subscriber("orders.*", stream = "ORDERS", queue = "billing")]
async fn with_queue() {}

#[subscriber("orders.*", durable = "billing")]
async fn durable_without_stream() {}

#[subscriber("orders.*", stream = "ORDERS", ack_policy = "sometimes")]
async fn unknown_policy() {}

#[subscriber("orders.*", keep_alive = true)]
async fn keep_alive_without_stream() {}

#[subscriber("orders.*", stream = "ORDERS", declare = "no")]
async fn declare_not_a_bool() {}

fn main() {}
