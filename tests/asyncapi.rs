//! The AsyncAPI document: one app's checked in detail (channels, parameters, payload
//! schemas, replies, publishers, servers), and every example's, printed by the example
//! itself when run with `--asyncapi` or `FASTSTREAM_ASYNCAPI`, validated against the
//! official AsyncAPI 3.0 JSON schema (vendored in `tests/asyncapi/`).

use std::path::{Path as FsPath, PathBuf};
use std::process::Command;

use faststream_kv::asyncapi::Info;
use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;
use schemars::JsonSchema;
use serde_json::{Value, json};

#[derive(Deserialize, Serialize, JsonSchema)]
struct Order {
    id: u64,
    lines: Vec<Line>,
    note: Option<String>,
}

#[derive(Deserialize, Serialize, JsonSchema)]
struct Line {
    sku: String,
    qty: u32,
}

#[derive(Deserialize, Serialize, JsonSchema)]
struct Receipt {
    id: u64,
    total: u32,
}

#[derive(Deserialize, Serialize, JsonSchema)]
struct Flag {
    enabled: bool,
}

/// Bills an order.
///
/// Publishes the receipt.
#[subscriber("orders.{region}.created", queue = "billing")]
#[publisher("orders.billed")]
#[publisher("billing.archive", expected_stream = "BILLING")]
#[publisher("invoices.{region}")]
async fn bill(Json(order): Json<Order>, Path(_region): Path<String>) -> Json<Receipt> {
    let total = order.lines.iter().map(|line| line.qty).sum();
    Json(Receipt {
        id: order.id,
        total,
    })
}

#[subscriber("audit.{rest...}")]
async fn audit(_body: Bytes, Path(_rest): Path<String>) {}

#[subscriber(kv_watch = "config", keys = "feature.{name}")]
async fn on_flag(Json(_flag): Json<Flag>, Path(_name): Path<String>) {}

#[subscriber("payments.{id}", stream = "PAYMENTS", durable = "charger")]
async fn charge(Json(_order): Json<Order>, Path(_id): Path<u64>) -> Result<(), Error> {
    Ok(())
}

async fn ping(body: String) -> String {
    body
}

fn detailed_app() -> App {
    let admin = Router::new().prefix("admin.").subscriber(
        Subscriber::new("ping", ping)
            .document_payload::<String>()
            .document_reply::<String>(),
    );
    App::new(Broker::nats(
        "nats://alice:secret@localhost:4222,tls://backup.example.com:4443",
    ))
    .asyncapi_info(Info::new("billing", "1.2.3").description("Bills orders."))
    .subscriber(bill)
    .subscriber(audit)
    .subscriber(on_flag)
    .subscriber(charge)
    .include(admin)
}

