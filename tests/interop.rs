//! Interop with Python on one nats-server: Python FastStream and nats-py
//! (`tests/interop/peer.py`) call a faststream-kv app, and the app calls FastStream
//! handlers: requests and replies with `correlation_id`, JSON and text bodies, error
//! replies, `traceparent`, JetStream publishes and consumers, Key-Value buckets and a
//! FastStream KV watch.
//!
//! Needs `python3` with `faststream[nats]` and `nats-py` (`scripts/test.sh` installs
//! them); without them the tests fail saying so.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use faststream_kv::jetstream::{PublishOptions, StreamConfig};
use faststream_kv::kv;
use faststream_kv::prelude::*;
use faststream_kv::testing::{NatsServer, TestApp};
use faststream_kv::trace::TraceContext;
use faststream_kv::{CONTENT_TYPE, CORRELATION_ID, SERVICE_ERROR_CODE};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// How long the Python side may take to start or answer (its interpreter starts cold).
const PEER_TIMEOUT: Duration = Duration::from_secs(60);

/// The trace id of the `traceparent` that `peer.py call` sends.
const PEER_TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// A running `peer.py`: its stdin (closing it stops `serve`) and its stdout lines.
struct Peer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
}

impl Peer {
    fn start(mode: &str, url: &str) -> Result<Self, Error> {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/interop/peer.py");
        let check = Command::new(&python)
            .args([script, "check"])
            .output()
            .map_err(|error| Error::io(format!("running {python}"), error))?;
        if !check.status.success() {
            return Err(Error::msg(format!(
                "the interop tests need Python packages (scripts/test.sh installs them): {}",
                String::from_utf8_lossy(&check.stderr).trim()
            )));
        }
        let mut child = Command::new(&python)
            .args([script, mode, url])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|error| Error::io(format!("starting {script}"), error))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Ok(Self {
            child,
            stdin,
            lines,
        })
    }

    /// The peer's next line of output, waiting on a blocking thread.
    async fn line(&mut self) -> Result<String, Error> {
        let lines = &self.lines;
        tokio::task::block_in_place(|| lines.recv_timeout(PEER_TIMEOUT)).map_err(|error| {
            let ended = match error {
                mpsc::RecvTimeoutError::Timeout => format!("printed nothing in {PEER_TIMEOUT:?}"),
                mpsc::RecvTimeoutError::Disconnected => {
                    let status = self.child.wait().ok();
                    format!("ended ({status:?})")
                }
            };
            Error::msg(format!("peer.py {ended}; its stderr is above"))
        })
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // Closing stdin ends `serve`; a peer that does not end is killed.
        drop(self.stdin.take());
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Deserialize, Serialize, PartialEq)]
struct Order {
    id: u32,
    qty: u32,
}

#[derive(Debug, Deserialize, Serialize)]
struct Receipt {
    id: u32,
    region: String,
    total: u32,
}

#[subscriber("interop.rs.orders.{id}")]
async fn on_order(Path(id): Path<u32>, Json(order): Json<Order>) -> Json<Receipt> {
    Json(Receipt {
        id,
        region: "eu".to_owned(),
        total: order.qty * 10,
    })
}

#[subscriber("interop.rs.trace")]
async fn on_trace() -> String {
    TraceContext::current()
        .map(|trace| format!("{:032x}", trace.trace_id()))
        .unwrap_or_default()
}

#[subscriber("interop.rs.fails")]
async fn on_fails(Json(_order): Json<Order>) -> Result<String, Error> {
    Err(Error::status(409, "order 1 is taken"))
}

#[subscriber("interop.rs.notes")]
async fn on_note(body: String) -> String {
    body
}

#[subscriber("interop.rs.echo")]
async fn on_echo(body: Bytes) -> Bytes {
    body
}

#[subscriber(
    "interop.rs.events.{region}",
    stream = "INTEROP_RS",
    durable = "rust",
    ack_policy = "ack"
)]
async fn on_event(Path(region): Path<String>, Json(body): Json<Value>) -> Result<(), Error> {
    if body["region"] == region.as_str() {
        Ok(())
    } else {
        Err(Error::msg(format!("{body} on the subject of {region}")))
    }
}

