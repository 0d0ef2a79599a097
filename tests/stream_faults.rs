//! Stream subscribers under faults, on a real nats-server: the server SIGKILLed and
//! restarted on its store while a durable consumer works through 10,000 messages, a
//! graceful shutdown with a thousand handlers in flight, a 3-node cluster losing the
//! stream's leader. Nothing is lost and nothing is left unacknowledged; what one
//! instance left goes to the next at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use faststream_kv::ConnectOptions;
use faststream_kv::jetstream::{AckPolicy, Acker, ConsumerConfig, MessageInfo, StreamConfig};
use faststream_kv::prelude::*;
use faststream_kv::subscriber::{IntoSubscriber, OnStream, Subscriber};
use faststream_kv::testing::{NatsCluster, NatsServer, TestApp};

/// What handlers did, in order: `(stream sequence, true)` for a start, `(sequence,
/// false)` once the server confirmed the acknowledgement.
#[derive(Clone, Default)]
struct Journal(Arc<Mutex<Vec<(u64, bool)>>>);

impl Journal {
    fn push(&self, sequence: u64, acked: bool) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((sequence, acked));
    }

    fn events(&self) -> Vec<(u64, bool)> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many times each sequence was handled.
    fn handled(&self) -> HashMap<u64, usize> {
        let mut handled = HashMap::new();
        for (sequence, acked) in self.events() {
            if !acked {
                *handled.entry(sequence).or_default() += 1;
            }
        }
        handled
    }

    /// Messages started after the server had confirmed their acknowledgement.
    fn handled_after_confirmed_ack(&self) -> Vec<u64> {
        let mut confirmed = std::collections::HashSet::new();
        let mut again = Vec::new();
        for (sequence, acked) in self.events() {
            if acked {
                confirmed.insert(sequence);
            } else if confirmed.contains(&sequence) {
                again.push(sequence);
            }
        }
        again
    }
}

/// Acknowledges with a double ack, recording the start and the confirmation.
async fn work(acker: Acker, info: MessageInfo, Ctx(journal): Ctx<Journal>) -> Result<(), Error> {
    let sequence = info.stream_sequence;
    journal.push(sequence, false);
    acker.ack_sync().await?;
    journal.push(sequence, true);
    Ok(())
}

/// 16 workers on durable `workers`, acknowledging with [`work`]'s double acks.
fn double_acking_workers() -> Subscriber<OnStream> {
    Subscriber::stream("WORK", "work.*", work)
        .consumer(ConsumerConfig {
            // Short, so that what an outage left unacknowledged comes back soon.
            ack_wait: Duration::from_secs(2),
            ..ConsumerConfig::durable("workers")
        })
        .ack_policy(AckPolicy::Manual)
        .max_workers(16)
}

