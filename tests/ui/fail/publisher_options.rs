use faststream_kv::prelude::*;

#[subscriber("orders.created")]
#[publisher("orders.*")]
async fn wildcard() {}

#[subscriber("orders.created")]
#[publisher("orders.billed", queue = "x")]
async fn unknown_option() {}

#[subscriber("orders.created")]
#[publisher(stream = "ORDERS")]
async fn no_subject() {}

#[subscriber("orders.created", publish = "bad subject")]
async fn bad_short_form() {}

#[publisher("orders.billed")]
async fn without_subscriber() {}

fn main() {}
