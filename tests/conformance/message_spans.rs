//! The span each handled message runs in: `DEBUG` by default (so an app logging at
//! `INFO` builds none), at the level the app chooses, or none at all.

use std::time::Duration;

use faststream_kv::prelude::*;
use faststream_kv::testing::TestApp;
use tracing::Level;

use super::run;
use crate::span_recorder::SpanRecorder;
use crate::support::{Env, on_one_thread};

#[subscriber("greet")]
async fn greet(name: String) -> String {
    format!("hello {name}")
}

/// The `message` spans `spans` saw while `app` handled two requests, on one thread
/// with `spans` as its subscriber.
async fn spans_of(
    env: &Env,
    app: impl FnOnce(Broker) -> App + Send + 'static,
    spans: SpanRecorder,
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
    Ok(seen
        .seen()
        .into_iter()
        .map(|span| (span.level, span.handler))
        .collect())
}

#[test]
fn the_default_span_is_at_debug() -> Result<(), Error> {
    run(async |env: Env| {
        let at_info = spans_of(
            &env,
            |broker| App::new(broker).subscriber(greet),
            SpanRecorder::new(Level::INFO),
        )
        .await?;
        assert!(at_info.is_empty(), "{at_info:?}");
        let at_debug = spans_of(
            &env,
            |broker| App::new(broker).subscriber(greet),
            SpanRecorder::new(Level::DEBUG),
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
        let seen = spans_of(&env, at_info, SpanRecorder::new(Level::INFO)).await?;
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert!(seen.iter().all(|(level, _)| *level == Level::INFO));
        let none = |broker| App::new(broker).subscriber(greet).message_span(None);
        let seen = spans_of(&env, none, SpanRecorder::new(Level::TRACE)).await?;
        assert!(seen.is_empty(), "{seen:?}");
        Ok(())
    })
}
