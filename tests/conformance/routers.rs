//! Routers: a prefix in front of their subscribers' patterns (stream subscribers and
//! their streams' subjects too), captures in a prefix, nesting, layers around their own
//! subscribers only, publishers made under a prefix; `kv_watch` keys keep theirs.

use faststream_kv::kv::Config as KvConfig;
use faststream_kv::prelude::*;
use faststream_kv::publisher::Publisher;
use faststream_kv::router::Router;
use faststream_kv::subscriber::Subscriber;
use faststream_kv::testing::TestApp;
use futures::StreamExt;
use tower::util::MapResponseLayer;

use super::run;
use crate::support::{Env, Log, eventually};

async fn created(Path(region): Path<String>, body: String) -> String {
    format!("{region} {body}")
}

async fn ping() -> &'static str {
    "pong"
}

/// Tags replies with `x-router: <name>` (the outer layer's value wins).
fn tag(name: &'static str) -> MapResponseLayer<impl Fn(Reply) -> Reply + Clone> {
    MapResponseLayer::new(move |reply: Reply| reply.header("x-router", name))
}

fn tagged(reply: &Message) -> Option<&str> {
    reply.header("x-router")
}

#[test]
fn a_prefix_goes_in_front_of_nested_subscribers_patterns() -> Result<(), Error> {
    run(async |env: Env| {
        let orders = Router::new()
            .prefix("orders.")
            .subscriber(Subscriber::new("{region}.created", created));
        let shop = Router::new()
            .prefix("shop.")
            .include(orders)
            .subscriber(Subscriber::new("ping", ping));
        let app = TestApp::start(App::new(env.broker()).include(shop)).await?;
        let reply = app.request("shop.orders.eu.created", "42").await?;
        assert_eq!(reply.payload(), "eu 42");
        assert_eq!(app.request("shop.ping", "").await?.payload(), "pong");
        let unprefixed = app.request("orders.eu.created", "42").await;
        assert!(
            matches!(unprefixed, Err(Error::NoResponders { .. })),
            "{unprefixed:?}"
        );
        app.stop().await
    })
}

async fn tenant_order(Path((tenant, id)): Path<(String, u64)>) -> String {
    format!("{tenant}/{id}")
}

#[test]
fn captures_in_a_prefix_reach_the_handler() -> Result<(), Error> {
    run(async |env: Env| {
        let tenants = Router::new()
            .prefix("tenant.{tenant}.")
            .subscriber(Subscriber::new("order.{id}", tenant_order));
        let app = TestApp::start(App::new(env.broker()).include(tenants)).await?;
        let reply = app.request("tenant.acme.order.7", "").await?;
        assert_eq!(reply.payload(), "acme/7");
        app.stop().await
    })
}

#[test]
fn router_layers_wrap_their_own_subscribers_only() -> Result<(), Error> {
    run(async |env: Env| {
        let inner = Router::new()
            .prefix("inner.")
            .subscriber(Subscriber::new("ping", ping))
            .layer(tag("inner"));
        let outer = Router::new()
            .prefix("outer.")
            .subscriber(Subscriber::new("ping", ping))
            .include(inner)
            .layer(tag("outer"));
        let app = App::new(env.broker())
            .include(outer)
            .subscriber(Subscriber::new("ping", ping));
        let app = TestApp::start(app).await?;
        assert_eq!(tagged(&app.request("ping", "").await?), None);
        assert_eq!(tagged(&app.request("outer.ping", "").await?), Some("outer"));
        // The inner router's layer is inside the outer one's, which tags last.
        let nested = app.request("outer.inner.ping", "").await?;
        let tags: Vec<&str> = nested
            .headers()
            .into_iter()
            .flat_map(|headers| headers.get_all("x-router"))
            .map(|value| value.as_str())
            .collect();
        assert_eq!(
            tags,
            ["outer"],
            "the outer layer replaced the inner one's tag"
        );
        app.stop().await
    })
}

async fn logged(Path(region): Path<String>, body: String, Ctx(log): Ctx<Log>) {
    log.push(format!("{region} {body}"));
}

#[test]
fn stream_subscribers_and_their_streams_get_the_prefix() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let orders = Router::new()
            .prefix("orders.")
            .subscriber(Subscriber::stream("ORDERS", "{region}.created", logged).durable("log"));
        let app = App::new(env.broker()).include(orders);
        app.context().insert(log.clone());
        let app = TestApp::start(app).await?;
        let info = app.broker().stream("ORDERS").await?.info().await?;
        assert_eq!(info.config.subjects, ["orders.*.created"]);
        app.broker()
            .stream_publish("orders.eu.created", "1")
            .await?;
        eventually("handled", || log.entries() == ["eu 1"]).await;
        app.stop().await
    })
}

#[test]
fn publishers_keep_their_subjects_unless_made_under_the_prefix() -> Result<(), Error> {
    run(async |env: Env| {
        let orders = Router::new().prefix("orders.");
        let under = orders.publisher(Publisher::subject("seen"));
        assert_eq!(under.destination(), "orders.seen");
        let orders = orders.subscriber(
            Subscriber::new("{region}.created", created)
                .publisher(under)
                .publisher(Publisher::subject("audit")),
        );
        let app = TestApp::start(App::new(env.broker()).include(orders)).await?;
        let mut seen = app.broker().subscribe("orders.seen").await?;
        let mut audit = app.broker().subscribe("audit").await?;
        app.broker().flush().await?;
        app.publish("orders.us.created", "9").await?;
        for subscription in [&mut seen, &mut audit] {
            let message =
                tokio::time::timeout(std::time::Duration::from_secs(5), subscription.next())
                    .await
                    .expect("published within 5 s")
                    .expect("open");
            assert_eq!(message.payload(), "us 9");
        }
        app.stop().await
    })
}

async fn flag(entry: Entry, Ctx(log): Ctx<Log>) {
    log.push(entry.key().to_owned());
}

#[test]
fn kv_watch_keys_keep_their_pattern() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let flags = Router::new()
            .prefix("flags.")
            .subscriber(Subscriber::kv_watch("config", "feature.*", flag));
        let app = App::new(env.broker())
            .on_startup(async |cx: Lifecycle| {
                cx.broker()
                    .key_value("config")
                    .declare(KvConfig::default())
                    .await?;
                Ok::<_, Error>(())
            })
            .include(flags);
        app.context().insert(log.clone());
        let app = TestApp::start(app).await?;
        let kv = app.broker().key_value("config").await?;
        kv.put("feature.dark", "on").await?;
        eventually("watched", || log.entries() == ["feature.dark"]).await;
        app.stop().await
    })
}
