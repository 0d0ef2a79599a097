use faststream_kv::prelude::*;

#[subscriber("orders.{region}.{id}")]
async fn orders(Path((region, id, extra)): Path<(String, u32, u8)>) {}

fn main() {}
