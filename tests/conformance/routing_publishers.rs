//! Publishers that route by the message: `{capture}`s of the subscriber's pattern in a
//! publisher's subject are filled from the handled message's subject (never sent as
//! braces), a handler publishing to a subject it computed keeps the handled message's
//! correlation id, and a publisher whose captures no message could fill is refused at
//! startup.

use std::time::Duration;

use faststream_kv::broker::Subscription;
use faststream_kv::error::StartupProblemKind;
use faststream_kv::jetstream::StreamConfig;
use faststream_kv::prelude::*;
use faststream_kv::publisher::Publisher;
use faststream_kv::subscriber::Subscriber;
use faststream_kv::testing::TestApp;
use faststream_kv::{CORRELATION_ID, Message};
use futures::StreamExt;

use super::run;
use crate::support::{Env, eventually_async};

#[subscriber("orders.{region}.{kind}.created")]
#[publisher("invoices.{region}.{kind}")]
#[publisher("audit.{region}", expected_stream = "AUDIT")]
async fn invoice(Path((region, kind)): Path<(String, String)>, body: String) -> String {
    format!("{region}/{kind}: {body}")
}

async fn next(subscription: &mut Subscription) -> Message {
    tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("a message within 5 s")
        .expect("the subscription is open")
}

fn correlation_id(message: &Message) -> Option<&str> {
    message.correlation_id()
}

#[test]
fn results_go_to_the_subject_filled_with_the_message_captures() -> Result<(), Error> {
    run(async |env: Env| {
        let app =
            App::new(env.broker())
                .subscriber(invoice)
                .on_startup(|cx: Lifecycle| async move {
                    let config = StreamConfig {
                        subjects: vec!["audit.*".into()],
                        ..StreamConfig::default()
                    };
                    cx.broker().stream("AUDIT").declare(config).await?;
                    Ok::<_, Error>(())
                });
        let app = TestApp::start(app).await?;
        let mut invoices = app.broker().subscribe("invoices.>").await?;
        app.broker().flush().await?;
        let order = Reply::new("12 EUR").header(CORRELATION_ID, "order-9");
        app.broker()
            .publish_message("orders.eu.b2b.created", order)
            .await?;
        let published = next(&mut invoices).await;
        assert_eq!(
            (published.subject(), published.payload().as_ref()),
            ("invoices.eu.b2b", b"eu/b2b: 12 EUR".as_ref())
        );
        assert_eq!(correlation_id(&published), Some("order-9"));
        // The stream publisher runs after the subject's, so the invoice can arrive first.
        let audit = app.broker().stream("AUDIT").await?;
        eventually_async("the result is stored", async || {
            audit
                .info()
                .await
                .is_ok_and(|info| info.state.messages == 1)
        })
        .await;
        let stored = audit.message(1).await?.expect("the result is stored");
        assert_eq!(stored.subject.as_str(), "audit.eu");
        app.stop().await
    })
}

/// Publishes to a subject computed from the order, through a publisher and the broker,
/// and answers with the correlation id it was handed.
async fn route(message: Message, Ctx(broker): Ctx<Broker>) -> Result<String, Error> {
    let country = String::from_utf8_lossy(message.payload()).into_owned();
    let shipping = Publisher::subject("shipping");
    shipping
        .publish_to(&broker, &format!("shipping.{country}"), "ship")
        .await?;
    broker.publish(&format!("notes.{country}"), "note").await?;
    Ok(correlation_id(&message).unwrap_or_default().to_owned())
}

