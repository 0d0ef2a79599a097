//! W3C trace context: a message's `traceparent` puts its handler's `message` span in
//! the sender's trace, and what the handler publishes, requests or returns to its
//! publishers carries the trace on with the handler's hop as parent; a message without
//! a valid one adds none, a `traceparent` set by hand is kept, and
//! `TraceContext::scope` carries one outside handlers.

use std::time::Duration;

use faststream_kv::TRACEPARENT;
use faststream_kv::broker::Subscription;
use faststream_kv::prelude::*;
use faststream_kv::testing::TestApp;
use faststream_kv::trace::TraceContext;
use futures::StreamExt;
use tracing::Level;

use super::run;
use crate::span_recorder::{SeenSpan, SpanRecorder};
use crate::support::{Env, on_one_thread};

/// The W3C spec's example: trace `4bf9…4736`, parent span `00f0…02b7`, sampled.
const SENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// Announces the order, asks for its price, and returns this hop's trace context and
/// the `traceparent` the price handler received (its result also goes to
/// `trace.billed`).
#[subscriber("trace.order")]
#[publisher("trace.billed")]
async fn order(body: String, Ctx(broker): Ctx<Broker>) -> Result<String, Error> {
    broker.publish("trace.audit", body.clone()).await?;
    let priced = broker.request("trace.price", body).await?;
    let hop = TraceContext::current().map_or_else(|| "none".to_owned(), |hop| hop.to_string());
    Ok(format!(
        "{hop} {}",
        String::from_utf8_lossy(priced.payload())
    ))
}

/// Returns the `traceparent` it received (handled on workers of its own).
#[subscriber("trace.price", max_workers = 2)]
async fn price(message: Message) -> String {
    message.header(TRACEPARENT).unwrap_or("none").to_owned()
}

/// The next message on `subscription`, failing after 5 s.
async fn next(subscription: &mut Subscription) -> Message {
    tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("a message within 5 s")
        .expect("the subscription is open")
}

/// What one request to `trace.order` with `traceparent` (if any) gave: the reply, the
/// `traceparent` of its publishes to `trace.audit` and `trace.billed`, and the
/// `message` spans of both handlers.
struct Observed {
    reply: String,
    audit: Option<String>,
    billed: Option<String>,
    spans: Vec<SeenSpan>,
}

async fn order_with(env: &Env, traceparent: Option<&str>) -> Result<Observed, Error> {
    let broker = env.broker();
    let recorder = SpanRecorder::new(Level::DEBUG);
    let spans = recorder.clone();
    let traceparent = traceparent.map(str::to_owned);
    let (sender, observed) = tokio::sync::oneshot::channel();
    on_one_thread(async move {
        let _default = tracing::subscriber::set_default(recorder);
        let app = TestApp::start(App::new(broker).subscriber(order).subscriber(price)).await?;
        let mut audit = app.broker().subscribe("trace.audit").await?;
        let mut billed = app.broker().subscribe("trace.billed").await?;
        app.broker().flush().await?;
        let mut request = Reply::new("order-1");
        if let Some(traceparent) = traceparent {
            request = request.header(TRACEPARENT, traceparent);
        }
        let reply = app
            .broker()
            .request_with("trace.order", request, None)
            .await?;
        let header = |message: Message| message.header(TRACEPARENT).map(str::to_owned);
        let (audit, billed) = (
            header(next(&mut audit).await),
            header(next(&mut billed).await),
        );
        app.stop().await?;
        let reply = String::from_utf8_lossy(reply.payload()).into_owned();
        let _ = sender.send((reply, audit, billed));
        Ok(())
    })
    .await?;
    let (reply, audit, billed) = observed.await.map_err(Error::msg)?;
    Ok(Observed {
        reply,
        audit,
        billed,
        spans: spans.seen(),
    })
}

#[test]
fn a_traceparent_is_carried_through_the_handler_to_what_it_sends() -> Result<(), Error> {
    run(async |env: Env| {
        let observed = order_with(&env, Some(SENT)).await?;
        let (hop, received_by_price) = observed.reply.split_once(' ').expect("two parts");
        let hop = TraceContext::parse(hop).expect("the handler runs in a trace");
        let sent = TraceContext::parse(SENT).expect("valid");
        assert_eq!(hop.trace_id(), sent.trace_id());
        assert!(hop.is_sampled());
        assert_ne!(
            hop.span_id(),
            sent.span_id(),
            "the handler is a hop of its own"
        );
        // Its publish, its request and its publisher's message name its hop as parent.
        let hop = hop.to_string();
        assert_eq!(observed.audit.as_deref(), Some(hop.as_str()));
        assert_eq!(received_by_price, hop);
        assert_eq!(observed.billed.as_deref(), Some(hop.as_str()));
        let mut traces: Vec<(&str, Option<&str>)> = observed
            .spans
            .iter()
            .map(|span| (span.handler.as_str(), span.trace_id.as_deref()))
            .collect();
        traces.sort_unstable();
        assert_eq!(
            traces,
            [("order", Some(TRACE_ID)), ("price", Some(TRACE_ID))]
        );
        Ok(())
    })
}

#[test]
fn without_a_valid_traceparent_nothing_is_traced() -> Result<(), Error> {
    run(async |env: Env| {
        let upper = SENT.to_uppercase();
        for traceparent in [None, Some("00-not-a-trace-01"), Some(upper.as_str())] {
            let observed = order_with(&env, traceparent).await?;
            assert_eq!(observed.reply, "none none", "{traceparent:?}");
            assert_eq!((observed.audit, observed.billed), (None, None));
            assert_eq!(observed.spans.len(), 2, "{:?}", observed.spans);
            assert!(observed.spans.iter().all(|span| span.trace_id.is_none()));
        }
        Ok(())
    })
}

/// Publishes with a `traceparent` of its own.
#[subscriber("trace.own")]
async fn own(Ctx(broker): Ctx<Broker>) -> Result<(), Error> {
    let chosen = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
    broker
        .publish_message("trace.audit", Reply::new("x").header(TRACEPARENT, chosen))
        .await
}

#[test]
fn a_traceparent_set_by_hand_is_kept_and_scope_carries_one_anywhere() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(App::new(env.broker()).subscriber(own)).await?;
        let mut audit = app.broker().subscribe("trace.audit").await?;
        app.broker().flush().await?;
        let sent = Reply::new("x").header(TRACEPARENT, SENT);
        app.broker().publish_message("trace.own", sent).await?;
        assert_eq!(
            next(&mut audit).await.header(TRACEPARENT),
            Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")
        );
        let context = TraceContext::parse(SENT).expect("valid");
        context
            .scope(app.broker().publish("trace.audit", "from a task"))
            .await?;
        assert_eq!(next(&mut audit).await.header(TRACEPARENT), Some(SENT));
        app.broker().publish("trace.audit", "untraced").await?;
        assert_eq!(next(&mut audit).await.header(TRACEPARENT), None);
        app.stop().await
    })
}
