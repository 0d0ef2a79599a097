//! Stream subscribers: handlers fed by a pull consumer, each message settled as the ack
//! policy says (ack after success, term or nak on failure, ack first, manual); an
//! undecodable payload is terminated, never redelivered; a durable resumes after an
//! app restart; `max_workers` handles messages at once without duplicates; a subscriber
//! declares its stream; keep-alive holds a long handler's message.

use std::time::Duration;

use faststream_kv::error::StartupProblemKind;
use faststream_kv::jetstream::{AckPolicy, Acker, ConsumerConfig, MessageInfo, StreamConfig};
use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;
use faststream_kv::testing::TestApp;

use super::run;
use crate::support::{Env, Log, all_acknowledged, consumer_gone, eventually, eventually_async};

const WAIT: Duration = Duration::from_millis(200);

/// Logs `<region> <body> <delivery>`; fails on a body of `fail`.
async fn on_order(
    Path(region): Path<String>,
    body: String,
    info: MessageInfo,
    Ctx(log): Ctx<Log>,
) -> Result<(), Error> {
    log.push(format!("{region} {body} {}", info.delivered));
    if body == "fail" {
        return Err(Error::msg("refused"));
    }
    Ok(())
}

fn app(env: &Env, log: &Log, subscriber: Subscriber<faststream_kv::subscriber::OnStream>) -> App {
    let app = App::new(env.broker())
        .on_startup(async |cx: Lifecycle| {
            cx.broker()
                .stream("ORDERS")
                .declare(StreamConfig {
                    subjects: vec!["orders.>".to_owned()],
                    ..StreamConfig::default()
                })
                .await?;
            Ok::<_, Error>(())
        })
        .subscriber(subscriber);
    app.context().insert(log.clone());
    app
}

fn orders(ack: AckPolicy) -> Subscriber<faststream_kv::subscriber::OnStream> {
    Subscriber::stream("ORDERS", "orders.{region}", on_order)
        .durable("billing")
        .consumer(ConsumerConfig {
            ack_wait: Duration::from_secs(1),
            max_deliver: Some(3),
            ..ConsumerConfig::durable("billing")
        })
        .ack_policy(ack)
        .pull(10, WAIT)
}

async fn ack_pending(app: &TestApp) -> Result<u64, Error> {
    let consumer = app
        .broker()
        .stream("ORDERS")
        .await?
        .consumer("billing")
        .await?;
    Ok(consumer.info().await?.ack_pending)
}

#[test]
fn reject_on_error_acks_successes_and_terms_failures() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let app = TestApp::start(app(&env, &log, orders(AckPolicy::RejectOnError))).await?;
        app.broker().stream_publish("orders.eu", "ok").await?;
        app.broker().stream_publish("orders.us", "fail").await?;
        eventually("both handled", || log.len() == 2).await;
        // Past the ack wait: nothing comes back.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let mut entries = log.entries();
        entries.sort();
        assert_eq!(entries, ["eu ok 1", "us fail 1"]);
        assert_eq!(ack_pending(&app).await?, 0);
        app.stop().await
    })
}

#[test]
fn nack_on_error_delivers_a_failure_again() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let policy = AckPolicy::NackOnError { delay: None };
        let app = TestApp::start(app(&env, &log, orders(policy))).await?;
        app.broker().stream_publish("orders.us", "fail").await?;
        eventually("delivered until max_deliver", || log.len() == 3).await;
        assert_eq!(log.entries(), ["us fail 1", "us fail 2", "us fail 3"]);
        app.stop().await
    })
}

#[test]
fn ack_acknowledges_whatever_the_handler_returns() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let app = TestApp::start(app(&env, &log, orders(AckPolicy::Ack))).await?;
        app.broker().stream_publish("orders.us", "fail").await?;
        eventually("handled", || log.len() == 1).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(log.entries(), ["us fail 1"]);
        app.stop().await
    })
}

