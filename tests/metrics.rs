//! Metrics through the `metrics` facade, counted exactly by a recorder installed before
//! the apps start (one per process: this file is a test binary of its own), on the
//! memory broker and on a nats-server.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use faststream_kv::jetstream::AckPolicy;
use faststream_kv::prelude::*;
use faststream_kv::subscriber::{IntoSubscriber, Subscriber};
use faststream_kv::testing::{NatsServer, TestApp};
use metrics::{
    Counter, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};

/// Every metric by name and labels (`name{label=value,...}`), as a number.
#[derive(Default)]
struct Counting {
    values: Mutex<HashMap<String, Arc<AtomicU64>>>,
}

/// A histogram counted by its samples.
struct Samples(Arc<AtomicU64>);

impl HistogramFn for Samples {
    fn record(&self, _value: f64) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

impl Counting {
    fn slot(&self, key: &Key) -> Arc<AtomicU64> {
        let labels: Vec<String> = key
            .labels()
            .map(|label| format!("{}={}", label.key(), label.value()))
            .collect();
        let name = format!("{}{{{}}}", key.name(), labels.join(","));
        let mut values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(values.entry(name).or_default())
    }

    fn value(&self, name: &str) -> u64 {
        let values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        values
            .get(name)
            .map_or(0, |value| value.load(Ordering::Relaxed))
    }

    fn gauge(&self, name: &str) -> f64 {
        f64::from_bits(self.value(name))
    }
}

impl Recorder for &'static Counting {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.slot(key))
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.slot(key))
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(Arc::new(Samples(self.slot(key))))
    }
}

fn recorder() -> &'static Counting {
    static RECORDER: OnceLock<&'static Counting> = OnceLock::new();
    RECORDER.get_or_init(|| {
        let counting: &'static Counting = Box::leak(Box::default());
        metrics::set_global_recorder(counting).expect("the only recorder");
        counting
    })
}

async fn checked(body: String) -> Result<(), Error> {
    if body == "fail" {
        return Err(Error::msg("refused"));
    }
    Ok(())
}

/// `handler` handles 3 messages and fails 2, on subject `subject` through `broker`.
async fn counts(broker: Broker, handler: &str, stream: bool) -> Result<(), Error> {
    let counting = recorder();
    let subject = format!("{handler}.in");
    let subscriber = if stream {
        Subscriber::stream(handler.to_uppercase(), subject.as_str(), checked)
            .durable(handler)
            .ack_policy(AckPolicy::RejectOnError)
            .name(handler)
            .into_subscriber()
    } else {
        Subscriber::new(&subject, checked)
            .name(handler)
            .into_subscriber()
    };
    let app = TestApp::start(App::new(broker).metrics(true).subscriber(subscriber)).await?;
    for body in ["a", "fail", "b", "fail", "c"] {
        if stream {
            app.broker().stream_publish(&subject, body).await?;
        } else {
            app.publish(&subject, body).await?;
        }
    }
    app.wait_for_calls(handler, 5, Duration::from_secs(10))
        .await?;
    let label = format!("{{handler={handler}}}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while counting.value(&format!("faststream_messages_handled_total{label}"))
        + counting.value(&format!("faststream_messages_failed_total{label}"))
        < 5
    {
        assert!(tokio::time::Instant::now() < deadline, "counted too few");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    app.stop().await?;
    assert_eq!(
        counting.value(&format!("faststream_messages_received_total{label}")),
        5
    );
    assert_eq!(
        counting.value(&format!("faststream_messages_handled_total{label}")),
        3
    );
    assert_eq!(
        counting.value(&format!("faststream_messages_failed_total{label}")),
        2
    );
    assert_eq!(
        counting.value(&format!("faststream_handling_seconds{label}")),
        5
    );
    assert_eq!(
        counting.gauge(&format!("faststream_messages_in_flight{label}")),
        0.0
    );
    if stream {
        assert_eq!(
            counting.value(&format!("faststream_stream_messages_acked_total{label}")),
            3
        );
        assert_eq!(
            counting.value(&format!(
                "faststream_stream_messages_terminated_total{label}"
            )),
            2
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handled_and_failed_messages_are_counted_exactly() -> Result<(), Error> {
    counts(Broker::memory(), "memory_core", false).await?;
    counts(Broker::memory(), "memory_stream", true).await?;
    let server = NatsServer::start()?;
    counts(server.broker(), "nats_core", false).await?;
    counts(server.broker(), "nats_stream", true).await?;
    assert!(recorder().value("faststream_connection_events_total{event=connected}") >= 2);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_without_metrics_records_none() -> Result<(), Error> {
    let counting = recorder();
    let app =
        App::new(Broker::memory()).subscriber(Subscriber::new("quiet.in", checked).name("quiet"));
    let app = TestApp::start(app).await?;
    app.publish("quiet.in", "a").await?;
    app.wait_for_calls("quiet", 1, Duration::from_secs(10))
        .await?;
    app.stop().await?;
    assert_eq!(
        counting.value("faststream_messages_received_total{handler=quiet}"),
        0
    );
    Ok(())
}
