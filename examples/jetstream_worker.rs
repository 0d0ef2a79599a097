//! A JetStream worker: a durable pull consumer charges payments from stream `PAYMENTS`.
//! Its handler reads each region's limit from a Key-Value bucket in the context; a
//! payment is acknowledged once the handler succeeds (charged or declined), and a
//! transient failure — the simulated gateway times out on the first try of every third
//! payment — returns an error, so the message is nak'd and comes back to be charged
//! a moment later; after five deliveries the server gives up on it.
//! Several instances share the durable consumer; a restarted one resumes where it
//! stopped.
//!
//! ```sh
//! cargo run --example jetstream_worker                                  # embedded broker
//! NATS_URL=nats://127.0.0.1:4222 cargo run --example jetstream_worker   # a real server (with -js)
//! ```

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use faststream_kv::jetstream::MessageInfo;
use faststream_kv::prelude::*;
use schemars::JsonSchema;

/// A payment to charge.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone)]
pub(crate) struct Payment {
    pub(crate) id: u64,
    pub(crate) amount: u64,
}

/// What the worker did, in order: `<id> charged <amount> (delivery n)` or `<id>
/// declined`.
#[derive(Clone, Default)]
pub(crate) struct Ledger(Arc<Mutex<Vec<String>>>);

impl Ledger {
    fn record(&self, entry: String) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry);
    }

    pub(crate) fn entries(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[subscriber(
    "payments.{region}",
    stream = "PAYMENTS",
    durable = "charger",
    ack_policy = "nack_on_error",
    max_deliver = 5,
    max_workers = 4
)]
async fn charge(
    Json(payment): Json<Payment>,
    Path(region): Path<String>,
    info: MessageInfo,
    Ctx(limits): Ctx<KeyValue>,
    Ctx(ledger): Ctx<Ledger>,
) -> Result<(), Error> {
    let limit: u64 = limits
        .get_json(&format!("limit.{region}"))
        .await?
        .ok_or_else(|| Error::msg(format!("no limit configured for {region}")))?;
    if payment.amount > limit {
        ledger.record(format!("{} declined", payment.id));
        return Ok(());
    }
    if payment.id % 3 == 0 && info.delivered == 1 {
        // Transient: the error makes the policy nak it, and it is delivered again.
        return Err(Error::msg("payment gateway timed out"));
    }
    ledger.record(format!(
        "{} charged {} (delivery {})",
        payment.id, payment.amount, info.delivered
    ));
    Ok(())
}

/// The service: the limits bucket and the ledger in the context, the worker subscribed
/// (it declares stream `PAYMENTS` with its subject at startup).
pub(crate) fn app(broker: Broker) -> App {
    let app = App::new(broker)
        .on_startup(async |cx: Lifecycle| {
            let limits = cx
                .broker()
                .key_value("limits")
                .declare(kv::Config::default())
                .await?;
            cx.context().insert(limits);
            Ok::<_, Error>(())
        })
        .subscriber(charge);
    app.context().insert(Ledger::default());
    app
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let broker = Broker::from_env();
    eprintln!("backend: {}", broker.backend());
    app(broker).after_startup(demo).run().await
}

/// Sets the limit, publishes six payments, waits until each is settled, prints the
/// ledger and stops the app.
async fn demo(cx: Lifecycle) -> Result<(), Error> {
    let limits = cx.context().get::<KeyValue>()?;
    limits.put_json("limit.eu", &100_u64).await?;
    for (id, amount) in [(1, 40), (2, 250), (3, 60), (4, 99), (5, 101), (6, 10)] {
        let payment = Payment { id, amount };
        let ack = cx
            .broker()
            .stream_publish_json("payments.eu", &payment)
            .await?;
        println!("payment {id} stored at sequence {}", ack.sequence);
    }
    let ledger = cx.context().get::<Ledger>()?;
    for _ in 0..100 {
        if ledger.entries().len() == 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for entry in ledger.entries() {
        println!("{entry}");
    }
    cx.shutdown_handle().shutdown();
    Ok(())
}
