//! A subscriber working through a backlog shares its thread: it yields to the other
//! tasks now and then instead of handling every buffered message in one go.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;
use faststream_kv::testing::TestApp;
use futures::StreamExt;
use tokio::sync::Notify;

use super::run;
use crate::support::{Env, eventually, on_one_thread};

const BACKLOG: usize = 2_000;

/// Holds the handler back until the backlog is buffered. Not a tokio semaphore: its
/// `acquire` counts against tokio's cooperative budget, which would make the handler
/// yield by itself.
#[derive(Default)]
struct Gate {
    open: AtomicBool,
    opened: Notify,
}

#[derive(Default)]
struct Handled(AtomicUsize);

async fn count(Ctx(gate): Ctx<Gate>, Ctx(handled): Ctx<Handled>) {
    while !gate.open.load(Ordering::Acquire) {
        let opened = gate.opened.notified();
        if gate.open.load(Ordering::Acquire) {
            break;
        }
        opened.await;
    }
    handled.0.fetch_add(1, Ordering::AcqRel);
}

#[test]
fn busy_subscriber_lets_other_tasks_run() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        on_one_thread(async move {
            let (gate, handled) = (Arc::new(Gate::default()), Arc::new(Handled::default()));
            let app = App::new(broker).subscriber(Subscriber::new("busy.work", count));
            app.context().insert_arc(Arc::clone(&gate));
            app.context().insert_arc(Arc::clone(&handled));
            let app = TestApp::start(app).await?;
            let mut marker = app.broker().subscribe("busy.marker").await?;
            for _ in 0..BACKLOG {
                app.publish("busy.work", "").await?;
            }
            // Published after the backlog on the same connection: once it is here, the
            // whole backlog is in the subscriber's buffer.
            app.publish("busy.marker", "").await?;
            app.broker().flush().await?;
            marker.next().await.ok_or(Error::Closed)?;

            gate.open.store(true, Ordering::Release);
            gate.opened.notify_waiters();
            // Queued after the woken subscriber, on the same thread.
            let seen = {
                let handled = Arc::clone(&handled);
                tokio::spawn(async move { handled.0.load(Ordering::Acquire) })
            };
            let seen = seen.await.map_err(Error::msg)?;
            assert!(
                seen < BACKLOG,
                "another task ran only after the subscriber handled its whole backlog"
            );
            eventually("the whole backlog is handled", || {
                handled.0.load(Ordering::Acquire) == BACKLOG
            })
            .await;
            app.stop().await
        })
        .await
    })
}
