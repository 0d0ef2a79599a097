//! tower layers around handlers: app-wide and per subscriber.

use std::time::Duration;

use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;
use faststream_kv::testing::TestApp;
use tower::timeout::TimeoutLayer;

use super::run;
use crate::support::Env;

async fn sleepy(body: String) -> String {
    if body == "slow" {
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
    body
}

async fn tagged(message: Message) -> String {
    message.header("x-layer").unwrap_or("none").to_owned()
}

#[test]
fn app_and_subscriber_layers_wrap_handlers() -> Result<(), Error> {
    run(async |env: Env| {
        let app = App::new(env.broker())
            .subscriber(
                Subscriber::new("sleepy", sleepy)
                    .layer(TimeoutLayer::new(Duration::from_millis(100))),
            )
            .subscriber(Subscriber::new("tagged", tagged))
            .layer(tower::util::MapRequestLayer::new(|message: Message| {
                let mut headers = message.headers().cloned().unwrap_or_default();
                headers.insert("x-layer", "app");
                let mut tagged =
                    Message::new(message.subject().to_owned(), message.payload().clone())
                        .with_headers(headers);
                if let Some(reply) = message.reply() {
                    tagged = tagged.with_reply(reply.to_owned());
                }
                tagged
            }));
        let app = TestApp::start(app).await?;
        assert_eq!(app.request("sleepy", "fast").await?.payload(), "fast");
        match app.request("sleepy", "slow").await {
            Err(Error::Service { code: 408, .. }) => {}
            other => panic!("expected a 408 timeout reply, got {other:?}"),
        }
        assert_eq!(app.request("tagged", "").await?.payload(), "app");
        app.stop().await
    })
}
