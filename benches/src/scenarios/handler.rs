//! `handler`: the `pubsub` handler's call alone, on one thread, without a broker in the
//! way: the message's `Json` + `Path` + `Ctx<KeyValue>` extracted and the handler run,
//! against the same work written by hand. Nanoseconds per message, so the framework's
//! share of a message's cost shows without the network's noise.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use faststream_kv::extract::Scope;
use faststream_kv::handler::Handler;
use faststream_kv::subscriber::Pattern;
use faststream_kv::{Broker, Context as Lifecycle, Message};

use super::pubsub::{PATTERN, SUBJECT, handle_order, on_order};
use super::{raw_stock, stock};
use crate::Result;
use crate::bench::Bench;
use crate::report::Report;
use crate::workload::{Counter, Order};

pub(super) async fn run(bench: &Bench) -> Result<Report> {
    let rounds = bench.rounds(raw_run, framework_run).await?;
    Ok(Report::new("handler", rounds, "ns"))
}

/// The messages both sides handle, as async-nats delivers them.
fn messages(bench: &Bench) -> Vec<async_nats::Message> {
    let template = async_nats::Message {
        subject: SUBJECT.into(),
        reply: None,
        payload: Order::payload(),
        headers: None,
        status: None,
        description: None,
        length: 0,
    };
    vec![template; bench.settings.messages]
}

/// Nanoseconds per message for `handle` over `messages` (their drop included).
fn per_message<M>(messages: Vec<M>, mut handle: impl FnMut(M)) -> f64 {
    let count = messages.len();
    let started = Instant::now();
    for message in messages {
        handle(message);
    }
    started.elapsed().as_nanos() as f64 / count as f64
}

async fn raw_run(bench: &Bench) -> Result<f64> {
    let client = async_nats::connect(bench.url()).await?;
    let stock = Arc::new(raw_stock(&client).await?);
    let counter = Counter::new(bench.settings.messages);
    let ns = per_message(messages(bench), |message| {
        if handle_order(&message, Arc::clone(&stock)) {
            counter.hit();
        }
    });
    counter.wait(bench.settings.deadline()).await?;
    Ok(ns)
}

/// One call of `handler`, polled once. Never inlined into the timing loop: in a
/// subscriber's consume loop the handler's future is not inlined either, and the raw
/// side's `handle_order` is a call of its own too.
#[inline(never)]
fn call_once<H: Handler<Args>, Args>(
    handler: &H,
    message: Message,
    scope: &Scope,
) -> std::result::Result<(), String> {
    let future = pin!(handler.call_ref(&message, scope));
    match future.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(_)) => Ok(()),
        Poll::Ready(Err(error)) => Err(error.to_string()),
        Poll::Pending => Err("the handler waited".to_owned()),
    }
}

async fn framework_run(bench: &Bench) -> Result<f64> {
    let broker = Broker::memory();
    let context = Lifecycle::new();
    context.insert(stock(&broker).await?);
    // What the app builds for the subscriber at startup.
    let scope = Scope::new(context, Pattern::parse(PATTERN)?, "on_order");
    let counter = Counter::leaked(bench.settings.messages);
    let handler = on_order(counter);
    let messages: Vec<Message> = messages(bench).into_iter().map(Message::from).collect();
    let mut failed = None;
    let ns = per_message(messages, |message| {
        if let Err(error) = call_once(&handler, message, &scope) {
            failed = Some(error);
        }
    });
    if let Some(error) = failed {
        return Err(error.into());
    }
    counter.wait(bench.settings.deadline()).await?;
    broker.close().await?;
    Ok(ns)
}
