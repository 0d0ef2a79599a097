//! `KvView`: a local replica of a bucket, kept current by a watch, in the context as
//! `Ctx<KvView>` — the hot handler reads prices from memory instead of asking the
//! server on every request; `wait_for_revision` gives read-your-writes.
//!
//! ```sh
//! cargo run --example kv_view
//! ```

use std::time::Instant;

use faststream_kv::prelude::*;

#[derive(Serialize, Deserialize, Debug)]
struct Quote {
    sku: String,
    cents: u64,
}

#[subscriber("price.{sku}")]
async fn price(Path(sku): Path<String>, Ctx(prices): Ctx<KvView>) -> Result<Json<Quote>, Error> {
    let cents: u64 = prices
        .get_json(&sku)?
        .ok_or_else(|| Error::msg(format!("no price for {sku}")))?;
    Ok(Json(Quote { sku, cents }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = App::new(Broker::from_env())
        .on_startup(async |cx: AppContext| {
            let prices = cx
                .broker()
                .key_value("prices")
                .declare(KvConfig::default())
                .await?;
            prices.put_json("apple", &120).await?;
            // Returns once the view holds every current price.
            let view = KvView::new(&prices, ">").await?;
            cx.context().insert(view);
            cx.context().insert(prices);
            Ok::<_, Error>(())
        })
        .subscriber(price);

    let app = TestApp::start(app).await?;
    let quote: Quote = app.request_json("price.apple", &()).await?;
    println!("{quote:?}");

    let prices = app.context().get::<KeyValue>()?;
    let view = app.context().get::<KvView>()?;
    let revision = prices.put_json("pear", &95).await?;
    view.wait_for_revision(revision).await?; // read your own write
    let quote: Quote = app.request_json("price.pear", &()).await?;
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
    app.stop().await
}