/// Works a second per message, then acknowledges (the default policy).
async fn slow_work(info: MessageInfo, Ctx(journal): Ctx<Journal>) {
    journal.push(info.stream_sequence, false);
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// The app; its subscriber finds stream `WORK` as [`publish`] declared it.
fn app(broker: Broker, journal: &Journal, subscriber: impl IntoSubscriber) -> App {
    let app = App::new(broker).subscriber(subscriber);
    app.context().insert(journal.clone());
    app
}

/// Declares stream `WORK` with `replicas` and stores `count` messages in it.
async fn publish(broker: &Broker, count: u64, replicas: usize) -> Result<(), Error> {
    let work = StreamConfig {
        subjects: vec!["work.*".to_owned()],
        replicas,
        ..StreamConfig::default()
    };
    broker.stream("WORK").declare(work).await?;
    for index in 0..count {
        broker
            .stream_publish(&format!("work.{}", index % 7), index.to_string())
            .await?;
    }
    Ok(())
}

/// Waits until consumer `workers` has nothing pending or unacknowledged (asking again
/// when a call fails: a cluster may still be electing).
async fn nothing_left(broker: &Broker) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let info = async { broker.stream("WORK").await?.consumer_info("workers").await }.await;
        if let Ok(info) = &info
            && info.pending == 0
            && info.ack_pending == 0
        {
            return;
        }
        assert!(Instant::now() < deadline, "left on the server: {info:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// While `subscriber` works through 10,000 messages, the server is SIGKILLed and
/// restarted on its store.
async fn survives_a_sigkill(subscriber: Subscriber<OnStream>) -> Result<(), Error> {
    const MESSAGES: u64 = 10_000;
    let mut server = NatsServer::start()?;
    let publisher = server.broker();
    publish(&publisher, MESSAGES, 1).await?;
    publisher.close().await?;

    let journal = Journal::default();
    // On the default request timeout: a double ack in flight when the server dies
    // waits it out once; what was fetched before the kill is handed back unhandled.
    let broker = Broker::nats(server.connect_options());
    let app = TestApp::start(app(broker, &journal, subscriber)).await?;
    wait_until("a fifth handled", Duration::from_secs(60), || {
        journal.handled().len() >= 2_000
    })
    .await;
    server.kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.restart()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while journal.handled().len() < MESSAGES as usize {
        if Instant::now() > deadline {
            let stream = app.broker().stream("WORK").await?;
            panic!(
                "{} of {MESSAGES} handled; consumer: {:?}",
                journal.handled().len(),
                stream.consumer_info("workers").await
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let handled = journal.handled();
    assert!((1..=MESSAGES).all(|sequence| handled.contains_key(&sequence)));
    // A single server keeps a consumer's acknowledgements in memory and writes them to
    // its store in the background: after a SIGKILL the messages acknowledged last (even
    // with the server's confirmation, and with `sync_interval: always`) are delivered
    // again. At least once is what a lone server promises; counted, not asserted.
    let again = journal.handled_after_confirmed_ack();
    eprintln!(
        "handled again after a confirmed acknowledgement: {} of {MESSAGES}",
        again.len()
    );
    nothing_left(app.broker()).await;
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkilled_server_loses_nothing() -> Result<(), Error> {
    survives_a_sigkill(double_acking_workers()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkilled_server_loses_nothing_pushed() -> Result<(), Error> {
    survives_a_sigkill(double_acking_workers().push()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_with_a_thousand_in_flight_hands_the_rest_on() -> Result<(), Error> {
    const MESSAGES: u64 = 3_000;
    const WORKERS: usize = 1_000;
    let server = NatsServer::start()?;
    let publisher = server.broker();
    publish(&publisher, MESSAGES, 1).await?;
    publisher.close().await?;

    let journal = Journal::default();
    let subscriber = || {
        Subscriber::stream("WORK", "work.*", slow_work)
            .durable("workers")
            .max_workers(WORKERS)
    };
    let first = TestApp::start(app(server.broker(), &journal, subscriber())).await?;
    wait_until("every worker busy", Duration::from_secs(30), || {
        journal.handled().len() >= WORKERS
    })
    .await;
    // A thousand handlers are in flight: the stop waits for them within its graceful
    // timeout, and hands on what was fetched for later.
    first.stop().await?;
    let by_first = journal.handled().len();
    assert!(
        (WORKERS..MESSAGES as usize).contains(&by_first),
        "the first instance handled {by_first}"
    );

    let handed_on = Instant::now();
    let second = TestApp::start(app(server.broker(), &journal, subscriber())).await?;
    wait_until("the rest handled", Duration::from_secs(60), || {
        journal.handled().len() == MESSAGES as usize
    })
    .await;
    // Well within the consumer's 30 s ack_wait: nothing waited to be redelivered.
    assert!(
        handed_on.elapsed() < Duration::from_secs(20),
        "{:?}",
        handed_on.elapsed()
    );
    let handled = journal.handled();
    let twice: Vec<_> = handled.iter().filter(|(_, times)| **times > 1).collect();
    assert!(twice.is_empty(), "handled twice: {twice:?}");
    second.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_streams_leader_loses_nothing() -> Result<(), Error> {
    const MESSAGES: u64 = 2_000;
    let mut cluster = NatsCluster::start(3).await?;
    let publisher = cluster.broker();
    publish(&publisher, MESSAGES, 3).await?;
    publisher.close().await?;

    let journal = Journal::default();
    let subscriber = double_acking_workers();
    let broker = Broker::nats(ConnectOptions::new(cluster.urls()));
    let app = TestApp::start(app(broker, &journal, subscriber)).await?;
    wait_until("a quarter handled", Duration::from_secs(60), || {
        journal.handled().len() >= 500
    })
    .await;
    let leader = cluster.stream_leader("WORK").await?;
    cluster.kill(&leader)?;
    wait_until("every message handled", Duration::from_secs(120), || {
        journal.handled().len() == MESSAGES as usize
    })
    .await;
    let handled = journal.handled();
    assert!((1..=MESSAGES).all(|sequence| handled.contains_key(&sequence)));
    eprintln!(
        "leader {leader} killed; handled again after a confirmed acknowledgement: {} of {MESSAGES}",
        journal.handled_after_confirmed_ack().len()
    );
    nothing_left(app.broker()).await;
    app.stop().await?;
    cluster.restart(&leader)
}
