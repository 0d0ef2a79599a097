use faststream_kv::prelude::*;

#[subscriber("orders.{region}.created")]
async fn orders(body: String) {}

fn main() {}
