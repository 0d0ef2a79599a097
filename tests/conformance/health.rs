//! `RunningApp::health`: the connection, each subscriber still consuming, each
//! Key-Value watch past its initial data — what a Kubernetes probe reads.

use faststream_kv::kv::Config as KvConfig;
use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;
use faststream_kv::testing::TestApp;

use super::run;
use crate::support::{Env, eventually};

async fn echo(body: String) -> String {
    body
}

async fn flag(_entry: Entry) {}

fn app(env: &Env) -> App {
    App::new(env.broker())
        .on_startup(async |cx: Lifecycle| {
            let flags = cx
                .broker()
                .key_value("flags")
                .declare(KvConfig::default())
                .await?;
            flags.put("dark", "on").await?;
            Ok::<_, Error>(())
        })
        .subscriber(Subscriber::new("echo", echo))
        .subscriber(Subscriber::kv_watch("flags", ">", flag))
}

#[test]
fn a_started_app_is_ready() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(app(&env)).await?;
        app.running().initial_data_loaded().await?;
        let health = app.running().health();
        assert!(health.connected);
        let names: Vec<(&str, bool)> = health
            .subscribers
            .iter()
            .map(|subscriber| (subscriber.name.as_str(), subscriber.consuming))
            .collect();
        assert_eq!(names, [("echo", true), ("flag", true)]);
        assert_eq!(health.kv_watchers.len(), 1);
        assert!(health.is_alive() && health.is_ready(), "{health:?}");
        app.stop().await
    })
}

#[test]
fn a_subscriber_whose_watch_ended_is_not_alive() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(app(&env)).await?;
        app.running().initial_data_loaded().await?;
        app.broker().delete_key_value("flags").await?;
        eventually("the watch's subscriber ended", || {
            !app.running().health().is_alive()
        })
        .await;
        let health = app.running().health();
        assert!(!health.is_ready());
        assert!(
            health.subscribers[0].consuming,
            "the subject subscriber runs on"
        );
        assert!(!health.subscribers[1].consuming);
        let _ = app.stop().await;
        Ok(())
    })
}

#[test]
fn a_closed_connection_is_not_ready() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(app(&env)).await?;
        app.running().initial_data_loaded().await?;
        app.broker().close().await?;
        let health = app.running().health();
        assert!(!health.connected);
        assert!(!health.is_ready());
        let _ = app.stop().await;
        Ok(())
    })
}
