//! Connections: each broker from `Env::broker` (or `Broker::new_connection`) has its
//! own, as on a NATS server; closing one ends what it opened and nothing else.

use faststream_kv::ConnectionEvent;
use faststream_kv::prelude::*;
use faststream_kv::testing::TestApp;
use futures::StreamExt;

use super::run;
use crate::support::Env;

#[test]
fn closing_one_connection_leaves_the_others_running() -> Result<(), Error> {
    run(async |env: Env| {
        let (first, second) = (env.broker(), env.broker());
        first.connect().await?;
        second.connect().await?;
        let mut on_first = first.subscribe("news").await?;
        let mut on_second = second.subscribe("news").await?;
        let bucket = first
            .key_value("shared")
            .declare(kv::Config::default())
            .await?;
        let mut first_watch = bucket.watch_all().updates_only().await?;
        let mut second_watch = second
            .key_value("shared")
            .await?
            .watch_all()
            .updates_only()
            .await?;
        for watch in [&mut first_watch, &mut second_watch] {
            assert_eq!(
                watch.next().await.transpose()?,
                Some(WatchEvent::EndOfInitialData)
            );
        }
        first.publish("news", "before").await?;
        second.flush().await?;
        first.close().await?;

        // The closed connection's subscription yields what it received, then ends; its
        // watch ends; it can no longer publish.
        assert_eq!(
            on_first.next().await.map(|m| m.payload().clone()),
            Some("before".into())
        );
        assert!(on_first.next().await.is_none());
        assert!(matches!(
            first.publish("news", "late").await,
            Err(Error::Closed)
        ));
        let mut ended = Vec::new();
        while let Some(event) = first_watch.next().await {
            ended.push(event);
        }
        assert!(
            matches!(ended.last(), Some(Err(Error::WatchEnded { .. }))),
            "{ended:?}"
        );

        // The other connection goes on: its subscription, its publishes, its watch.
        second.publish("news", "after").await?;
        let received: Vec<Bytes> = on_second
            .by_ref()
            .take(2)
            .map(|m| m.payload().clone())
            .collect()
            .await;
        assert_eq!(received, ["before", "after"]);
        let second_bucket = second.key_value("shared").await?;
        let revision = second_bucket.put("k", "v").await?;
        match second_watch.next().await.transpose()? {
            Some(WatchEvent::Entry(entry)) => assert_eq!(entry.revision(), revision),
            other => panic!("expected the put, got {other:?}"),
        }
        second.close().await
    })
}

#[subscriber("greet.{name}")]
async fn greet(Path(name): Path<String>) -> String {
    format!("hello, {name}")
}

#[test]
fn an_app_stopping_does_not_close_another_apps_connection() -> Result<(), Error> {
    run(async |env: Env| {
        let first = TestApp::start(App::new(env.broker()).subscriber(greet)).await?;
        let second = TestApp::start(App::new(env.broker()).subscriber(greet)).await?;
        first.stop().await?;
        assert_eq!(
            second.request("greet.ann", "").await?.payload(),
            "hello, ann"
        );
        second.stop().await
    })
}

#[test]
fn events_report_the_connection_opening_and_closing() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        let mut events = broker.events();
        broker.connect().await?;
        assert_eq!(events.next().await, Some(ConnectionEvent::Connected));
        broker.close().await?;
        assert_eq!(events.next().await, Some(ConnectionEvent::Closed));
        Ok(())
    })
}
