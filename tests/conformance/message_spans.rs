//! The span each handled message runs in: `DEBUG` by default (so an app logging at
//! `INFO` builds none), at the level the app chooses, or none at all.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use faststream_kv::prelude::*;
use faststream_kv::testing::TestApp;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata};

use super::run;
use crate::support::{Env, on_one_thread};

/// Records the `message` spans opened at or above `max` (name, level, handler).
#[derive(Clone)]
struct Spans {
    max: Level,
    seen: Arc<Mutex<Vec<(Level, String)>>>,
    next_id: Arc<AtomicU64>,
}

impl Spans {
    fn new(max: Level) -> Self {
        Self {
            max,
            seen: Arc::default(),
            next_id: Arc::new(AtomicU64::new(1)),
        }
    }

    fn seen(&self) -> Vec<(Level, String)> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

struct Handler(String);

impl Visit for Handler {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "handler" {
            self.0 = format!("{value:?}");
        }
    }
}

impl tracing::Subscriber for Spans {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= self.max
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        if span.metadata().name() == "message" {
            let mut handler = Handler(String::new());
            span.record(&mut handler);
            self.seen
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((*span.metadata().level(), handler.0));
        }
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}
    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}
    fn event(&self, _event: &Event<'_>) {}
    fn enter(&self, _span: &Id) {}
    fn exit(&self, _span: &Id) {}
}

#[subscriber("greet")]
async fn greet(name: String) -> String {
    format!("hello {name}")
}

/// The `message` spans `spans` saw while `app` handled two requests, on one thread
/// with `spans` as its subscriber.
async fn spans_of(
    env: &Env,
    app: impl FnOnce(Broker) -> App + Send + 'static,
    spans: Spans,
) -> Result<Vec<(Level, String)>, Error> {
    let broker = env.broker();
    let seen = spans.clone();
    on_one_thread(async move {
        let _default = tracing::subscriber::set_default(spans);
        let app = TestApp::start(app(broker)).await?;
        for name in ["a", "b"] {
            app.request("greet", name.to_owned()).await?;
        }
        app.wait_for_calls(greet, 2, Duration::from_secs(10))
            .await?;
        app.stop().await
    })
    .await?;
    Ok(seen.seen())
}

#[test]
fn the_default_span_is_at_debug() -> Result<(), Error> {
    run(async |env: Env| {
        let at_info = spans_of(
            &env,
            |broker| App::new(broker).subscriber(greet),
            Spans::new(Level::INFO),
        )
        .await?;
        assert!(at_info.is_empty(), "{at_info:?}");
        let at_debug = spans_of(
            &env,
            |broker| App::new(broker).subscriber(greet),
            Spans::new(Level::DEBUG),
        )
        .await?;
        assert_eq!(
            at_debug,
            [
                (Level::DEBUG, "greet".to_owned()),
                (Level::DEBUG, "greet".to_owned())
            ]
        );
        Ok(())
    })
}

#[test]
fn the_app_chooses_the_level_or_no_span() -> Result<(), Error> {
    run(async |env: Env| {
        let at_info = |broker| {
            App::new(broker)
                .subscriber(greet)
                .message_span(Some(Level::INFO))
        };
        let seen = spans_of(&env, at_info, Spans::new(Level::INFO)).await?;
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert!(seen.iter().all(|(level, _)| *level == Level::INFO));
        let none = |broker| App::new(broker).subscriber(greet).message_span(None);
        let seen = spans_of(&env, none, Spans::new(Level::TRACE)).await?;
        assert!(seen.is_empty(), "{seen:?}");
        Ok(())
    })
}
