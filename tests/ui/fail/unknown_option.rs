use faststream_kv::prelude::*;

#[subscriber("count", queue = "q", workers = 3)]
async fn count() {}

fn main() {}
