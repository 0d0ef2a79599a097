//! The `opentelemetry` feature with a `tracing-opentelemetry` layer installed (one
//! global subscriber per process: this file is a test binary of its own), on the memory
//! broker and on a nats-server: a handled message's span is exported as a child of the
//! span its `traceparent` names, what the handler publishes names that exported span
//! as its parent, and a publish inside any OpenTelemetry span carries that span.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use faststream_kv::TRACEPARENT;
use faststream_kv::broker::Subscription;
use faststream_kv::prelude::*;
use faststream_kv::testing::{NatsServer, TestApp};
use faststream_kv::trace::TraceContext;
use futures::StreamExt;
use opentelemetry::trace::TracerProvider;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use tracing::Instrument;
use tracing_subscriber::layer::SubscriberExt;

/// Keeps every exported span.
#[derive(Clone, Debug, Default)]
struct Exported(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Exported {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(batch);
        Ok(())
    }
}

impl Exported {
    /// The exported spans named `name` in trace `trace_id`.
    fn spans(&self, name: &str, trace_id: u128) -> Vec<SpanData> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|span| {
                span.name == name
                    && u128::from_be_bytes(span.span_context.trace_id().to_bytes()) == trace_id
            })
            .cloned()
            .collect()
    }
}

/// The exporter behind the process's subscriber, installed on first use (each span is
/// exported as it ends).
fn exported() -> &'static Exported {
    static EXPORTED: OnceLock<Exported> = OnceLock::new();
    EXPORTED.get_or_init(|| {
        let exported = Exported::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exported.clone())
            .build();
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("tests"));
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
            .expect("the only global subscriber of this test binary");
        exported
    })
}

#[subscriber("otel.order")]
#[publisher("otel.billed")]
async fn order(body: String) -> String {
    format!("billed {body}")
}

fn span_id(span: &SpanData) -> u64 {
    u64::from_be_bytes(span.span_context.span_id().to_bytes())
}

/// The next message on `subscription`, failing after 5 s.
async fn next(subscription: &mut Subscription) -> Message {
    tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("a message within 5 s")
        .expect("the subscription is open")
}

/// On `broker`: a request in trace `sent` is handled in an exported `message` span
/// whose parent is `sent`'s span, and the handler's publish names that span.
async fn exported_as_child(broker: Broker, sent: TraceContext) -> Result<(), Error> {
    let exported = exported();
    let app = TestApp::start(App::new(broker).subscriber(order)).await?;
    let mut billed = app.broker().subscribe("otel.billed").await?;
    app.broker().flush().await?;
    let request = Reply::new("one").header(TRACEPARENT, sent.to_string());
    let reply = app
        .broker()
        .request_with("otel.order", request, None)
        .await?;
    assert_eq!(reply.payload(), "billed one");
    let published = next(&mut billed).await;
    app.wait_for_calls(order, 1, Duration::from_secs(5)).await?;
    app.stop().await?;

    let spans = exported.spans("message", sent.trace_id());
    let [span] = spans.as_slice() else {
        panic!("one exported message span in the trace, got {spans:?}");
    };
    assert_eq!(
        u64::from_be_bytes(span.parent_span_id.to_bytes()),
        sent.span_id()
    );
    assert!(span.parent_span_is_remote);
    assert!(span.span_context.is_sampled());
    let expected = TraceContext::new(sent.trace_id(), span_id(span), true).expect("valid ids");
    assert_eq!(
        published.header(TRACEPARENT),
        Some(expected.to_string().as_str())
    );
    Ok(())
}

/// On `broker`: a publish inside an exported span names it as its parent.
async fn publish_in_a_span(broker: Broker) -> Result<(), Error> {
    let exported = exported();
    broker.connect().await?;
    let mut seen = broker.subscribe("otel.job").await?;
    broker.flush().await?;
    let job = tracing::info_span!("job");
    let context = job
        .in_scope(TraceContext::current)
        .expect("the OpenTelemetry span is current");
    broker.publish("otel.job", "x").instrument(job).await?;
    assert_eq!(
        next(&mut seen).await.header(TRACEPARENT),
        Some(context.to_string().as_str())
    );
    let spans = exported.spans("job", context.trace_id());
    assert_eq!(
        spans.iter().map(span_id).collect::<Vec<_>>(),
        [context.span_id()]
    );
    broker.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_span_is_exported_in_the_senders_trace() -> Result<(), Error> {
    let on_memory = TraceContext::new(
        0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736,
        0x00f0_67aa_0ba9_02b7,
        true,
    );
    exported_as_child(Broker::memory(), on_memory.expect("valid ids")).await?;
    let server = NatsServer::start()?;
    let on_nats = TraceContext::new(
        0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c,
        0xb7ad_6b71_6920_3331,
        true,
    );
    exported_as_child(server.broker(), on_nats.expect("valid ids")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_carries_the_current_opentelemetry_span() -> Result<(), Error> {
    publish_in_a_span(Broker::memory()).await?;
    let server = NatsServer::start()?;
    publish_in_a_span(server.broker()).await
}
