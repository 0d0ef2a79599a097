use faststream_kv::prelude::*;

#[subscriber(kv_watch = "config", keys = "a.*", queue = "workers")]
async fn with_queue(entry: Entry) {}

#[subscriber("orders.created", keys = "a.*")]
async fn keys_without_watch(body: String) {}

#[subscriber("orders.created", ignore_deletes)]
async fn flag_without_watch(body: String) {}

#[subscriber("orders.created", kv_watch = "config")]
async fn subject_and_watch(entry: Entry) {}

#[subscriber(kv_watch = "config", keys = "user.{id}")]
async fn unused_key_capture(entry: Entry) {}

#[subscriber(kv_watch = "config", keys = "a.*", pending_messages = 10)]
async fn watch_with_pending_limits(entry: Entry) {}

#[subscriber("orders.created", pending_bytes = 0)]
async fn zero_pending_bytes(body: String) {}

fn main() {}
