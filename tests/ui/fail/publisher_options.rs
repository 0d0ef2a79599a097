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

#[subscriber("orders.{region}.created")]
#[publisher("invoices.{country}")]
async fn unknown_capture(Path(_region): Path<String>) {}

#[subscriber("orders.created")]
#[publisher("invoices.eu{x}")]
async fn brace_in_token() {}

#[subscriber("orders.created")]
#[publisher("billing.done", stream = "BILLING")]
async fn stream_reads_as_destination() {}

fn main() {}
