//! Request/reply: JSON both ways, FastStream headers, no responders.

use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;
use faststream_kv::testing::TestApp;
use faststream_kv::{APPLICATION_JSON, CONTENT_TYPE, CORRELATION_ID, TEXT_PLAIN};

use super::run;
use crate::support::Env;

#[derive(Serialize, Deserialize)]
struct Sum {
    a: i64,
    b: i64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Total {
    total: i64,
}

#[subscriber("math.add")]
async fn add(Json(sum): Json<Sum>) -> Json<Total> {
    Json(Total {
        total: sum.a + sum.b,
    })
}

#[subscriber("text.upper")]
async fn upper(text: String) -> String {
    text.to_uppercase()
}

#[subscriber("raw.reverse")]
async fn reverse(bytes: Bytes) -> Vec<u8> {
    bytes.iter().rev().copied().collect()
}

#[subscriber("nothing")]
async fn nothing() {}

#[test]
fn json_request_reply_keeps_correlation_id() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(App::new(env.broker()).subscriber(add)).await?;
        let total: Total = app.request_json("math.add", &Sum { a: 2, b: 40 }).await?;
        assert_eq!(total, Total { total: 42 });

        let request = Reply::new(r#"{"a":1,"b":1}"#)
            .header(CORRELATION_ID, "corr-123")
            .header(CONTENT_TYPE, APPLICATION_JSON);
        let reply = app.broker().request_with("math.add", request, None).await?;
        assert_eq!(
            reply.correlation_id(),
            Some("corr-123"),
            "a reply keeps the request's id"
        );
        assert_eq!(reply.payload(), r#"{"total":2}"#);
        app.stop().await
    })
}

#[test]
fn replies_carry_faststream_headers() -> Result<(), Error> {
    run(async |env: Env| {
        let app = App::new(env.broker())
            .subscriber(add)
            .subscriber(upper)
            .subscriber(reverse)
            .subscriber(nothing);
        let app = TestApp::start(app).await?;

        let json = app.request("math.add", r#"{"a":1,"b":2}"#).await?;
        assert_eq!(json.content_type(), Some(APPLICATION_JSON));
        let generated = json.correlation_id().expect("a new correlation id");
        assert_eq!(generated.len(), 36, "a UUID like FastStream's: {generated}");

        let text = app.request("text.upper", "shout").await?;
        assert_eq!(
            (text.payload().as_ref(), text.content_type()),
            (&b"SHOUT"[..], Some(TEXT_PLAIN))
        );

        let raw = app.request("raw.reverse", "abc").await?;
        assert_eq!(
            (raw.payload().as_ref(), raw.content_type()),
            (&b"cba"[..], None)
        );

        // A handler returning () still answers, with an empty body, so callers never hang.
        let empty = app.request("nothing", "").await?;
        assert!(empty.payload().is_empty());
        app.stop().await
    })
}

async fn add_in_parallel(Json(sum): Json<Sum>) -> Json<Total> {
    tokio::task::yield_now().await;
    Json(Total {
        total: sum.a + sum.b,
    })
}

/// Each request gets its own answer, whether the subscriber replies one message at a time
/// (one reused reply box) or from several workers at once.
#[test]
fn every_request_gets_its_own_reply() -> Result<(), Error> {
    run(async |env: Env| {
        let app = App::new(env.broker())
            .subscriber(add)
            .subscriber(Subscriber::new("math.add.parallel", add_in_parallel).max_workers(4));
        let app = TestApp::start(app).await?;
        for a in 0..20 {
            let total: Total = app.request_json("math.add", &Sum { a, b: 1 }).await?;
            assert_eq!(total, Total { total: a + 1 });
        }
        let parallel = (0..20).map(|a| {
            let app = &app;
            async move {
                let total: Total = app
                    .request_json("math.add.parallel", &Sum { a, b: 2 })
                    .await?;
                Ok::<_, Error>((a, total))
            }
        });
        for result in futures::future::join_all(parallel).await {
            let (a, total) = result?;
            assert_eq!(total, Total { total: a + 2 });
        }
        app.stop().await
    })
}

#[test]
fn no_responders_is_a_typed_error() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(App::new(env.broker()).subscriber(add)).await?;
        match app.request("nobody.home", "hi").await {
            Err(Error::NoResponders { subject, .. }) => assert_eq!(subject, "nobody.home"),
            other => panic!("expected NoResponders, got {other:?}"),
        }
        app.stop().await
    })
}
