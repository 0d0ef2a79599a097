use faststream_kv::prelude::*;

#[subscriber("count")]
async fn count(n: u32) {}

fn main() {}
