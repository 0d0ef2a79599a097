//! `kv::View`: a local replica of a bucket, kept current by a watch, in the context as
//! `Ctx<kv::View>` — the hot handler reads prices from memory instead of asking the
//! server on every request; `wait_for_revision` gives read-your-writes. Runs as in
//! production (`App::run`); once it runs, a demo asks for prices and stops the app.
//!
//! ```sh
//! cargo run --example kv_view
//! ```

use std::time::Instant;

use faststream_kv::prelude::*;
use schemars::JsonSchema;

#[derive(Serialize, Deserialize, JsonSchema, Debug, PartialEq, Eq)]
pub(crate) struct Quote {
    pub(crate) sku: String,
    pub(crate) cents: u64,
}

#[subscriber("price.{sku}")]
async fn price(Path(sku): Path<String>, Ctx(prices): Ctx<kv::View>) -> Result<Json<Quote>, Error> {
    let cents: u64 = prices
        .get_json(&sku)?
        .ok_or_else(|| Error::status(404, format!("no price for {sku}")))?;
    Ok(Json(Quote { sku, cents }))
}

/// The service: the bucket and a view of it in the context, one subscriber.
pub(crate) fn app(broker: Broker) -> App {
    App::new(broker)
        .on_startup(async |cx: Lifecycle| {
            let prices = cx
                .broker()
                .key_value("prices")
                .declare(kv::Config::default())
                .await?;
            prices.put_json("apple", &120).await?;
            // Returns once the view holds every current price.
            cx.context().insert(prices.view(">").await?);
            cx.context().insert(prices);
            Ok::<_, Error>(())
        })
        .subscriber(price)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    app(Broker::from_env()).after_startup(demo).run().await
}

/// Asks for prices, adds one and reads it back through the view, and stops the app.
async fn demo(cx: Lifecycle) -> Result<(), Error> {
    let quote: Quote = cx.broker().request_json("price.apple", &()).await?;
    println!("{quote:?}");

    let prices = cx.context().get::<KeyValue>()?;
    let view = cx.context().get::<kv::View>()?;
    let revision = prices.put_json("pear", &95).await?;
    view.wait_for_revision(revision).await?; // read your own write
    let quote: Quote = cx.broker().request_json("price.pear", &()).await?;
    println!("{quote:?}");

    let reads = 100_000;
    let started = Instant::now();
    for _ in 0..reads {
        std::hint::black_box(view.get("pear"));
    }
    println!(
        "{reads} local reads in {:?}; view at revision {}, lag {}",
        started.elapsed(),
        view.revision(),
        view.lag()
    );
    cx.shutdown_handle().shutdown();
    Ok(())
}
