//! The seed scenario: a startup hook declares a Key-Value bucket and puts it in the
//! context; the handler reads a key through `Ctx<KeyValue>` for every request. Runs as
//! in production (`App::run`); once it runs, a demo writes the key, asks for a greeting
//! and stops the app.
//!
//! ```sh
//! cargo run --example kv_config                                  # embedded broker
//! NATS_URL=nats://127.0.0.1:4222 cargo run --example kv_config   # a real server (with -js)
//! ```

use faststream_kv::prelude::*;
use schemars::JsonSchema;

#[derive(Serialize, Deserialize, JsonSchema, Debug)]
pub(crate) struct Greeting {
    pub(crate) template: String,
}

#[subscriber("greet.{name}")]
async fn greet(Path(name): Path<String>, Ctx(config): Ctx<KeyValue>) -> Result<String, Error> {
    let greeting: Greeting = config
        .get_json("greeting")
        .await?
        .ok_or_else(|| Error::status(404, "no `greeting` configured"))?;
    Ok(greeting.template.replace("{name}", &name))
}

/// The service: the bucket declared and put into the context at startup, one subscriber.
pub(crate) fn app(broker: Broker) -> App {
    App::new(broker)
        .on_startup(async |cx: Lifecycle| {
            // Runs before any subscriber consumes; `declare` connects and creates the
            // bucket if it is missing.
            let config = cx
                .broker()
                .key_value("config")
                .declare(kv::Config {
                    history: 5,
                    ..kv::Config::default()
                })
                .await?;
            cx.context().insert(config);
            Ok::<_, Error>(())
        })
        .subscriber(greet)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let broker = Broker::from_env();
    eprintln!("backend: {}", broker.backend());
    app(broker).after_startup(demo).run().await
}

/// Writes the greeting, asks the running service for one, and stops the app.
async fn demo(cx: Lifecycle) -> Result<(), Error> {
    let config = cx.context().get::<KeyValue>()?;
    let greeting = Greeting {
        template: "hello, {name}!".into(),
    };
    let revision = config.put_json("greeting", &greeting).await?;
    println!("wrote `greeting` at revision {revision}");
    let reply = cx.broker().request("greet.world", "").await?;
    println!("{}", String::from_utf8_lossy(reply.payload()));
    cx.shutdown_handle().shutdown();
    Ok(())
}