#[derive(Debug, Deserialize, Serialize)]
struct QuoteRequest {
    qty: u32,
}

#[derive(Debug, Deserialize, Serialize, PartialEq)]
struct Quote {
    sku: String,
    price: u32,
}

#[subscriber("interop.rs.quotes.{sku}", stream = "INTEROP_RS", durable = "quotes")]
async fn on_quote(Path(sku): Path<String>, Json(request): Json<QuoteRequest>) -> Json<Quote> {
    Json(Quote {
        sku,
        price: request.qty * 3,
    })
}

#[subscriber(kv_watch = "interop_rs", keys = "from.{who}")]
async fn on_entry(entry: Entry, Path(who): Path<String>) -> Result<(), Error> {
    // Each side wrote only its own key.
    if entry.key() == format!("from.{who}") {
        Ok(())
    } else {
        Err(Error::msg(format!("{} under from.{who}", entry.key())))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_faststream_and_nats_py_call_a_rust_app() -> Result<(), Error> {
    let server = NatsServer::start()?;
    let app = App::new(server.broker())
        .on_startup(async |cx: Lifecycle| {
            let events = StreamConfig {
                subjects: vec![
                    "interop.rs.events.>".to_owned(),
                    "interop.rs.quotes.>".to_owned(),
                ],
                ..StreamConfig::default()
            };
            cx.broker().stream("INTEROP_RS").declare(events).await?;
            let bucket = cx
                .broker()
                .key_value("interop_rs")
                .declare(kv::Config::default())
                .await?;
            bucket.put("from.rust", "rust-value").await?;
            Ok::<_, Error>(())
        })
        .subscriber(on_order)
        .subscriber(on_trace)
        .subscriber(on_fails)
        .subscriber(on_note)
        .subscriber(on_echo)
        .subscriber(on_event)
        .subscriber(on_quote)
        .subscriber(on_entry);
    let app = TestApp::start(app).await?;

    let mut peer = Peer::start("call", &server.url())?;
    let seen: Value = serde_json::from_str(&peer.line().await?)
        .map_err(|error| Error::msg(format!("peer.py's output: {error}")))?;

    // A FastStream request: JSON both ways, its correlation id and content type kept.
    assert_eq!(
        seen["order"],
        json!({
            "body": { "id": 7, "region": "eu", "total": 30 },
            "correlation_id": "py-1",
            "content_type": "application/json",
        })
    );
    // Its traceparent names the trace the handler runs in.
    assert_eq!(seen["trace_id"], PEER_TRACE_ID);
    // An error reply: NATS service-error headers FastStream hands over as they are.
    assert_eq!(seen["failure"]["body"], "order 1 is taken");
    assert_eq!(seen["failure"]["headers"][SERVICE_ERROR_CODE], "409");
    // nats-py without headers: the bytes come back as they went.
    assert_eq!(seen["raw_echo"]["body"], "raw bytes");

    // FastStream's reply_to: the reply goes there, with the message's correlation id.
    assert_eq!(
        seen["reply_to"],
        json!({ "body": { "id": 8, "region": "eu", "total": 10 }, "correlation_id": "py-2" })
    );

    // A FastStream publish of text, decoded as text.
    let notes = app.wait_for_calls(on_note, 1, PEER_TIMEOUT).await?;
    assert_eq!(notes[0].message().payload(), "note from python");

    // A FastStream JetStream publish, consumed and acknowledged by the Rust subscriber.
    assert_eq!(seen["stream_ack"]["stream"], "INTEROP_RS");
    let events = app.wait_for_calls(on_event, 1, PEER_TIMEOUT).await?;
    assert!(events[0].succeeded(), "{:?}", events[0].failure());
    assert_eq!(events[0].subject(), "interop.rs.events.eu");

    // FastStream's request over JetStream, answered by the Rust stream subscriber.
    assert_eq!(
        seen["stream_request"],
        json!({ "sku": "apple", "price": 12 })
    );

    // Key-Value both ways: nats-py read what Rust put and put what Rust reads.
    assert_eq!(seen["from_rust"], "rust-value");
    // The Rust watch saw the put and the delete nats-py made, after its own put.
    let entries = app.wait_for_calls(on_entry, 3, PEER_TIMEOUT).await?;
    let entries: Vec<(&str, &[u8], bool)> = entries
        .iter()
        .map(|call| {
            let message = call.message();
            (message.subject(), &message.payload()[..], call.succeeded())
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("from.rust", &b"rust-value"[..], true),
            ("from.python", b"py-value", true),
            ("from.python", b"", true),
        ]
    );
    let bucket = app.broker().key_value("interop_rs").await?;
    let removed = bucket.entry("from.python").await?;
    assert!(removed.is_some_and(|entry| entry.operation() == Operation::Delete));
    drop(peer);
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rust_app_calls_python_faststream_handlers() -> Result<(), Error> {
    let server = NatsServer::start()?;
    let mut peer = Peer::start("serve", &server.url())?;
    let ready = peer.line().await?;
    assert_eq!(ready, "ready");
    let app = TestApp::start(App::new(server.broker()).subscriber(forward)).await?;
    let broker = app.broker();

    // JSON request and reply, the correlation id coming back on the reply.
    let reply = broker
        .request_with(
            "interop.py.greet",
            Reply::new(r#"{"name":"ada"}"#)
                .header(CONTENT_TYPE, "application/json")
                .correlation_id("rs-1"),
            Some(PEER_TIMEOUT),
        )
        .await?;
    let greeting: Value = serde_json::from_slice(reply.payload())
        .map_err(|error| Error::msg(format!("FastStream's reply: {error}")))?;
    assert_eq!(greeting, json!({ "greeting": "hello ada" }));
    assert_eq!(reply.header(CONTENT_TYPE), Some("application/json"));
    assert_eq!(reply.header(CORRELATION_ID), Some("rs-1"));
    let greeting: Value = broker
        .request_json("interop.py.greet", &json!({ "name": "bob" }))
        .await?;
    assert_eq!(greeting, json!({ "greeting": "hello bob" }));

    // What FastStream reads off a Rust request: its headers, the trace context.
    let sent = TraceContext::parse(&format!("00-{PEER_TRACE_ID}-00f067aa0ba902b7-01"))
        .expect("a valid traceparent");
    let headers: Value = sent
        .scope(broker.request_json("interop.py.headers", &"hi"))
        .await?;
    assert_eq!(headers["content_type"], "application/json");
    assert_eq!(headers["raw"], r#""hi""#);
    assert_eq!(headers["decoded"], "hi");
    assert!(
        headers["correlation_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{headers}"
    );
    let traceparent = headers["traceparent"].as_str().unwrap_or_default();
    assert!(
        traceparent.starts_with(&format!("00-{PEER_TRACE_ID}-")),
        "{headers}"
    );

    // A Rust handler's result published to a FastStream subscriber; a JetStream publish
    // to FastStream's stream; a Key-Value put FastStream's watch sees.
    broker.publish("interop.rs.forward", "forwarded").await?;
    broker
        .stream_publish("interop.py.events.eu", r#"{"n":1}"#)
        .await?;
    broker
        .key_value("interop_py")
        .await?
        .put("flag.dark", "on")
        .await?;
    // A request over JetStream to a FastStream stream subscriber.
    let quote = broker
        .stream_request_with(
            "interop.py.quotes.pear",
            r#"{"qty":5}"#,
            PublishOptions::new().header(CONTENT_TYPE, "application/json"),
            Some(PEER_TIMEOUT),
        )
        .await?;
    let quote: Quote = serde_json::from_slice(quote.payload()).map_err(Error::msg)?;
    assert_eq!(
        quote,
        Quote {
            sku: "pear".to_owned(),
            price: 15
        }
    );

    let expected = json!({
        "notes": ["forwarded by rust"],
        "events": [{ "subject": "interop.py.events.eu", "body": { "n": 1 } }],
        "flags": { "flag.dark": "on" },
    });
    let deadline = tokio::time::Instant::now() + PEER_TIMEOUT;
    loop {
        let seen: Value = broker.request_json("interop.py.seen", &"").await?;
        if seen == expected {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{seen} != {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(peer);
    app.stop().await
}

#[subscriber("interop.rs.forward", publish = "interop.py.notes")]
async fn forward(body: String) -> String {
    format!("{body} by rust")
}
