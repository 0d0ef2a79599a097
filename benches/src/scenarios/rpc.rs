//! `rpc`: sequential requests with a JSON order, answered with a JSON receipt; the
//! requester is the same raw client for both sides, so the responder is what differs.
//! Both responders send the same reply: the receipt with a content type and a
//! correlation id.

use std::time::Instant;

use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;
use faststream_kv::{APPLICATION_JSON, CONTENT_TYPE, CORRELATION_ID};
use futures::StreamExt;

use crate::Result;
use crate::bench::Bench;
use crate::report::{Report, median};
use crate::workload::{Order, Receipt, sync};

const SUBJECT: &str = "bench.rpc";

pub(super) async fn run(bench: &Bench) -> Result<Report> {
    let rounds = bench.round_trip_rounds(raw_run, framework_run).await?;
    Ok(Report::new("rpc", rounds, "us").ratio_at_most(1.1))
}

async fn on_request(Json(order): Json<Order>) -> Json<Receipt> {
    Json(order.receipt())
}

/// Sends the requests one after another; the median latency in microseconds.
async fn requests(bench: &Bench) -> Result<f64> {
    let payload = Order::payload();
    let mut latencies = Vec::with_capacity(bench.settings.rpc_requests);
    for index in 0..bench.settings.rpc_requests {
        let started = Instant::now();
        let reply = bench
            .publisher()
            .request(SUBJECT, payload.clone())
            .await
            .map_err(|error| format!("request #{index}: {error}"))?;
        latencies.push(started.elapsed().as_secs_f64() * 1e6);
        let receipt: Receipt = serde_json::from_slice(&reply.payload)?;
        if receipt.status != "accepted" {
            return Err(format!("unexpected reply {receipt:?}").into());
        }
    }
    Ok(median(&mut latencies))
}

/// The headers of the framework's replies, which a hand-written service has to send as
/// well to speak FastStream's wire format: the content type, and a correlation id (a
/// fixed one here, which costs less than the framework's new id per reply).
fn reply_headers() -> async_nats::HeaderMap {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(CONTENT_TYPE, APPLICATION_JSON);
    headers.insert(CORRELATION_ID, "0b7e1c3a-5d2f-4e8a-9c6b-1f2e3d4c5b6a");
    headers
}

async fn raw_run(bench: &Bench) -> Result<f64> {
    let client = bench.raw_client().await?;
    let mut subscription = client.subscribe(SUBJECT).await?;
    sync(&client).await?;
    let responder = tokio::spawn(async move {
        while let Some(message) = subscription.next().await {
            let (Some(reply), Ok(order)) = (
                message.reply,
                serde_json::from_slice::<Order>(&message.payload),
            ) else {
                continue;
            };
            let Ok(receipt) = serde_json::to_vec(&order.receipt()) else {
                continue;
            };
            let _ = client
                .publish_with_headers(reply, reply_headers(), receipt.into())
                .await;
        }
    });
    let p50 = requests(bench).await;
    responder.abort();
    p50
}

async fn framework_run(bench: &Bench) -> Result<f64> {
    let running = App::new(bench.broker())
        .subscriber(Subscriber::new(SUBJECT, on_request))
        .start()
        .await?;
    let p50 = requests(bench).await;
    running.stop().await?;
    p50
}
