use faststream_kv::prelude::*;

#[subscriber("count")]
async fn count() -> u64 {
    1
}

fn main() {}
