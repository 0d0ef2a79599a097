//! Graceful shutdown: in-flight and already-received messages are handled before stop
//! returns.

use std::sync::Arc;

use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;
use faststream_kv::testing::TestApp;
use tokio::sync::Semaphore;

use super::run;
use crate::support::{Env, Log, eventually};

/// Handlers wait here until the test lets them through.
struct Gate(Arc<Semaphore>);

async fn gated(Ctx(gate): Ctx<Gate>, Ctx(log): Ctx<Log>, body: String) {
    log.push(format!("started {body}"));
    let _permit = gate.0.acquire().await;
    log.push(format!("done {body}"));
}

fn finished(log: &Log) -> usize {
    log.entries()
        .iter()
        .filter(|entry| entry.starts_with("done"))
        .count()
}

#[test]
fn graceful_shutdown_finishes_in_flight_and_buffered() -> Result<(), Error> {
    run(async |env: Env| {
        let (log, gate) = (Log::default(), Arc::new(Semaphore::new(0)));
        let app = App::new(env.broker()).subscriber(Subscriber::new("slow.work", gated));
        app.context().insert(log.clone());
        app.context().insert(Gate(Arc::clone(&gate)));
        let app = TestApp::start(app).await?;
        for n in 0..5 {
            app.publish("slow.work", n.to_string()).await?;
        }
        app.broker().flush().await?;
        eventually("the first message is in flight", || log.len() == 1).await;
        let stopping = tokio::spawn(app.stop());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(
            !stopping.is_finished(),
            "stop waits for the handler in flight"
        );
        gate.add_permits(5);
        stopping.await.map_err(Error::msg)??;
        assert_eq!(
            finished(&log),
            5,
            "in-flight and buffered messages are handled: {:?}",
            log.entries()
        );
        Ok(())
    })
}

#[test]
fn concurrent_workers_all_finish() -> Result<(), Error> {
    run(async |env: Env| {
        let (log, gate) = (Log::default(), Arc::new(Semaphore::new(0)));
        let app =
            App::new(env.broker()).subscriber(Subscriber::new("par.work", gated).max_workers(4));
        app.context().insert(log.clone());
        app.context().insert(Gate(Arc::clone(&gate)));
        let app = TestApp::start(app).await?;
        for n in 0..4 {
            app.publish("par.work", n.to_string()).await?;
        }
        // Four workers: all four handlers run at once, none finished.
        eventually("four handlers in flight together", || log.len() == 4).await;
        let stopping = tokio::spawn(app.stop());
        gate.add_permits(4);
        stopping.await.map_err(Error::msg)??;
        assert_eq!(finished(&log), 4);
        Ok(())
    })
}

#[test]
fn shutdown_past_the_graceful_timeout_counts_what_it_leaves() -> Result<(), Error> {
    run(async |env: Env| {
        for workers in [1, 3] {
            let (log, gate) = (Log::default(), Arc::new(Semaphore::new(0)));
            let subscriber = Subscriber::new("stuck.work", gated).max_workers(workers);
            let app = App::new(env.broker())
                .graceful_timeout(std::time::Duration::from_millis(100))
                .subscriber(subscriber);
            app.context().insert(log.clone());
            app.context().insert(Gate(Arc::clone(&gate)));
            let app = TestApp::start(app).await?;
            for n in 0..10 {
                app.publish("stuck.work", n.to_string()).await?;
            }
            app.broker().flush().await?;
            eventually("the handlers are in flight", || log.len() == workers).await;
            // Nothing lets the handlers through: stop gives up on them, and says how
            // many received messages it left.
            match app.stop().await {
                Err(Error::Abandoned {
                    messages,
                    cancelled_subscribers: 0,
                    ..
                }) => assert_eq!(messages, 10, "{workers} worker(s): {:?}", log.entries()),
                other => panic!("expected Error::Abandoned, got {other:?}"),
            }
            assert_eq!(finished(&log), 0);
        }
        Ok(())
    })
}
