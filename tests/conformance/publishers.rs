//! Publishers: a handler's result published to subjects and streams (`#[publisher]`,
//! `publish = "..."`, `Subscriber::publisher`), once, with the handled message's
//! correlation id, before a stream message is acknowledged; a request still gets its
//! reply; a result that cannot be published is handled again, not lost; a `Publisher`
//! from a hook, and the broker from the context in a handler.

use std::time::Duration;

use faststream_kv::broker::Subscription;
use faststream_kv::error::StartupProblemKind;
use faststream_kv::jetstream::{AckPolicy, MessageInfo, StreamConfig};
use faststream_kv::prelude::*;
use faststream_kv::publisher::Publisher;
use faststream_kv::subscriber::Subscriber;
use faststream_kv::testing::TestApp;
use faststream_kv::{APPLICATION_JSON, CORRELATION_ID};
use futures::StreamExt;

use super::run;
use crate::support::{Env, Log, eventually};

const QUIET: Duration = Duration::from_millis(300);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Bill {
    region: String,
    cents: u64,
}

#[subscriber("orders.{region}.created", publish = "orders.billed")]
#[publisher("audit.billed")]
async fn bill(Path(region): Path<String>, body: String) -> Result<Json<Bill>, Error> {
    let cents = body
        .parse()
        .map_err(|_| Error::status(400, "not a price"))?;
    Ok(Json(Bill { region, cents }))
}

/// The next message on `subscription`, failing after a second.
async fn next(subscription: &mut Subscription) -> Message {
    tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("a message within 5 s")
        .expect("the subscription is open")
}

/// Whether `subscription` stays quiet for a while.
async fn quiet(subscription: &mut Subscription) -> bool {
    tokio::time::timeout(QUIET, subscription.next())
        .await
        .is_err()
}

async fn listen(app: &TestApp, subject: &str) -> Result<Subscription, Error> {
    let subscription = app.broker().subscribe(subject).await?;
    app.broker().flush().await?;
    Ok(subscription)
}

#[test]
fn results_go_to_every_publisher_with_the_correlation_id() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(App::new(env.broker()).subscriber(bill)).await?;
        let (mut billed, mut audit) = (
            listen(&app, "orders.billed").await?,
            listen(&app, "audit.billed").await?,
        );
        let order = Reply::new("250").header(CORRELATION_ID, "order-7");
        app.broker()
            .publish_message("orders.eu.created", order)
            .await?;
        for subscription in [&mut billed, &mut audit] {
            let message = next(subscription).await;
            let received: Bill = serde_json::from_slice(message.payload())?;
            assert_eq!(
                received,
                Bill {
                    region: "eu".into(),
                    cents: 250
                }
            );
            assert_eq!(message.correlation_id(), Some("order-7"));
            assert_eq!(message.content_type(), Some(APPLICATION_JSON));
        }
        assert!(quiet(&mut billed).await, "published once");
        app.stop().await
    })
}

#[test]
fn a_request_gets_its_reply_and_the_result_is_published_once() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(App::new(env.broker()).subscriber(bill)).await?;
        let mut billed = listen(&app, "orders.billed").await?;
        let reply = app.request("orders.us.created", "99").await?;
        let reply: Bill = serde_json::from_slice(reply.payload())?;
        assert_eq!(reply.cents, 99);
        let published = next(&mut billed).await;
        assert_eq!(serde_json::from_slice::<Bill>(published.payload())?, reply);
        assert!(quiet(&mut billed).await, "published once");
        app.stop().await
    })
}

#[test]
fn a_failed_handler_publishes_nothing() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(App::new(env.broker()).subscriber(bill)).await?;
        let mut billed = listen(&app, "orders.billed").await?;
        let refused = app.request("orders.eu.created", "lots").await;
        assert!(
            matches!(refused, Err(Error::Service { code: 400, .. })),
            "{refused:?}"
        );
        assert!(quiet(&mut billed).await);
        app.stop().await
    })
}

