//! The quickstart: an app with a startup hook, a context object and two handlers, run
//! as in production (`App::run`). Once it runs, a demo sends it a few messages and a
//! request, prints what the handlers did, and stops it with the shutdown handle.
//!
//! ```sh
//! cargo run --example quickstart                                  # embedded broker
//! NATS_URL=nats://127.0.0.1:4222 cargo run --example quickstart   # a real server
//! cargo run --example quickstart -- --asyncapi=yaml               # its AsyncAPI document
//! ```

use std::sync::atomic::{AtomicU32, Ordering};

use faststream_kv::asyncapi::Info;
use faststream_kv::prelude::*;
use schemars::JsonSchema;

#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Order {
    pub(crate) sku: String,
    pub(crate) qty: u32,
}

#[derive(Serialize, Deserialize, JsonSchema, Debug)]
pub(crate) struct Receipt {
    pub(crate) region: String,
    pub(crate) sku: String,
    pub(crate) qty: u32,
    pub(crate) order_number: u32,
}

/// Shared state, put into the context by the startup hook.
#[derive(Default)]
struct Counter(AtomicU32);

/// Counts an order and replies with its receipt. `{region}` is a capture:
/// `orders.eu.created` gives `region = "eu"`.
#[subscriber("orders.{region}.created", queue = "billing")]
async fn on_order(
    Json(order): Json<Order>,
    Path(region): Path<String>,
    Ctx(counter): Ctx<Counter>,
) -> Json<Receipt> {
    let order_number = counter.0.fetch_add(1, Ordering::SeqCst) + 1;
    println!(
        "order #{order_number}: {} x {} in {region}",
        order.qty, order.sku
    );
    Json(Receipt {
        region,
        sku: order.sku,
        qty: order.qty,
        order_number,
    })
}

/// Prints a greeting.
#[subscriber("greetings")]
async fn on_greeting(text: String) {
    println!("greeting: {text}");
}

/// The service: a startup hook puts the counter into the context; two subscribers.
pub(crate) fn app(broker: Broker) -> App {
    App::new(broker)
        .asyncapi_info(Info::new("quickstart", env!("CARGO_PKG_VERSION")))
        .on_startup(async |cx: Lifecycle| {
            cx.context().insert(Counter::default());
            Ok::<_, Error>(())
        })
        .subscriber(on_order)
        .subscriber(on_greeting)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let broker = Broker::from_env();
    eprintln!("backend: {}", broker.backend());
    // Serves until Ctrl-C or SIGTERM; here the demo talks to the service once it runs
    // and then stops it.
    app(broker).after_startup(demo).run().await
}

/// Sends the running service a greeting, two orders and a request, prints the answers,
/// and stops the app through its shutdown handle.
async fn demo(cx: Lifecycle) -> Result<(), Error> {
    let broker = cx.broker();
    broker
        .publish("greetings", "hello from after_startup")
        .await?;
    for (region, sku) in [("eu", "apple"), ("us", "pear")] {
        let order = Order {
            sku: sku.into(),
            qty: 2,
        };
        broker
            .publish_json(&format!("orders.{region}.created"), &order)
            .await?;
    }
    let order = Order {
        sku: "plum".into(),
        qty: 5,
    };
    let receipt: Receipt = broker.request_json("orders.eu.created", &order).await?;
    println!("reply: {receipt:?}");
    let bad = broker.request("orders.eu.created", "not json").await;
    println!(
        "bad input answered with: {}",
        bad.err().map(|e| e.to_string()).unwrap_or_default()
    );
    cx.shutdown_handle().shutdown();
    Ok(())
}
