//! The examples' services, asserted: each example's `app` (the production app its
//! `main` runs) is started here on the memory broker and on a real nats-server, and its
//! behaviour checked through requests.

#![allow(unreachable_pub)]

#[path = "../examples/health_probe.rs"]
#[allow(dead_code)]
mod health_probe;
#[path = "../examples/jetstream_worker.rs"]
#[allow(dead_code)]
mod jetstream_worker;
#[path = "../examples/kv_config.rs"]
#[allow(dead_code)]
mod kv_config;
#[path = "../examples/kv_view.rs"]
#[allow(dead_code)]
mod kv_view;
#[path = "../examples/kv_watch.rs"]
#[allow(dead_code)]
mod kv_watch;
#[path = "../examples/prometheus_metrics.rs"]
#[allow(dead_code)]
mod prometheus_metrics;
#[path = "../examples/quickstart.rs"]
#[allow(dead_code)]
mod quickstart;
#[path = "../examples/request_reply.rs"]
#[allow(dead_code)]
mod request_reply;

use faststream_kv::prelude::*;
use faststream_kv::testing::{NatsServer, TestApp};

/// Runs `check` against a memory broker, then against a nats-server of its own.
async fn on_both<F>(check: F) -> Result<(), Error>
where
    F: AsyncFn(Broker) -> Result<(), Error>,
{
    check(Broker::memory()).await?;
    let server = NatsServer::start()?;
    check(server.broker()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_counts_orders_and_rejects_bad_input() -> Result<(), Error> {
    on_both(async |broker| {
        let app = TestApp::start(quickstart::app(broker)).await?;
        for (expected, region) in [(1, "eu"), (2, "us")] {
            let order = quickstart::Order {
                sku: "apple".into(),
                qty: 2,
            };
            let receipt: quickstart::Receipt = app
                .request_json(&format!("orders.{region}.created"), &order)
                .await?;
            assert_eq!(
                (receipt.region.as_str(), receipt.sku.as_str(), receipt.qty),
                (region, "apple", 2)
            );
            assert_eq!(receipt.order_number, expected);
        }
        match app.request("orders.eu.created", "not json").await {
            Err(Error::Service { code: 400, .. }) => {}
            other => panic!("expected a 400 error reply, got {other:?}"),
        }
        app.stop().await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_reply_divides_and_refuses_zero() -> Result<(), Error> {
    on_both(async |broker| {
        let app = TestApp::start(request_reply::app(broker)).await?;
        let division = |dividend, divisor| request_reply::Division { dividend, divisor };
        let quotient: request_reply::Quotient =
            app.request_json("calc.divide", &division(17, 5)).await?;
        assert_eq!(
            quotient,
            request_reply::Quotient {
                quotient: 3,
                remainder: 2
            }
        );
        match app
            .request_json::<_, request_reply::Quotient>("calc.divide", &division(1, 0))
            .await
        {
            Err(Error::Service {
                code: 422,
                description,
                ..
            }) => assert_eq!(description, "division by zero"),
            other => panic!("expected a 422 error reply, got {other:?}"),
        }
        app.stop().await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kv_config_greets_from_the_bucket() -> Result<(), Error> {
    on_both(async |broker| {
        let app = TestApp::start(kv_config::app(broker)).await?;
        match app.request("greet.world", "").await {
            Err(Error::Service { code: 404, .. }) => {}
            other => panic!("expected 404 before the greeting is set, got {other:?}"),
        }
        let config = app.context().get::<KeyValue>()?;
        let greeting = kv_config::Greeting {
            template: "hi, {name}".into(),
        };
        config.put_json("greeting", &greeting).await?;
        assert_eq!(app.request("greet.ann", "").await?.payload(), "hi, ann");
        app.stop().await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kv_watch_sees_initial_values_then_changes_in_order() -> Result<(), Error> {
    on_both(async |broker| {
        let app = TestApp::start(kv_watch::app(broker)).await?;
        let config = app.context().get::<KeyValue>()?;
        let flag = |enabled| kv_watch::Flag { enabled };
        config.put_json("feature.dark-mode", &flag(true)).await?;
        config.put_json("other.key", &flag(true)).await?;
        let last = config.delete("feature.dark-mode").await?;
        let seen = app.context().get::<kv_watch::Seen>()?;
        seen.wait_for(last).await?;
        assert_eq!(
            seen.changes(),
            ["search on", "dark-mode on", "dark-mode removed"]
        );
        app.stop().await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kv_view_answers_from_the_local_copy() -> Result<(), Error> {
    on_both(async |broker| {
        let app = TestApp::start(kv_view::app(broker)).await?;
        let quote: kv_view::Quote = app.request_json("price.apple", &()).await?;
        assert_eq!(quote.cents, 120);
        match app.request("price.pear", "").await {
            Err(Error::Service { code: 404, .. }) => {}
            other => panic!("expected 404 for an unknown price, got {other:?}"),
        }
        let revision = app
            .context()
            .get::<KeyValue>()?
            .put_json("pear", &95)
            .await?;
        app.context()
            .get::<kv::View>()?
            .wait_for_revision(revision)
            .await?;
        let quote: kv_view::Quote = app.request_json("price.pear", &()).await?;
        assert_eq!(quote.cents, 95);
        app.stop().await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_worker_charges_declines_and_retries_transient_failures() -> Result<(), Error> {
    on_both(async |broker| {
        let app = TestApp::start(jetstream_worker::app(broker)).await?;
        let limits = app.context().get::<KeyValue>()?;
        limits.put_json("limit.eu", &100_u64).await?;
        for (id, amount) in [(1, 40), (2, 250), (3, 60), (6, 10)] {
            let payment = jetstream_worker::Payment { id, amount };
            app.broker()
                .stream_publish_json("payments.eu", &payment)
                .await?;
        }
        let ledger = app.context().get::<jetstream_worker::Ledger>()?;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while ledger.entries().len() < 4 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{:?}",
                ledger.entries()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let mut entries = ledger.entries();
        entries.sort_unstable();
        assert_eq!(
            entries,
            [
                "1 charged 40 (delivery 1)",
                "2 declined",
                "3 charged 60 (delivery 2)",
                "6 charged 10 (delivery 2)"
            ]
        );
        let consumer = app
            .broker()
            .stream("PAYMENTS")
            .await?
            .consumer("charger")
            .await?;
        // The ledger is written before the handler returns and its message is acked.
        loop {
            let info = consumer.info().await?;
            let unsettled = (info.ack_pending, info.redelivered);
            if unsettled == (0, 0) {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{unsettled:?}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        app.stop().await
    })
    .await
}

/// A listener on a free local port, and its address.
async fn local_listener() -> Result<(tokio::net::TcpListener, std::net::SocketAddr), Error> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|error| Error::io("binding", error))?;
    let address = listener
        .local_addr()
        .map_err(|error| Error::io("the address", error))?;
    Ok((listener, address))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_probe_answers_livez_and_readyz() -> Result<(), Error> {
    on_both(async |broker| {
        let (listener, probes) = local_listener().await?;
        let app = TestApp::start(health_probe::app(broker, listener)).await?;
        let get = async |path: &str| {
            health_probe::get(probes, path)
                .await
                .map_err(|error| Error::io(format!("GET {path}"), error))
        };
        assert!(get("/livez").await?.starts_with("HTTP/1.1 200 OK"));
        assert!(get("/readyz").await?.starts_with("HTTP/1.1 200 OK"));
        assert!(get("/other").await?.starts_with("HTTP/1.1 404"));
        assert_eq!(app.request("greet.ada", "").await?.payload(), "hello ada");
        app.broker().close().await?;
        let ready = get("/readyz").await?;
        assert!(ready.starts_with("HTTP/1.1 503"), "{ready}");
        assert!(ready.contains("connected: false"), "{ready}");
        let _ = app.stop().await;
        Ok(())
    })
    .await
}

/// The value of the sample `series` (name and labels) in Prometheus text; 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .filter_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .find_map(|value| value.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_metrics_counts_handled_and_failed_requests() -> Result<(), Error> {
    // The only recorder of this test binary.
    let recorder = prometheus_metrics::install_recorder()?;
    on_both(async |broker| {
        let (listener, address) = local_listener().await?;
        let scrape = async || {
            prometheus_metrics::scrape_text(address)
                .await
                .map_err(|error| Error::io("GET /metrics", error))
        };
        let app =
            TestApp::start(prometheus_metrics::app(broker, listener, recorder.clone())).await?;
        let before = scrape().await?;
        assert_eq!(app.request("greet.ada", "").await?.payload(), "hello ada");
        let refused = app.request("greet.nobody", "").await;
        assert!(
            matches!(refused, Err(Error::Service { code: 404, .. })),
            "{refused:?}"
        );
        // Counts reach the recorder once the subscriber waits for its next message.
        let handled = r#"faststream_messages_handled_total{handler="greet"}"#;
        let failed = r#"faststream_messages_failed_total{handler="greet"}"#;
        let timed = r#"faststream_handling_seconds_count{handler="greet"}"#;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        let after = loop {
            let after = scrape().await?;
            let delta = |series: &str| sample(&after, series) - sample(&before, series);
            if (delta(handled), delta(failed), delta(timed)) == (1.0, 1.0, 2.0) {
                break after;
            }
            assert!(tokio::time::Instant::now() < deadline, "{after}");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        };
        assert!(
            after.contains("# TYPE faststream_handling_seconds histogram"),
            "{after}"
        );
        app.stop().await
    })
    .await
}
