//! The AsyncAPI document describes what the app serves, on either backend: a request
//! to a documented address, with a payload of the documented schema, gets the
//! documented reply; the servers are the broker's.

use faststream_kv::prelude::*;
use faststream_kv::testing::TestApp;
use schemars::JsonSchema;
use serde_json::{Value, json};

use super::run;
use crate::support::Env;

#[derive(Deserialize, Serialize, JsonSchema)]
struct Numbers {
    values: Vec<i64>,
}

#[derive(Deserialize, Serialize, JsonSchema)]
struct Total {
    op: String,
    total: i64,
}

/// Adds or multiplies numbers.
#[subscriber("math.{op}")]
async fn math(Json(numbers): Json<Numbers>, Path(op): Path<String>) -> Result<Json<Total>, Error> {
    let total = match op.as_str() {
        "sum" => numbers.values.iter().sum(),
        _ => numbers.values.iter().product(),
    };
    Ok(Json(Total { op, total }))
}

#[test]
fn the_documented_channel_serves_the_documented_messages() -> Result<(), Error> {
    run(async |env: Env| {
        let app = App::new(env.broker()).subscriber(math);
        let document = app.asyncapi();
        let doc = document.as_json();
        let servers: Vec<&str> = doc
            .get("servers")
            .and_then(Value::as_object)
            .map(|servers| {
                servers
                    .values()
                    .filter_map(|s| s["host"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        let expected: Vec<String> = app
            .broker()
            .servers()
            .iter()
            .map(|url| url.trim_start_matches("nats://").to_owned())
            .collect();
        assert_eq!(servers, expected);
        if let Env::Memory(_) = env {
            assert!(servers.is_empty());
        }

        let channel = &doc["channels"]["math"];
        let address = channel["address"].as_str().expect("an address");
        assert_eq!(address, "math.{op}");
        assert!(channel["parameters"]["op"].is_object());
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["Numbers"]["required"], json!(["values"]));
        assert_eq!(schemas["Total"]["required"], json!(["op", "total"]));

        let app = TestApp::start(app).await?;
        let total: Total = app
            .request_json(
                &address.replace("{op}", "sum"),
                &Numbers { values: vec![2, 3] },
            )
            .await?;
        assert_eq!((total.op.as_str(), total.total), ("sum", 5));
        app.stop().await
    })
}
