//! Bad input, handler errors and panics: an error reply, and the subscriber lives on.

use faststream_kv::prelude::*;
use faststream_kv::testing::TestApp;

use super::run;
use crate::support::{Env, Log, eventually};

#[derive(Deserialize)]
struct Order {
    qty: u32,
}

#[subscriber("orders.place")]
async fn place(Json(order): Json<Order>) -> Result<String, Error> {
    if order.qty == 0 {
        return Err(Error::msg("quantity must be positive"));
    }
    Ok(format!("placed {}", order.qty))
}

#[subscriber("fragile")]
async fn fragile(body: String) -> String {
    if body == "boom" {
        panic!("handler exploded on purpose");
    }
    format!("ok {body}")
}

#[test]
fn undecodable_payload_gets_an_error_reply() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(App::new(env.broker()).subscriber(place)).await?;
        match app.request("orders.place", "{not json").await {
            Err(Error::Service {
                code, description, ..
            }) => {
                assert_eq!(code, 400);
                assert!(
                    description.contains("Order"),
                    "names the target type: {description}"
                );
            }
            other => panic!("expected a 400 error reply, got {other:?}"),
        }
        // `Error::Service` is read from the `Nats-Service-Error-Code` header of the reply.
        let wrong_shape = app
            .broker()
            .request_with("orders.place", Reply::new("[]"), None)
            .await;
        assert!(matches!(wrong_shape, Err(Error::Service { code: 400, .. })));
        assert_eq!(
            app.request("orders.place", r#"{"qty":2}"#).await?.payload(),
            "placed 2"
        );
        app.stop().await
    })
}

#[test]
fn handler_error_gets_an_error_reply() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(App::new(env.broker()).subscriber(place)).await?;
        match app.request("orders.place", r#"{"qty":0}"#).await {
            Err(Error::Service {
                code: 500,
                description,
                ..
            }) => {
                assert!(
                    description.contains("quantity must be positive"),
                    "{description}"
                )
            }
            other => panic!("expected a 500 error reply, got {other:?}"),
        }
        app.stop().await
    })
}

#[test]
fn panic_is_isolated_and_subscriber_keeps_running() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(App::new(env.broker()).subscriber(fragile)).await?;
        match app.request("fragile", "boom").await {
            Err(Error::Service {
                code: 500,
                description,
                ..
            }) => {
                assert!(
                    description.contains("handler exploded on purpose"),
                    "{description}"
                )
            }
            other => panic!("expected a 500 error reply, got {other:?}"),
        }
        for n in 0..3 {
            let reply = app.request("fragile", n.to_string()).await?;
            assert_eq!(reply.payload(), format!("ok {n}").as_str());
        }
        app.stop().await
    })
}

#[subscriber("events.{kind}")]
async fn record(Path(kind): Path<String>, Ctx(log): Ctx<Log>, Json(n): Json<u32>) {
    if kind == "panic" {
        panic!("no reply subject, still isolated");
    }
    log.push(format!("{kind}:{n}"));
}

#[test]
fn failures_without_reply_subject_lose_nothing_else() -> Result<(), Error> {
    run(async |env: Env| {
        let log = Log::default();
        let app = App::new(env.broker()).subscriber(record);
        app.context().insert(log.clone());
        let app = TestApp::start(app).await?;
        app.publish_json("events.ok", &1).await?;
        app.publish("events.ok", "not json").await?;
        app.publish_json("events.panic", &2).await?;
        app.publish_json("events.ok", &3).await?;
        eventually("both good events", || log.len() == 2).await;
        assert_eq!(log.entries(), ["ok:1", "ok:3"]);
        app.stop().await
    })
}

#[subscriber("orders.find.{id}")]
async fn find(Path(id): Path<u64>) -> Result<String, Error> {
    match id {
        1 => Ok("order 1".to_owned()),
        _ => Err(Error::status(404, format!("no order {id}"))),
    }
}

#[test]
fn a_handler_answers_with_a_status_of_its_choice() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(App::new(env.broker()).subscriber(find)).await?;
        assert_eq!(app.request("orders.find.1", "").await?.payload(), "order 1");
        match app.request("orders.find.7", "").await {
            Err(Error::Service {
                code: 404,
                description,
                ..
            }) => assert_eq!(description, "no order 7"),
            other => panic!("expected a 404 error reply, got {other:?}"),
        }
        app.stop().await
    })
}
