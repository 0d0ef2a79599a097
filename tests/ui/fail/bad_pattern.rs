use faststream_kv::prelude::*;

#[subscriber("orders..{region")]
async fn orders() {}

fn main() {}
