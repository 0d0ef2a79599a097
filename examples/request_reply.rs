//! Request/reply: a calculator service with typed JSON in and out, error replies for
//! bad input and handler failures, and a request with its own correlation id. Runs as
//! in production (`App::run`); a demo sends the requests once it runs, then stops it.
//!
//! ```sh
//! cargo run --example request_reply
//! ```

use std::time::Duration;

use faststream_kv::CORRELATION_ID;
use faststream_kv::prelude::*;
use schemars::JsonSchema;

#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Division {
    pub(crate) dividend: i64,
    pub(crate) divisor: i64,
}

#[derive(Serialize, Deserialize, JsonSchema, Debug, PartialEq, Eq)]
pub(crate) struct Quotient {
    pub(crate) quotient: i64,
    pub(crate) remainder: i64,
}

#[subscriber("calc.divide")]
async fn divide(Json(division): Json<Division>) -> Result<Json<Quotient>, Error> {
    if division.divisor == 0 {
        return Err(Error::status(422, "division by zero"));
    }
    Ok(Json(Quotient {
        quotient: division.dividend / division.divisor,
        remainder: division.dividend % division.divisor,
    }))
}

/// The service: one subscriber.
pub(crate) fn app(broker: Broker) -> App {
    App::new(broker).subscriber(divide)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    app(Broker::from_env()).after_startup(demo).run().await
}

/// Sends the running service a few requests, prints the answers, and stops the app.
async fn demo(cx: Lifecycle) -> Result<(), Error> {
    let broker = cx.broker();
    let answer: Quotient = broker
        .request_json(
            "calc.divide",
            &Division {
                dividend: 17,
                divisor: 5,
            },
        )
        .await?;
    println!("17 / 5 = {answer:?}");

    // A handler's error comes back as a typed error with its status code, not a timeout.
    let failed = broker
        .request_json::<_, Quotient>(
            "calc.divide",
            &Division {
                dividend: 1,
                divisor: 0,
            },
        )
        .await;
    println!(
        "1 / 0 -> {}",
        failed.err().map(|e| e.to_string()).unwrap_or_default()
    );

    // Headers and a timeout of its own; the reply keeps the correlation id.
    let request = Reply::new(r#"{"dividend": 9, "divisor": 3}"#).header(CORRELATION_ID, "job-42");
    let reply = broker
        .request_with("calc.divide", request, Some(Duration::from_secs(1)))
        .await?;
    println!(
        "correlation_id {:?}, payload {}",
        reply.correlation_id(),
        String::from_utf8_lossy(reply.payload())
    );

    match broker.request("calc.nobody", "").await {
        Err(Error::NoResponders { subject, .. }) => println!("nobody listens on {subject}"),
        other => println!("unexpected: {other:?}"),
    }
    cx.shutdown_handle().shutdown();
    Ok(())
}
