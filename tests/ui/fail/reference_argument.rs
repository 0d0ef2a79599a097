use faststream_kv::prelude::*;

#[subscriber("greet")]
async fn greet(name: &str) {}

fn main() {}
