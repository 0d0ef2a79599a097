//! The seed scenario: a startup hook declares a Key-Value bucket and puts it in the
//! context; `after_startup` writes a key and publishes a message; the handler reads the
//! key through `Ctx<KeyValue>` and stops the app.
//!
//! ```sh
//! cargo run --example kv_config                                  # embedded broker
//! NATS_URL=nats://127.0.0.1:4222 cargo run --example kv_config   # a real server (with -js)
//! ```

use faststream_kv::ShutdownHandle;
use faststream_kv::prelude::*;

#[derive(Serialize, Deserialize, Debug)]
struct Greeting {
    template: String,
}

#[subscriber("greet.{name}")]
async fn greet(
    Path(name): Path<String>,
    Ctx(config): Ctx<KeyValue>,
    Ctx(shutdown): Ctx<ShutdownHandle>,
) -> Result<(), Error> {
    let greeting: Greeting = config
        .get_json("greeting")
        .await?
        .ok_or_else(|| Error::msg("no `greeting` configured"))?;
    println!("{}", greeting.template.replace("{name}", &name));
    shutdown.shutdown();
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let broker = Broker::from_env();
    println!("backend: {}", broker.backend());
    App::new(broker)
        .on_startup(async |cx: AppContext| {
            // Runs before any subscriber consumes; `declare` connects and creates the
            // bucket if it is missing.
            let config = cx
                .broker()
                .key_value("config")
                .declare(KvConfig {
                    history: 5,
                    ..KvConfig::default()
                })
                .await?;
            cx.context().insert(config);
            cx.context().insert(cx.shutdown_handle().clone());
            Ok::<_, Error>(())
        })
        .after_startup(async |cx: AppContext| {
            let config = cx.context().get::<KeyValue>()?;
            let greeting = Greeting {
                template: "hello, {name}!".into(),
            };
            let revision = config.put_json("greeting", &greeting).await?;
            println!("wrote `greeting` at revision {revision}");
            cx.broker().publish("greet.world", "").await
        })
        .subscriber(greet)
        .run()
        .await
}
