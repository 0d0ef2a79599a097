//! Request/reply: a calculator service with typed JSON in and out, error replies for
//! bad input and handler failures, and a request with its own correlation id.
//!
//! ```sh
//! cargo run --example request_reply
//! ```

use std::time::Duration;

use faststream_kv::CORRELATION_ID;
use faststream_kv::prelude::*;

#[derive(Serialize, Deserialize)]
struct Division {
    dividend: i64,
    divisor: i64,
}

#[derive(Serialize, Deserialize, Debug)]
struct Quotient {
    quotient: i64,
    remainder: i64,
}

#[subscriber("calc.divide")]
async fn divide(Json(division): Json<Division>) -> Result<Json<Quotient>, Error> {
    if division.divisor == 0 {
        return Err(Error::msg("division by zero"));
    }
    Ok(Json(Quotient {
        quotient: division.dividend / division.divisor,
        remainder: division.dividend % division.divisor,
    }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = TestApp::start(App::new(Broker::from_env()).subscriber(divide)).await?;

    let answer: Quotient = app
        .request_json(
            "calc.divide",
            &Division {
                dividend: 17,
                divisor: 5,
            },
        )
        .await?;
    println!("17 / 5 = {answer:?}");

    // A handler error comes back as a typed error with a status code, not a timeout.
    let failed = app
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
    let reply = app
        .broker()
        .request_with("calc.divide", request, Some(Duration::from_secs(1)))
        .await?;
    println!(
        "correlation_id {:?}, payload {}",
        reply.correlation_id(),
        String::from_utf8_lossy(reply.payload())
    );

    match app.request("calc.nobody", "").await {
        Err(Error::NoResponders { subject, .. }) => println!("nobody listens on {subject}"),
        other => println!("unexpected: {other:?}"),
    }
    app.stop().await
}
