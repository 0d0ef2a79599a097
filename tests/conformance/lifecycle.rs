//! Hooks in order, hook errors, context reaching handlers; the app says at INFO when
//! it has started, drains and has stopped.

use faststream_kv::error::HookStage;
use faststream_kv::prelude::*;
use faststream_kv::testing::TestApp;
use tracing::Level;

use super::run;
use crate::span_recorder::SpanRecorder;
use crate::support::{Env, Log, on_one_thread};

#[subscriber("lifecycle.ping")]
async fn ping(Ctx(log): Ctx<Log>) -> &'static str {
    log.push("handler");
    "pong"
}

#[test]
fn hooks_run_in_order() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let hook = |name: &'static str| {
            let log = log.clone();
            move |cx: Lifecycle| {
                let log = log.clone();
                async move {
                    log.push(name);
                    if name == "on_startup 2" {
                        cx.context().insert(log.clone());
                    }
                    Ok::<_, Error>(())
                }
            }
        };
        let app = App::new(env.broker())
            .on_startup(hook("on_startup 1"))
            .on_startup(hook("on_startup 2"))
            .after_startup(hook("after_startup"))
            .on_shutdown(hook("on_shutdown"))
            .after_shutdown(hook("after_shutdown"))
            .subscriber(ping);
        let app = TestApp::start(app).await?;
        assert_eq!(app.request("lifecycle.ping", "").await?.payload(), "pong");
        app.stop().await?;
        assert_eq!(
            log.entries(),
            [
                "on_startup 1",
                "on_startup 2",
                "after_startup",
                "handler",
                "on_shutdown",
                "after_shutdown"
            ]
        );
        Ok(())
    })
}

#[test]
fn failing_startup_hook_aborts_with_its_error() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let later = log.clone();
        let app = App::new(env.broker())
            .on_startup(async |_cx: Lifecycle| Ok::<_, Error>(()))
            .on_startup(async |_cx: Lifecycle| Err(Error::msg("bucket unavailable")))
            .after_startup(move |_cx: Lifecycle| {
                let later = later.clone();
                async move {
                    later.push("after_startup ran");
                    Ok::<_, Error>(())
                }
            });
        let Err(error) = TestApp::start(app).await else {
            panic!("startup must fail");
        };
        match &error {
            Error::Hook {
                stage,
                index,
                source,
                ..
            } => {
                assert_eq!((*stage, *index), (HookStage::OnStartup, 2));
                assert!(
                    source.to_string().contains("bucket unavailable"),
                    "{source}"
                );
            }
            other => panic!("expected a hook error, got {other:?}"),
        }
        assert!(log.entries().is_empty(), "later hooks must not run");
        Ok(())
    })
}

struct Greeting(String);

#[subscriber("greet.{name}")]
async fn greet(Path(name): Path<String>, Ctx(greeting): Ctx<Greeting>) -> String {
    format!("{} {name}", greeting.0)
}

#[test]
fn context_values_reach_handlers() -> Result<(), Error> {
    run(async |env: Env| {
        let app = App::new(env.broker())
            .on_startup(async |cx: Lifecycle| {
                cx.broker().connect().await?; // connecting early is allowed and idempotent
                cx.context().insert(Greeting("hello".into()));
                Ok::<_, Error>(())
            })
            .subscriber(greet);
        let app = TestApp::start(app).await?;
        assert_eq!(app.request("greet.ada", "").await?.payload(), "hello ada");
        // Replacing a value is seen by the next message, also while the old one lives on.
        let previous = app.context().insert(Greeting("hi".into()));
        assert_eq!(app.request("greet.bob", "").await?.payload(), "hi bob");
        drop(previous);
        app.stop().await
    })
}

#[subscriber("maybe_greet.{name}")]
async fn maybe_greet(Path(name): Path<String>, greeting: Option<Ctx<Greeting>>) -> String {
    match greeting {
        Some(Ctx(greeting)) => format!("{} {name}", greeting.0),
        None => format!("no greeting for {name}"),
    }
}

#[test]
fn context_changes_while_running_reach_handlers() -> Result<(), Error> {
    run(async |env: Env| {
        // Not required (`Option`), so not pinned: it can be removed while the app runs.
        let app = App::new(env.broker()).subscriber(maybe_greet);
        app.context().insert(Greeting("hello".into()));
        let app = TestApp::start(app).await?;
        let ask = async |name: &str| -> Result<String, Error> {
            let reply = app.request(&format!("maybe_greet.{name}"), "").await?;
            Ok(String::from_utf8_lossy(reply.payload()).into_owned())
        };
        assert_eq!(ask("ada").await?, "hello ada");
        // Still held here: a removed value that lives on is not used either.
        let removed = app.context().remove::<Greeting>()?;
        assert_eq!(ask("bob").await?, "no greeting for bob");
        drop(removed);
        app.context().insert(Greeting("hi".into()));
        assert_eq!(ask("cy").await?, "hi cy");
        app.context().insert(Greeting("hey".into()));
        assert_eq!(ask("di").await?, "hey di");
        app.stop().await
    })
}

#[test]
fn pinned_context_values_cannot_be_removed() -> Result<(), Error> {
    run(async |env: Env| {
        let app = App::new(env.broker()).subscriber(greet);
        app.context().insert(Greeting("hey".into()));
        app.context().insert(42u32);
        let app = TestApp::start(app).await?;
        assert!(matches!(
            app.context().remove::<Greeting>(),
            Err(Error::ContextInUse { .. })
        ));
        assert_eq!(app.context().remove::<u32>()?.as_deref(), Some(&42));
        let context = app.context().clone();
        app.stop().await?;
        assert!(
            context.remove::<Greeting>()?.is_some(),
            "unpinned after stop"
        );
        Ok(())
    })
}

#[test]
fn start_drain_and_stop_are_logged_at_info() -> Result<(), Error> {
    run(async |env: Env| {
        let recorder = SpanRecorder::new(Level::INFO);
        let events = recorder.clone();
        let app = App::new(env.broker()).subscriber(ping);
        app.context().insert(Log::default());
        on_one_thread(async move {
            let _default = tracing::subscriber::set_default(recorder);
            TestApp::start(app).await?.stop().await
        })
        .await?;
        let lines: Vec<String> = events
            .events()
            .into_iter()
            .filter(|(level, text)| *level == Level::INFO && text.starts_with("app "))
            .map(|(_, text)| text)
            .collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[0].starts_with("app started subscribers=1"),
            "{lines:?}"
        );
        assert!(lines[1].starts_with("app draining"), "{lines:?}");
        assert!(
            lines[2].starts_with("app stopped subscribers=1"),
            "{lines:?}"
        );
        Ok(())
    })
}