async fn manual(acker: Acker, body: String, Ctx(log): Ctx<Log>) -> Result<(), Error> {
    log.push(format!("{body} {}", acker.info().delivered));
    if acker.info().delivered == 1 {
        acker.nak(None).await
    } else {
        acker.ack_sync().await
    }
}

#[test]
fn a_manual_handler_settles_its_messages() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let subscriber = Subscriber::stream("ORDERS", "orders.*", manual)
            .durable("billing")
            .ack_policy(AckPolicy::Manual)
            .pull(10, WAIT);
        let app = TestApp::start(app(&env, &log, subscriber)).await?;
        app.broker().stream_publish("orders.eu", "one").await?;
        eventually("nak'd, then acked", || log.len() == 2).await;
        assert_eq!(log.entries(), ["one 1", "one 2"]);
        assert_eq!(ack_pending(&app).await?, 0);
        app.stop().await
    })
}

#[derive(Deserialize)]
struct Order {
    id: u32,
}

async fn typed(Json(order): Json<Order>, Ctx(log): Ctx<Log>) {
    log.push(order.id.to_string());
}

#[test]
fn an_undecodable_payload_is_terminated_under_any_policy() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let subscriber = Subscriber::stream("ORDERS", "orders.*", typed)
            .consumer(ConsumerConfig {
                ack_wait: Duration::from_secs(1),
                ..ConsumerConfig::durable("billing")
            })
            .ack_policy(AckPolicy::NackOnError { delay: None })
            .pull(10, WAIT);
        let app = TestApp::start(app(&env, &log, subscriber)).await?;
        app.broker().stream_publish("orders.eu", "not json").await?;
        app.broker()
            .stream_publish("orders.eu", r#"{"id": 7}"#)
            .await?;
        eventually("the good one handled", || log.len() == 1).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(log.entries(), ["7"]);
        assert_eq!(ack_pending(&app).await?, 0);
        app.stop().await
    })
}

#[test]
fn a_durable_resumes_after_the_app_restarts() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let first = TestApp::start(app(&env, &log, orders(AckPolicy::default()))).await?;
        for index in 0..5 {
            first
                .broker()
                .stream_publish("orders.eu", index.to_string())
                .await?;
        }
        eventually("the first five", || log.len() == 5).await;
        first.stop().await?;
        let publisher = env.broker();
        for index in 5..8 {
            publisher
                .stream_publish("orders.eu", index.to_string())
                .await?;
        }
        let second = TestApp::start(app(&env, &log, orders(AckPolicy::default()))).await?;
        eventually("the other three", || log.len() == 8).await;
        tokio::time::sleep(WAIT * 2).await;
        let expected: Vec<String> = (0..8).map(|index| format!("eu {index} 1")).collect();
        assert_eq!(log.entries(), expected, "each once, in order");
        second.stop().await
    })
}

async fn slow(body: String, Ctx(log): Ctx<Log>) {
    tokio::time::sleep(Duration::from_millis(50)).await;
    log.push(body);
}

#[test]
fn workers_handle_messages_at_once_without_duplicates() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let subscriber = Subscriber::stream("ORDERS", "orders.*", slow)
            .durable("billing")
            .max_workers(16)
            .pull(100, WAIT);
        let app = TestApp::start(app(&env, &log, subscriber)).await?;
        for index in 0..64 {
            app.broker()
                .stream_publish("orders.eu", index.to_string())
                .await?;
        }
        eventually("all handled", || log.len() == 64).await;
        let mut entries: Vec<u32> = log
            .entries()
            .iter()
            .map(|entry| entry.parse().unwrap_or(u32::MAX))
            .collect();
        entries.sort_unstable();
        assert_eq!(entries, (0..64).collect::<Vec<_>>());
        assert_eq!(ack_pending(&app).await?, 0);
        app.stop().await
    })
}

async fn wants_acker(_acker: Acker) {}