#[test]
fn documents_channels_parameters_and_payloads() {
    let document = detailed_app().asyncapi();
    let doc = document.as_json();
    assert_valid(doc);

    assert_eq!(doc["asyncapi"], "3.0.0");
    assert_eq!(
        doc["info"],
        json!({ "title": "billing", "version": "1.2.3", "description": "Bills orders." })
    );
    assert_eq!(
        doc["servers"],
        json!({
            "nats-1": { "host": "localhost:4222", "protocol": "nats" },
            "nats-2": { "host": "backup.example.com:4443", "protocol": "nats", "description": "TLS" },
        })
    );
    assert!(!document.to_json().contains("secret"), "credentials leaked");

    // A subscriber on subjects: address, parameter, payload, queue group, reply.
    let channel = &doc["channels"]["bill"];
    assert_eq!(channel["address"], "orders.{region}.created");
    assert_eq!(
        channel["parameters"],
        json!({ "region": { "description": "One token of the subject." } })
    );
    let message = &channel["messages"]["message"];
    assert_eq!(message["name"], "Order");
    assert_eq!(message["contentType"], "application/json");
    assert_eq!(
        message["payload"],
        json!({ "$ref": "#/components/schemas/Order" })
    );
    let operation = &doc["operations"]["bill"];
    assert_eq!(operation["action"], "receive");
    assert_eq!(operation["channel"], json!({ "$ref": "#/channels/bill" }));
    assert_eq!(
        operation["description"],
        "Bills an order.\n\nPublishes the receipt."
    );
    assert_eq!(operation["bindings"]["nats"]["queue"], "billing");
    let reply = resolve(doc, &operation["reply"]["messages"][0]);
    assert_eq!(
        reply["payload"],
        json!({ "$ref": "#/components/schemas/Receipt" })
    );
    assert_eq!(
        resolve(doc, &operation["reply"]["channel"])["address"],
        Value::Null
    );

    // Its publishers: one channel per subject, a `send` operation each.
    let billed = &doc["operations"]["bill.publish.orders.billed"];
    assert_eq!(billed["action"], "send");
    assert_eq!(resolve(doc, &billed["channel"])["address"], "orders.billed");
    let sent = resolve(doc, &billed["messages"][0]);
    assert_eq!(
        sent["payload"],
        json!({ "$ref": "#/components/schemas/Receipt" })
    );
    let archive = resolve(
        doc,
        &doc["operations"]["bill.publish.billing.archive"]["channel"],
    );
    assert_eq!(archive["address"], "billing.archive");
    assert_eq!(archive["x-nats-stream"], "BILLING");
    assert_eq!(archive["x-nats-jetstream"], true);
    let by_region = resolve(
        doc,
        &doc["operations"]["bill.publish.invoices._region_"]["channel"],
    );
    assert_eq!(by_region["address"], "invoices.{region}");
    assert_eq!(
        by_region["parameters"]["region"]["description"],
        "What `{region}` matched in the handled message's subject."
    );

    // The schemas, nested types included.
    let schemas = &doc["components"]["schemas"];
    let order = &schemas["Order"];
    assert_eq!(order["type"], "object");
    assert_eq!(order["required"], json!(["id", "lines"]));
    assert_eq!(
        order["properties"]["lines"]["items"],
        json!({ "$ref": "#/components/schemas/Line" })
    );
    assert_eq!(schemas["Line"]["properties"]["qty"]["type"], "integer");
    assert_eq!(schemas["Receipt"]["required"], json!(["id", "total"]));

    // A tail capture, a binary body, no reply for a handler returning nothing.
    let audited = &doc["channels"]["audit"];
    assert_eq!(audited["address"], "audit.{rest}");
    assert_eq!(
        audited["parameters"]["rest"]["description"],
        "The rest of the subject: one or more tokens."
    );
    assert_eq!(
        audited["messages"]["message"]["contentType"],
        "application/octet-stream"
    );
    assert!(doc["operations"]["audit"].get("reply").is_none());

    // A Key-Value watch: the bucket's subject, the key's captures, the value's schema.
    let flags = &doc["channels"]["on_flag"];
    assert_eq!(flags["address"], "$KV.config.feature.{name}");
    assert_eq!(flags["x-nats-kv-bucket"], "config");
    assert_eq!(
        flags["parameters"]["name"]["description"],
        "One token of the key."
    );
    assert_eq!(
        flags["messages"]["message"]["payload"],
        json!({ "$ref": "#/components/schemas/Flag" })
    );

    // A stream subscriber: its stream and durable consumer; a stream message has no reply.
    assert_eq!(doc["channels"]["charge"]["address"], "payments.{id}");
    assert_eq!(doc["channels"]["charge"]["x-nats-stream"], "PAYMENTS");
    assert_eq!(doc["operations"]["charge"]["x-nats-durable"], "charger");
    assert!(doc["operations"]["charge"].get("reply").is_none());

    // A router's subscriber, built without the macro: prefixed, text in and out.
    let admin_ping = &doc["channels"]["ping"];
    assert_eq!(admin_ping["address"], "admin.ping");
    assert_eq!(
        admin_ping["messages"]["message"]["contentType"],
        "text/plain"
    );
    let pong = resolve(doc, &doc["operations"]["ping"]["reply"]["messages"][0]);
    assert_eq!(pong["payload"], json!({ "type": "string" }));

    // The YAML is the same document.
    let yaml: Value = serde_yaml_ng::from_str(&document.to_yaml()).expect("the YAML parses");
    assert_eq!(&yaml, doc);
}

