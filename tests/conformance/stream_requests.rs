//! Requests over a stream, FastStream's way: the request is stored with a `reply_to`
//! header, the stream subscriber's result goes there (its correlation id kept, the
//! message acknowledged), an error comes back typed, and without a handler the request
//! times out while staying in the stream.

use std::time::Duration;

use faststream_kv::jetstream::{PublishOptions, StreamConfig};
use faststream_kv::prelude::*;
use faststream_kv::testing::TestApp;
use faststream_kv::{CORRELATION_ID, REPLY_TO};

use super::run;
use crate::support::{Env, all_acknowledged};

#[derive(Deserialize, Serialize)]
struct Quote {
    sku: String,
    price: u32,
}

#[subscriber("quotes.{sku}", stream = "QUOTES", durable = "pricing")]
async fn on_quote(Path(sku): Path<String>, body: String) -> Result<Json<Quote>, Error> {
    match body.parse::<u32>() {
        Ok(quantity) => Ok(Json(Quote {
            sku,
            price: quantity * 3,
        })),
        Err(_) => Err(Error::status(400, format!("{body:?} is not a quantity"))),
    }
}

fn app(env: &Env) -> App {
    App::new(env.broker())
        .on_startup(async |cx: Lifecycle| {
            let quotes = StreamConfig {
                subjects: vec!["quotes.>".to_owned()],
                ..StreamConfig::default()
            };
            cx.broker().stream("QUOTES").declare(quotes).await?;
            Ok::<_, Error>(())
        })
        .subscriber(on_quote)
}

#[test]
fn a_stream_subscriber_answers_a_stream_request() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(app(&env)).await?;
        let reply = app
            .broker()
            .stream_request_with(
                "quotes.apple",
                "4",
                PublishOptions::new().header(CORRELATION_ID, "quote-1"),
                None,
            )
            .await?;
        let quote: Quote = serde_json::from_slice(reply.payload()).map_err(Error::msg)?;
        assert_eq!((quote.sku.as_str(), quote.price), ("apple", 12));
        assert_eq!(reply.correlation_id(), Some("quote-1"));

        // The handler saw the request's reply subject; the message was acknowledged.
        let calls = app.calls(on_quote);
        let reply_to = calls[0].message().header(REPLY_TO);
        assert!(reply_to.is_some_and(|inbox| calls[0].message().reply() == Some(inbox)));
        let consumer = app
            .broker()
            .stream("QUOTES")
            .await?
            .consumer("pricing")
            .await?;
        all_acknowledged(&consumer).await;
        app.stop().await
    })
}

#[test]
fn a_failed_stream_request_comes_back_as_a_service_error() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(app(&env)).await?;
        let failed = app.broker().stream_request("quotes.pear", "many").await;
        match failed {
            Err(Error::Service { code: 400, .. }) => {}
            other => panic!("expected a 400 service error, got {other:?}"),
        }
        app.stop().await
    })
}

#[test]
fn a_stream_request_nobody_handles_times_out_and_stays_stored() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let quotes = StreamConfig {
            subjects: vec!["quotes.>".to_owned()],
            ..StreamConfig::default()
        };
        let stream = broker.stream("QUOTES").declare(quotes).await?;
        let timeout = Duration::from_millis(300);
        let unanswered = broker
            .stream_request_with("quotes.fig", "1", PublishOptions::new(), Some(timeout))
            .await;
        match unanswered {
            Err(Error::Timeout { subject, .. }) => assert_eq!(subject, "quotes.fig"),
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert_eq!(stream.info().await?.state.messages, 1);
        // Nothing stores it: a typed error before anything is sent.
        let unstored = broker.stream_request("nowhere.fig", "1").await;
        assert!(
            matches!(unstored, Err(Error::NoStream { .. })),
            "{unstored:?}"
        );
        broker.close().await
    })
}
