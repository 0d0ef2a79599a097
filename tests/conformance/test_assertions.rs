//! What `TestApp` records for a test's assertions: each handler's calls (message and
//! result, failures with their status) and every message published through the app's
//! broker — by publishers, hooks, handlers and the test — filtered by subject.

use faststream_kv::jetstream::StreamConfig;
use faststream_kv::prelude::*;
use faststream_kv::publisher::Publisher;
use faststream_kv::subscriber::Subscriber;
use faststream_kv::testing::TestApp;

use super::run;
use crate::support::Env;

const WAIT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Order {
    sku: String,
    qty: u32,
}

#[subscriber("orders.{region}.created", publish = "orders.billed")]
async fn on_order(Path(region): Path<String>, Json(order): Json<Order>) -> Result<String, Error> {
    if order.qty == 0 {
        return Err(Error::status(422, "nothing ordered"));
    }
    Ok(format!("{region}: {} x {}", order.qty, order.sku))
}

#[test]
fn calls_record_each_message_and_its_result() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(App::new(env.broker()).subscriber(on_order)).await?;
        let order = Order {
            sku: "sku-1".into(),
            qty: 2,
        };
        app.publish_json("orders.eu.created", &order).await?;
        let empty = Order {
            sku: "sku-2".into(),
            qty: 0,
        };
        app.publish_json("orders.us.created", &empty).await?;
        let calls = app.wait_for_calls(on_order, 2, WAIT).await?;
        assert_eq!(calls.len(), 2);
        let first = calls
            .iter()
            .find(|call| call.subject() == "orders.eu.created")
            .expect("the eu order");
        assert_eq!(first.json::<Order>()?, order);
        assert_eq!(
            first.returned().map(|reply| reply.payload().clone()),
            Some("eu: 2 x sku-1".into())
        );
        let failed = calls
            .iter()
            .find(|call| call.subject() == "orders.us.created")
            .expect("the us order");
        let failure = failed.failure().expect("a failure");
        assert_eq!(
            (failure.status, failure.message.as_str()),
            (422, "nothing ordered")
        );
        assert_eq!(app.calls("on_order").len(), 2, "by name too");
        app.stop().await
    })
}

#[test]
fn published_holds_what_went_through_the_apps_broker() -> Result<(), Error> {
    run(async |env: Env| {
        let app = App::new(env.broker())
            .on_startup(async |cx: Lifecycle| {
                let config = StreamConfig {
                    subjects: vec!["audit.>".to_owned()],
                    ..StreamConfig::default()
                };
                cx.broker().stream("AUDIT").declare(config).await?;
                Ok::<_, Error>(())
            })
            .after_startup(async |cx: Lifecycle| {
                cx.broker().publish("status.ready", "up").await?;
                Ok::<_, Error>(())
            })
            .subscriber(
                Subscriber::new("orders.{region}.created", on_order::call)
                    .name("billing")
                    .publisher(Publisher::stream("audit.billed")),
            );
        let app = TestApp::start(app).await?;
        let order = Order {
            sku: "sku-9".into(),
            qty: 1,
        };
        app.publish_json("orders.eu.created", &order).await?;
        app.wait_for_calls("billing", 1, WAIT).await?;
        let audit = app.published("audit.*");
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].payload(), "eu: 1 x sku-9");
        assert_eq!(
            audit[0].correlation_id(),
            app.published("orders.eu.created")[0].correlation_id(),
            "the result carries the order's correlation id"
        );
        assert_eq!(app.published("status.ready")[0].payload(), "up");
        assert_eq!(app.published(">").len(), 3, "hook, test, publisher");
        assert!(app.published("orders.billed").is_empty());
        app.stop().await
    })
}

async fn slow_count(body: String) -> String {
    body
}

#[test]
fn recording_stream_calls_keeps_nothing_unsettled() -> Result<(), Error> {
    run(async |env: Env| {
        let app = App::new(env.broker()).subscriber(
            Subscriber::stream("JOBS", "jobs.*", slow_count)
                .durable("jobs")
                .max_workers(4),
        );
        let app = TestApp::start(app).await?;
        for index in 0..200 {
            app.broker()
                .stream_publish(&format!("jobs.{}", index % 3), index.to_string())
                .await?;
        }
        let calls = app.wait_for_calls("slow_count", 200, WAIT).await?;
        assert_eq!(calls.len(), 200);
        let consumer = app.broker().stream("JOBS").await?.consumer("jobs").await?;
        crate::support::eventually_async("everything acknowledged", async || {
            consumer
                .info()
                .await
                .is_ok_and(|info| info.ack_pending == 0 && info.pending == 0)
        })
        .await;
        app.stop().await
    })
}