/// Publishes odd numbers only.
async fn odd(body: String) -> Option<String> {
    let number: u64 = body.parse().ok()?;
    (number % 2 == 1).then(|| number.to_string())
}

#[test]
fn none_publishes_nothing() -> Result<(), Error> {
    run(async |env: Env| {
        let subscriber = Subscriber::new("numbers", odd).publisher(Publisher::subject("odd"));
        let app = TestApp::start(App::new(env.broker()).subscriber(subscriber)).await?;
        let mut odds = listen(&app, "odd").await?;
        for number in 1..=4 {
            app.publish("numbers", number.to_string()).await?;
        }
        assert_eq!(next(&mut odds).await.payload(), "1");
        assert_eq!(next(&mut odds).await.payload(), "3");
        assert!(quiet(&mut odds).await);
        app.stop().await
    })
}

/// Answers `ping` with its reply subject set, so that the next hop replies there.
async fn forward(body: String) -> Reply {
    Reply::new(format!("{body}!"))
        .reply_to("answers")
        .correlation_id("chosen")
}

async fn answer(body: String) -> String {
    format!("answer to {body}")
}

#[test]
fn a_reply_sets_the_correlation_id_and_the_reply_subject_of_what_is_published() -> Result<(), Error>
{
    run(async |env: Env| {
        let first = Subscriber::new("ping", forward).publisher(Publisher::subject("pong"));
        let second = Subscriber::new("pong", answer);
        let app =
            TestApp::start(App::new(env.broker()).subscriber(first).subscriber(second)).await?;
        let mut answers = listen(&app, "answers").await?;
        app.publish("ping", "hi").await?;
        let answered = next(&mut answers).await;
        assert_eq!(answered.payload(), "answer to hi!");
        assert_eq!(
            answered.correlation_id(),
            Some("chosen"),
            "the second hop's reply keeps the id the first hop set"
        );
        app.stop().await
    })
}

fn with_stream(env: &Env, name: &str, subjects: &str) -> App {
    let (name, subjects) = (name.to_owned(), subjects.to_owned());
    App::new(env.broker()).on_startup(move |cx: Lifecycle| {
        let (name, config) = (
            name.clone(),
            StreamConfig {
                subjects: vec![subjects.clone()],
                ..StreamConfig::default()
            },
        );
        async move {
            cx.broker().stream(name).declare(config).await?;
            Ok::<_, Error>(())
        }
    })
}

#[test]
fn a_stream_publisher_stores_each_result() -> Result<(), Error> {
    run(async |env: Env| {
        let subscriber = Subscriber::new("orders.{region}.created", bill::call)
            .publisher(Publisher::stream("billing.eu").expected_stream("BILLING"));
        let app = TestApp::start(with_stream(&env, "BILLING", "billing.>").subscriber(subscriber))
            .await?;
        let reply = app.request("orders.eu.created", "5").await?;
        let reply: Bill = serde_json::from_slice(reply.payload())?;
        assert_eq!(reply.cents, 5);
        let stream = app.broker().stream("BILLING").await?;
        assert_eq!(stream.info().await?.state.messages, 1);
        let stored = stream.message(1).await?.expect("stored");
        assert_eq!(serde_json::from_slice::<Bill>(&stored.payload)?, reply);
        app.stop().await
    })
}

/// Logs each delivery of a stream message, and passes its body on.
async fn relay(body: String, info: MessageInfo, Ctx(log): Ctx<Log>) -> String {
    log.push(format!("{body} {}", info.delivered));
    body
}

#[test]
fn a_result_that_cannot_be_published_is_handled_again() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        // No stream stores `nowhere.*`: every publish fails, and the message is nak'd
        // (not terminated, although that is the default policy's answer to a failure).
        let subscriber = Subscriber::stream("WORK", "work.*", relay)
            .durable("relay")
            .ack_policy(AckPolicy::RejectOnError)
            .publisher(Publisher::stream("nowhere.relayed"));
        let app = with_stream(&env, "WORK", "work.*").subscriber(subscriber);
        app.context().insert(log.clone());
        let app = TestApp::start(app).await?;
        app.broker().stream_publish("work.a", "job").await?;
        eventually("a redelivery", || {
            log.entries().contains(&"job 2".to_owned())
        })
        .await;
        app.stop().await
    })
}