#[test]
fn an_acker_outside_a_stream_subscriber_is_a_startup_error() -> Result<(), Error> {
    run(async |env: Env| {
        let app = App::new(env.broker()).subscriber(Subscriber::new("plain", wants_acker));
        match app.start().await {
            Err(Error::Startup { problems, .. }) => {
                assert_eq!(problems[0].kind, StartupProblemKind::AckerOutsideStream);
            }
            other => panic!("expected a startup error, got {:?}", other.map(|_| ())),
        }
        Ok(())
    })
}

/// At shutdown, fetched messages not handled yet are nak'd: the next instance gets
/// them at once, not after the consumer's `ack_wait` (30 s here).
#[test]
fn messages_left_at_shutdown_go_to_the_next_instance_at_once() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let subscriber = || {
            Subscriber::stream("ORDERS", "orders.*", slow)
                .durable("billing")
                .pull(10, WAIT)
        };
        let first = TestApp::start(app(&env, &log, subscriber())).await?;
        for index in 0..10 {
            first
                .broker()
                .stream_publish("orders.eu", index.to_string())
                .await?;
        }
        eventually("the first one handled", || !log.is_empty()).await;
        first.stop().await?;
        let handled_by_first = log.len();
        assert!(handled_by_first < 10, "the first instance handled them all");
        let asked = std::time::Instant::now();
        let second = TestApp::start(app(&env, &log, subscriber())).await?;
        eventually("the rest handled", || log.len() >= 10).await;
        assert!(
            asked.elapsed() < Duration::from_secs(20),
            "{:?}",
            asked.elapsed()
        );
        let mut entries: Vec<u32> = log
            .entries()
            .iter()
            .map(|entry| entry.parse().unwrap_or(u32::MAX))
            .collect();
        entries.sort_unstable();
        entries.dedup();
        assert_eq!(entries, (0..10).collect::<Vec<_>>());
        second.stop().await
    })
}

#[subscriber(
    "orders.{region}",
    stream = "ORDERS",
    durable = "macro",
    ack_policy = "ack"
)]
async fn declared(Path(region): Path<String>, info: MessageInfo, Ctx(log): Ctx<Log>) {
    log.push(format!("{region} {} {}", info.consumer, info.delivered));
}

#[test]
fn the_subscriber_macro_declares_stream_subscribers() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let app = App::new(env.broker())
            .on_startup(async |cx: Lifecycle| {
                let orders = StreamConfig {
                    subjects: vec!["orders.>".to_owned()],
                    ..StreamConfig::default()
                };
                cx.broker().stream("ORDERS").declare(orders).await?;
                Ok::<_, Error>(())
            })
            .subscriber(declared);
        app.context().insert(log.clone());
        let app = TestApp::start(app).await?;
        app.broker().stream_publish("orders.eu", "x").await?;
        eventually("handled", || log.len() == 1).await;
        assert_eq!(log.entries(), ["eu macro 1"]);
        app.stop().await
    })
}

async fn logged(body: String, Ctx(log): Ctx<Log>) {
    log.push(body);
}

/// A stream subscriber declares its stream as FastStream does: created with the
/// subscriber's subject when missing, the subject added to an existing stream that has
/// none covering it, nothing else about an existing stream changed.
#[test]
fn a_stream_subscriber_declares_its_stream() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let app = App::new(env.broker())
            .on_startup(async |cx: Lifecycle| {
                let audit = StreamConfig {
                    subjects: vec!["audit.>".to_owned()],
                    max_messages: Some(100),
                    ..StreamConfig::default()
                };
                cx.broker().stream("AUDIT").declare(audit).await?;
                let orders = StreamConfig {
                    subjects: vec!["orders.eu".to_owned()],
                    max_messages: Some(100),
                    ..StreamConfig::default()
                };
                cx.broker().stream("ORDERS").declare(orders).await?;
                Ok::<_, Error>(())
            })
            .subscriber(Subscriber::stream("NEW", "new.{id}", logged).pull(10, WAIT))
            .subscriber(Subscriber::stream("AUDIT", "audit.{kind}.*", logged).pull(10, WAIT))
            .subscriber(Subscriber::stream("ORDERS", "orders.{region}", logged).pull(10, WAIT));
        app.context().insert(log.clone());
        let app = TestApp::start(app).await?;
        let broker = app.broker();
        let config =
            async |name: &str| Ok::<_, Error>(broker.stream(name).await?.info().await?.config);
        assert_eq!(config("NEW").await?.subjects, ["new.*"]);
        let audit = config("AUDIT").await?;
        assert_eq!(audit.subjects, ["audit.>"]);
        assert_eq!(audit.max_messages, Some(100));
        let orders = config("ORDERS").await?;
        assert_eq!(orders.subjects, ["orders.*"]);
        assert_eq!(orders.max_messages, Some(100));
        for subject in ["new.1", "audit.login.alice", "orders.us"] {
            broker.stream_publish(subject, subject).await?;
        }
        eventually("all handled", || log.len() == 3).await;
        app.stop().await
    })
}

