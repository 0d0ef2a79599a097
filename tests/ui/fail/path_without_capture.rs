use faststream_kv::prelude::*;

#[subscriber("orders.created")]
async fn orders(Path(region): Path<String>) {}

fn main() {}