#[test]
fn a_handler_publishing_to_a_computed_subject_keeps_the_correlation_id() -> Result<(), Error> {
    run(async |env: Env| {
        // One worker handles in place, several in spawned tasks: both keep the id.
        for workers in [1, 4] {
            let subscriber = Subscriber::new("route", route).max_workers(workers);
            let app = TestApp::start(App::new(env.broker()).subscriber(subscriber)).await?;
            let mut shipping = app.broker().subscribe("shipping.*").await?;
            let mut notes = app.broker().subscribe("notes.*").await?;
            app.broker().flush().await?;
            let order = Reply::new("fr").header(CORRELATION_ID, "order-10");
            let reply = app.broker().request_with("route", order, None).await?;
            assert_eq!(reply.payload().as_ref(), b"order-10");
            for subscription in [&mut shipping, &mut notes] {
                let published = next(subscription).await;
                assert_eq!(correlation_id(&published), Some("order-10"), "{workers}");
            }
            // Without an id of its own, the message is given one, and what its handler
            // publishes carries that one.
            let reply = app.request("route", "de").await?;
            let given = String::from_utf8(reply.payload().to_vec()).expect("utf-8");
            assert!(!given.is_empty());
            for subscription in [&mut shipping, &mut notes] {
                let published = next(subscription).await;
                assert_eq!(published.subject().rsplit('.').next(), Some("de"));
                assert_eq!(correlation_id(&published), Some(given.as_str()));
            }
            app.stop().await?;
        }
        // Outside a handler, each publish gets an id of its own.
        let broker = env.broker();
        broker.connect().await?;
        let mut shipping = broker.subscribe("shipping.*").await?;
        broker.flush().await?;
        Publisher::subject("shipping")
            .publish_to(&broker, "shipping.it", "ship")
            .await?;
        let published = next(&mut shipping).await;
        assert!(correlation_id(&published).is_some_and(|id| id != "order-10"));
        broker.close().await
    })
}

#[test]
fn captures_are_filled_only_for_results_and_braces_never_sent() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        broker.connect().await?;
        let mut all = broker.subscribe("invoices.>").await?;
        broker.flush().await?;
        for subject in ["invoices.{region}", "invoices.eu{x}", "invoices.{"] {
            let refused = Publisher::subject(subject).publish(&broker, "x").await;
            assert!(
                matches!(&refused, Err(Error::InvalidSubject { subject: s, .. }) if s == subject),
                "{subject}: {refused:?}"
            );
        }
        let refused = Publisher::subject("x")
            .publish_to(&broker, "invoices.*", "x")
            .await;
        assert!(
            matches!(refused, Err(Error::InvalidSubject { .. })),
            "{refused:?}"
        );
        broker.publish("invoices.marker", "").await?;
        let first = next(&mut all).await;
        assert_eq!(first.subject(), "invoices.marker", "nothing else sent");
        broker.close().await
    })
}

async fn ignore() {}

#[test]
fn a_publisher_no_message_could_fill_or_that_loops_is_refused_at_startup() -> Result<(), Error> {
    run(async |env: Env| {
        let subscribers = [
            Subscriber::new("orders.{region}", ignore)
                .publisher(Publisher::subject("invoices.{country}")),
            Subscriber::new("orders.{region}", ignore)
                .publisher(Publisher::subject("orders.{region}")),
            Subscriber::new("orders.{region}", ignore)
                .publisher(Publisher::subject("invoices.eu{x}")),
            // Not all of its subjects come back: allowed.
            Subscriber::new("orders.{region}", ignore)
                .publisher(Publisher::subject("{region}.orders")),
        ];
        let app = subscribers
            .into_iter()
            .fold(App::new(env.broker()), App::subscriber);
        let Err(Error::Startup { problems, .. }) = app.start().await else {
            panic!("started despite the publishers");
        };
        let kinds: Vec<_> = problems.iter().map(|problem| &problem.kind).collect();
        assert_eq!(kinds.len(), 3, "{kinds:?}");
        assert!(matches!(
            kinds[0],
            StartupProblemKind::PublisherWithoutCapture { subject, capture, .. }
                if subject == "invoices.{country}" && capture == "country"
        ));
        assert!(matches!(
            kinds[1],
            StartupProblemKind::PublishesToItself { subject, .. } if subject == "orders.{region}"
        ));
        assert!(matches!(
            kinds[2],
            StartupProblemKind::InvalidPublisher { subject, .. } if subject == "invoices.eu{x}"
        ));
        Ok(())
    })
}