/// With `declare(false)` the stream is managed elsewhere: a missing one is a startup
/// error, and an existing one is not given the subscriber's subject.
#[test]
fn a_subscriber_that_does_not_declare_needs_its_stream() -> Result<(), Error> {
    run(async |env: Env| {
        let subscriber = || Subscriber::stream("ORDERS", "orders.*", logged).declare(false);
        let app = App::new(env.broker()).subscriber(subscriber());
        app.context().insert(Log::default());
        match app.start().await {
            Err(Error::StreamNotFound { stream, .. }) => assert_eq!(stream, "ORDERS"),
            other => panic!("expected StreamNotFound, got {:?}", other.map(|_| ())),
        }
        let app = App::new(env.broker())
            .on_startup(async |cx: Lifecycle| {
                let orders = StreamConfig {
                    subjects: vec!["orders.eu".to_owned()],
                    ..StreamConfig::default()
                };
                cx.broker().stream("ORDERS").declare(orders).await?;
                Ok::<_, Error>(())
            })
            .subscriber(subscriber());
        app.context().insert(Log::default());
        let app = TestApp::start(app).await?;
        let stream = app.broker().stream("ORDERS").await?;
        assert_eq!(stream.info().await?.config.subjects, ["orders.eu"]);
        app.stop().await
    })
}

/// Logs `<subject> <delivery>` when it starts, then works for 2.5 s: longer than the
/// consumer's 1 s `ack_wait`.
async fn long_work(subject: Subject, info: MessageInfo, Ctx(log): Ctx<Log>) {
    log.push(format!("{} {}", &*subject, info.delivered));
    tokio::time::sleep(Duration::from_millis(2500)).await;
}

/// Keep-alive holds a long handler's message past `ack_wait`: it is delivered once.
/// Without it the server delivers it again while the handler runs, and that
/// redelivery is not handled beside it: the running handler's ack settles it.
#[test]
fn a_message_is_never_in_two_handlers_at_once() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let subscriber = |subject: &str, durable: &str| {
            Subscriber::stream("WORK", subject, long_work)
                .consumer(ConsumerConfig {
                    ack_wait: Duration::from_secs(1),
                    ..ConsumerConfig::durable(durable)
                })
                .ack_policy(AckPolicy::Ack)
                .max_workers(2)
                .pull(10, WAIT)
        };
        let app = App::new(env.broker())
            .subscriber(subscriber("work.kept", "kept").keep_alive())
            .subscriber(subscriber("work.plain", "plain"));
        app.context().insert(log.clone());
        let app = TestApp::start(app).await?;
        app.broker().stream_publish("work.kept", "x").await?;
        app.broker().stream_publish("work.plain", "x").await?;
        let stream = app.broker().stream("WORK").await?;
        let (kept, plain) = (
            stream.consumer("kept").await?,
            stream.consumer("plain").await?,
        );
        eventually_async("the plain one delivered again", async || {
            plain.info().await.is_ok_and(|info| info.redelivered == 1)
        })
        .await;
        assert_eq!(kept.info().await?.redelivered, 0);
        all_acknowledged(&kept).await;
        all_acknowledged(&plain).await;
        let mut entries = log.entries();
        entries.sort();
        assert_eq!(entries, ["work.kept 1", "work.plain 1"]);
        app.stop().await
    })
}

