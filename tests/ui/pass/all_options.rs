use faststream_kv::prelude::*;

#[derive(Deserialize)]
struct Order {
    qty: u32,
}

struct Stock;

/// Docs stay on the generated item.
#[subscriber(
    "orders.{region}.{id}",
    queue = "billing",
    max_workers = 4,
    name = "orders"
)]
pub async fn on_order(
    Json(order): Json<Order>,
    Path((region, id)): Path<(String, u64)>,
    Ctx(_stock): Ctx<Stock>,
) -> Result<String, Error> {
    Ok(format!("{region}/{id}: {}", order.qty))
}

#[subscriber("logs.{rest...}", pending_messages = 10_000, pending_bytes = 1_048_576)]
async fn logs(Path(rest): Path<String>, headers: Headers) -> Json<usize> {
    Json(rest.len() + headers.len())
}

#[subscriber("ping")]
async fn ping() {}

#[subscriber(
    "orders.{region}",
    stream = "ORDERS",
    durable = "billing",
    ack_policy = "nack_on_error",
    max_workers = 8,
    workers_by_key = "region"
)]
async fn bill(Path(region): Path<String>, info: faststream_kv::jetstream::MessageInfo) -> String {
    format!("{region} {}", info.delivered)
}

#[subscriber(
    "refunds.*",
    stream = "REFUNDS",
    ack_policy = "manual",
    declare = false,
    keep_alive = true
)]
async fn refund(acker: faststream_kv::jetstream::Acker) -> Result<(), Error> {
    acker.ack().await
}

pub(crate) fn main() {
    let _app = App::new(Broker::memory())
        .subscriber(on_order)
        .subscriber(logs)
        .subscriber(ping)
        .subscriber(bill)
        .subscriber(refund);
}