#[test]
fn a_stream_message_is_acknowledged_after_its_result_is_published() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let subscriber = Subscriber::stream("WORK", "work.*", relay)
            .durable("relay")
            .publisher(Publisher::subject("relayed"));
        let app = with_stream(&env, "WORK", "work.*").subscriber(subscriber);
        app.context().insert(log.clone());
        let app = TestApp::start(app).await?;
        let mut relayed = listen(&app, "relayed").await?;
        app.broker().stream_publish("work.a", "job").await?;
        assert_eq!(next(&mut relayed).await.payload(), "job");
        let consumer = app.broker().stream("WORK").await?.consumer("relay").await?;
        crate::support::eventually_async("acknowledged", async || {
            consumer
                .info()
                .await
                .is_ok_and(|info| info.ack_pending == 0 && info.pending == 0)
        })
        .await;
        assert_eq!(log.entries(), ["job 1"]);
        app.stop().await
    })
}

/// Publishes through the broker the app put in its context.
async fn through_context(body: String, Ctx(broker): Ctx<Broker>) -> Result<(), Error> {
    broker.publish("echoed", body).await
}

#[test]
fn hooks_and_handlers_publish_through_a_publisher_and_the_context_broker() -> Result<(), Error> {
    run(async |env: Env| {
        let greeting = Publisher::subject("greetings");
        let app = App::new(env.broker())
            .subscriber(Subscriber::new("echo", through_context))
            .after_startup(move |cx: Lifecycle| {
                let greeting = greeting.clone();
                async move {
                    greeting.publish_json(cx.broker(), &"hello").await?;
                    Ok::<_, Error>(())
                }
            });
        let listener = env.broker();
        listener.connect().await?;
        let mut greetings = listener.subscribe("greetings").await?;
        let mut echoed = listener.subscribe("echoed").await?;
        listener.flush().await?;
        let app = TestApp::start(app).await?;
        assert_eq!(next(&mut greetings).await.payload(), "\"hello\"");
        app.publish("echo", "back").await?;
        assert_eq!(next(&mut echoed).await.payload(), "back");
        app.stop().await?;
        listener.close().await
    })
}

#[test]
fn a_stream_publish_refuses_a_reply_subject() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(with_stream(&env, "BILLING", "billing.>")).await?;
        let publisher = Publisher::stream("billing.eu");
        let refused = publisher
            .publish(app.broker(), Reply::new("x").reply_to("somewhere"))
            .await;
        assert!(
            matches!(refused, Err(Error::InvalidSubject { .. })),
            "{refused:?}"
        );
        let ack = publisher.publish(app.broker(), "x").await?;
        assert_eq!(ack.map(|ack| ack.sequence), Some(1));
        app.stop().await
    })
}

#[test]
fn publishing_to_its_own_pattern_or_an_invalid_subject_is_refused_at_startup() -> Result<(), Error>
{
    run(async |env: Env| {
        let looping = Subscriber::new("orders.*", odd).publisher(Publisher::subject("orders.odd"));
        let invalid = Subscriber::new("numbers", odd).publisher(Publisher::subject("odd.*"));
        let started = App::new(env.broker())
            .subscriber(looping)
            .subscriber(invalid)
            .start()
            .await;
        let Err(Error::Startup { problems, .. }) = started else {
            panic!("started despite the publishers");
        };
        assert!(matches!(
            &problems[0].kind,
            StartupProblemKind::PublishesToItself { subject, .. } if subject == "orders.odd"
        ));
        assert!(matches!(
            &problems[1].kind,
            StartupProblemKind::InvalidPublisher { subject, .. } if subject == "odd.*"
        ));
        Ok(())
    })
}
