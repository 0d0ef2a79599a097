use faststream_kv::prelude::*;

#[subscriber("orders.{region}", max_workers = 4, workers_by_key = "customer")]
async fn unknown_capture(Path(_region): Path<String>) {}

#[subscriber("orders.{region}", workers_by_key = "region")]
async fn one_worker(Path(_region): Path<String>) {}

fn main() {}
