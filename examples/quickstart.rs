//! The quickstart: an app with a startup hook, a context object and three handlers.
//! It starts, sends itself a few messages and a request, prints what the handlers did,
//! and exits.
//!
//! ```sh
//! cargo run --example quickstart                                  # embedded broker
//! NATS_URL=nats://127.0.0.1:4222 cargo run --example quickstart   # a real server
//! ```

use std::sync::atomic::{AtomicU32, Ordering};

use faststream_kv::prelude::*;

#[derive(Serialize, Deserialize)]
struct Order {
    sku: String,
    qty: u32,
}

#[derive(Serialize, Deserialize, Debug)]
struct Receipt {
    region: String,
    sku: String,
    qty: u32,
    order_number: u32,
}

/// Shared state, put into the context by the startup hook.
#[derive(Default)]
struct Counter(AtomicU32);

/// `{region}` is a capture: `orders.eu.created` gives `region = "eu"`.
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

#[subscriber("greetings")]
async fn on_greeting(text: String) {
    println!("greeting: {text}");
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let broker = Broker::from_env();
    println!("backend: {}", broker.backend());
    let app = App::new(broker)
        .on_startup(async |cx: AppContext| {
            cx.context().insert(Counter::default());
            Ok::<_, Error>(())
        })
        .after_startup(async |cx: AppContext| {
            cx.broker()
                .publish("greetings", "hello from after_startup")
                .await
        })
        .subscriber(on_order)
        .subscriber(on_greeting);

    // `app.run().await` would serve until Ctrl-C; here we talk to ourselves and stop.
    let app = TestApp::start(app).await?;
    for (region, sku) in [("eu", "apple"), ("us", "pear")] {
        let order = Order {
            sku: sku.into(),
            qty: 2,
        };
        app.publish_json(&format!("orders.{region}.created"), &order)
            .await?;
    }
    let receipt: Receipt = app
        .request_json(
            "orders.eu.created",
            &Order {
                sku: "plum".into(),
                qty: 5,
            },
        )
        .await?;
    println!("reply: {receipt:?}");
    let bad = app.request("orders.eu.created", "not json").await;
    println!(
        "bad input answered with: {}",
        bad.err().map(|e| e.to_string()).unwrap_or_default()
    );
    app.stop().await
}