/// FastStream #2563: with slow handlers, a subscriber must not fetch more than its
/// workers take, or what waits in the client runs out its `ack_wait` and is delivered
/// again. Two workers, handlers longer than `ack_wait` (kept alive): every message is
/// delivered once.
#[test]
fn slow_workers_do_not_fetch_what_they_cannot_start() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let subscriber = Subscriber::stream("WORK", "work.*", long_work)
            .consumer(ConsumerConfig {
                ack_wait: Duration::from_secs(1),
                ..ConsumerConfig::durable("slow")
            })
            .ack_policy(AckPolicy::Ack)
            .keep_alive()
            .max_workers(2)
            .pull(10, WAIT);
        let app = App::new(env.broker()).subscriber(subscriber);
        app.context().insert(log.clone());
        let app = TestApp::start(app).await?;
        for index in 0..6 {
            app.broker()
                .stream_publish(&format!("work.{index}"), "x")
                .await?;
        }
        eventually("all started", || log.len() >= 6).await;
        let stream = app.broker().stream("WORK").await?;
        let consumer = stream.consumer("slow").await?;
        all_acknowledged(&consumer).await;
        let mut entries = log.entries();
        entries.sort_unstable();
        let expected: Vec<String> = (0..6).map(|index| format!("work.{index} 1")).collect();
        assert_eq!(entries, expected);
        app.stop().await
    })
}

/// A subscriber whose fetch waits for messages (for up to 5 s here) stops at once, and
/// its pull does not outlive it: a message published afterwards goes to the next
/// instance at once, not to the stopped one's inbox (where it would wait out the 30 s
/// `ack_wait`).
#[test]
fn an_idle_subscriber_stops_at_once_and_leaves_no_pull_behind() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let subscriber = || {
            Subscriber::stream("IDLE", "idle.*", logged)
                .durable("idle")
                .pull(10, Duration::from_secs(5))
        };
        let first = TestApp::start(app(&env, &log, subscriber())).await?;
        first.broker().stream_publish("idle.1", "before").await?;
        eventually("the first message handled", || log.len() == 1).await;
        // Its next fetch is now waiting on the server.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let stopping = std::time::Instant::now();
        first.stop().await?;
        assert!(
            stopping.elapsed() < Duration::from_secs(3),
            "stopping took {:?}",
            stopping.elapsed()
        );
        let second = TestApp::start(app(&env, &log, subscriber())).await?;
        second.broker().stream_publish("idle.2", "after").await?;
        eventually("the later message handled", || log.len() == 2).await;
        assert_eq!(log.entries(), ["before", "after"]);
        second.stop().await
    })
}

/// A durable deleted under a running subscriber (by an operator) is declared again from
/// the subscriber's configuration, reported as an event, and consumption goes on.
#[test]
fn a_deleted_durable_is_declared_again_and_consumption_goes_on() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let app = TestApp::start(app(&env, &log, orders(AckPolicy::Ack))).await?;
        let mut events = app.broker().events();
        app.broker().stream_publish("orders.eu", "1").await?;
        eventually("the first handled", || log.len() == 1).await;
        let stream = app.broker().stream("ORDERS").await?;
        stream.delete_consumer("billing").await?;
        assert_eq!(
            consumer_gone(&mut events).await,
            Some(("on_order".to_owned(), "ORDERS".to_owned(), true))
        );
        stream.consumer_info("billing").await?;
        app.broker().stream_publish("orders.eu", "2").await?;
        eventually("the next handled", || {
            log.entries().contains(&"eu 2 1".to_owned())
        })
        .await;
        assert!(app.running().health().is_alive());
        app.stop().await
    })
}
