//! Every built-in extractor on both backends.

use faststream_kv::prelude::*;
use faststream_kv::testing::TestApp;
use faststream_kv::{CONTENT_TYPE, CORRELATION_ID};

use super::run;
use crate::support::Env;

#[subscriber("item.{id}")]
async fn single(Path(id): Path<u64>) -> String {
    format!("id={id}")
}

#[subscriber("orders.{region}.{id}")]
async fn tuple(Path((region, id)): Path<(String, u32)>) -> String {
    format!("{region}/{id}")
}

#[derive(Deserialize)]
struct OrderKey {
    id: u32,
    region: String,
}

#[subscriber("keyed.{region}.{id}")]
async fn by_name(Path(key): Path<OrderKey>) -> String {
    format!("{}#{}", key.region, key.id)
}

#[subscriber("logs.{service}.{rest...}")]
async fn tail(Path((service, rest)): Path<(String, String)>) -> String {
    format!("{service}:{rest}")
}

#[test]
fn path_captures_single_tuple_struct_and_tail() -> Result<(), Error> {
    run(async |env: Env| {
        let app = App::new(env.broker())
            .subscriber(single)
            .subscriber(tuple)
            .subscriber(by_name)
            .subscriber(tail);
        let app = TestApp::start(app).await?;
        assert_eq!(app.request("item.42", "").await?.payload(), "id=42");
        assert_eq!(app.request("orders.eu.7", "").await?.payload(), "eu/7");
        assert_eq!(app.request("keyed.us.9", "").await?.payload(), "us#9");
        assert_eq!(
            app.request("logs.api.http.500", "").await?.payload(),
            "api:http.500"
        );
        // A capture that does not parse is bad input: 400, and the subscriber lives on.
        match app.request("item.abc", "").await {
            Err(Error::Service {
                code: 400,
                description,
                ..
            }) => {
                assert!(description.contains("item.abc"), "{description}")
            }
            other => panic!("expected a 400 error reply, got {other:?}"),
        }
        assert_eq!(app.request("item.1", "").await?.payload(), "id=1");
        app.stop().await
    })
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Seen {
    json_qty: u32,
    text: Option<String>,
    bytes: usize,
    header: Option<String>,
    subject: String,
    raw_subject: String,
}

#[derive(Deserialize)]
struct Qty {
    qty: u32,
}

#[subscriber("inspect.json")]
async fn inspect(
    Json(body): Json<Qty>,
    text: String,
    bytes: Bytes,
    headers: Headers,
    subject: Subject,
    message: Message,
) -> Json<Seen> {
    Json(Seen {
        json_qty: body.qty,
        text: Some(text),
        bytes: bytes.len(),
        header: headers.get(CONTENT_TYPE).map(str::to_owned),
        subject: subject.to_string(),
        raw_subject: message.subject().to_owned(),
    })
}

#[test]
fn json_string_bytes_headers_subject_message() -> Result<(), Error> {
    run(async |env: Env| {
        let app = TestApp::start(App::new(env.broker()).subscriber(inspect)).await?;
        let seen: Seen = app
            .request_json("inspect.json", &serde_json::json!({"qty": 3}))
            .await?;
        assert_eq!(
            seen,
            Seen {
                json_qty: 3,
                text: Some(r#"{"qty":3}"#.into()),
                bytes: 9,
                header: Some("application/json".into()),
                subject: "inspect.json".into(),
                raw_subject: "inspect.json".into(),
            }
        );
        app.stop().await
    })
}

struct Tenant(String);

#[subscriber("optional.*")]
async fn optional(
    tenant: Option<Ctx<Tenant>>,
    json: Result<Json<Qty>, faststream_kv::extract::JsonRejection>,
    headers: Headers,
) -> String {
    let tenant = tenant.map_or_else(|| "none".to_owned(), |Ctx(tenant)| tenant.0.clone());
    let qty = json.map_or_else(
        |rejection| format!("rejected: {rejection}"),
        |Json(q)| q.qty.to_string(),
    );
    let correlation = headers.get(CORRELATION_ID).is_some();
    format!("{tenant} {qty} {correlation}")
}

#[test]
fn optional_extractors_and_local_context() -> Result<(), Error> {
    run(async |env: Env| {
        // `Option<Ctx<Tenant>>` does not require a Tenant: the app starts without one.
        let app = TestApp::start(App::new(env.broker()).subscriber(optional)).await?;
        let reply = app.request("optional.x", "not json").await?;
        let text = std::str::from_utf8(reply.payload()).map_err(Error::msg)?;
        assert!(
            text.starts_with("none rejected: could not decode"),
            "{text}"
        );
        assert!(
            text.ends_with("true"),
            "requests carry a correlation_id: {text}"
        );
        app.context().insert(Tenant("acme".into()));
        let reply = app.request("optional.x", r#"{"qty": 5}"#).await?;
        assert_eq!(reply.payload(), "acme 5 true");
        app.stop().await?;

        // A value a layer attaches to the message wins over the global one (a new app on a
        // new broker: `stop` closed the first).
        let app =
            App::new(env.broker())
                .subscriber(optional)
                .layer(tower::util::MapRequestLayer::new(|mut message: Message| {
                    message.extensions_mut().insert(Tenant("local".into()));
                    message
                }));
        app.context().insert(Tenant("global".into()));
        let app = TestApp::start(app).await?;
        assert_eq!(
            app.request("optional.y", r#"{"qty": 1}"#).await?.payload(),
            "local 1 true"
        );
        assert_eq!(app.context().get::<Tenant>()?.0, "global");
        app.stop().await
    })
}