#[test]
fn an_app_without_servers_or_payload_types_is_valid() {
    async fn anything(_message: Message) {}
    let app = App::new(Broker::memory()).subscriber(Subscriber::new("a.>", anything));
    let document = app.asyncapi();
    assert_valid(document.as_json());
    assert!(document.as_json().get("servers").is_none());
    assert_eq!(document.as_json()["channels"]["anything"]["address"], "a.>");
}

#[test]
fn every_example_prints_a_valid_document() {
    let examples = example_names();
    assert!(examples.len() >= 7, "examples found: {examples:?}");
    for (index, name) in examples.iter().enumerate() {
        // Half through the argument, half through the environment, both formats.
        let mut command = Command::new(example_binary(name));
        let yaml = index % 2 == 1;
        if yaml {
            command.env("FASTSTREAM_ASYNCAPI", "yaml");
        } else {
            command.arg("--asyncapi");
        }
        let output = command
            .env_remove("NATS_URL")
            .output()
            .unwrap_or_else(|error| panic!("running example {name}: {error}"));
        assert!(
            output.status.success(),
            "example {name} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8_lossy(&output.stdout);
        let document: Value = if yaml {
            serde_yaml_ng::from_str(&text)
                .unwrap_or_else(|error| panic!("example {name}: not YAML ({error}):\n{text}"))
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|error| panic!("example {name}: not JSON ({error}):\n{text}"))
        };
        assert_valid(&document);
        let channels = document["channels"].as_object().map_or(0, |map| map.len());
        assert!(channels > 0, "example {name} documents no channel");
    }
}

#[test]
fn a_format_that_does_not_exist_is_an_error() {
    let output = Command::new(example_binary("quickstart"))
        .arg("--asyncapi=xml")
        .output()
        .expect("running the quickstart");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("AsyncApiFormat") && stderr.contains("xml"),
        "{stderr}"
    );
}

/// Fails with every schema violation and every `$ref` that points nowhere.
fn assert_valid(document: &Value) {
    let schema: Value = serde_json::from_str(include_str!("asyncapi/asyncapi-3.0.0.schema.json"))
        .expect("the vendored schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let mut problems: Vec<String> = validator
        .iter_errors(document)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    collect_dangling_refs(document, document, &mut problems);
    assert!(
        problems.is_empty(),
        "invalid AsyncAPI document:\n{}\n{document:#}",
        problems.join("\n")
    );
}

fn collect_dangling_refs(root: &Value, value: &Value, problems: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref")
                && root.pointer(target.trim_start_matches('#')).is_none()
            {
                problems.push(format!("$ref {target} points nowhere"));
            }
            for child in map.values() {
                collect_dangling_refs(root, child, problems);
            }
        }
        Value::Array(items) => {
            for child in items {
                collect_dangling_refs(root, child, problems);
            }
        }
        _ => {}
    }
}

/// What a `{"$ref": "#/..."}` points to.
fn resolve<'a>(root: &'a Value, reference: &Value) -> &'a Value {
    let target = reference["$ref"].as_str().expect("a reference");
    root.pointer(target.trim_start_matches('#'))
        .unwrap_or_else(|| panic!("{target} points nowhere"))
}

/// The examples: each `examples/*.rs` is one (see `examples/Cargo.toml`).
fn example_names() -> Vec<String> {
    let directory = FsPath::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut names: Vec<String> = std::fs::read_dir(&directory)
        .expect("reading examples/")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    names
}

/// An example's binary, which `cargo test` builds beside the test binaries.
fn example_binary(name: &str) -> PathBuf {
    let test_binary = std::env::current_exe().expect("the test's path");
    let profile = test_binary
        .parent()
        .and_then(FsPath::parent)
        .expect("the test binary is in <target>/<profile>/deps");
    let binary = profile.join("examples").join(name);
    assert!(
        binary.exists(),
        "{} is missing: `cargo test --workspace` builds the examples (or run `cargo build --examples`)",
        binary.display()
    );
    binary
}
