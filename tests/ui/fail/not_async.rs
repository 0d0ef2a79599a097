use faststream_kv::prelude::*;

#[subscriber("ping")]
fn ping() {}

fn main() {}
