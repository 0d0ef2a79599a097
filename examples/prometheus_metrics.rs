//! Prometheus metrics: the app records per-subscriber metrics (`App::metrics(true)`)
//! through the `metrics` facade into metrics-exporter-prometheus's recorder, and an
//! `after_startup` hook serves them as Prometheus text on `GET /metrics`. A demo sends
//! two requests (one fails), scrapes once, prints the `faststream_*` samples and stops.
//!
//! ```sh
//! cargo run --example prometheus_metrics      # METRICS_ADDR=0.0.0.0:9090 to choose
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use faststream_kv::prelude::*;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Handling time buckets, in seconds: Prometheus aggregates histograms across
/// instances, which the exporter's default summaries cannot be.
const HANDLING_BUCKETS: [f64; 8] = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 1.0];

#[subscriber("greet.{name}")]
async fn greet(Path(name): Path<String>) -> Result<String, Error> {
    if name == "nobody" {
        return Err(Error::status(404, "nobody to greet"));
    }
    Ok(format!("hello {name}"))
}

/// Installs the process's Prometheus recorder (once, before any app starts).
pub(crate) fn install_recorder() -> Result<PrometheusHandle, Error> {
    PrometheusBuilder::new()
        .set_buckets(&HANDLING_BUCKETS)
        .and_then(PrometheusBuilder::install_recorder)
        .map_err(Error::msg)
}

/// The service with its metrics on, rendered by `recorder` on `listener`.
pub(crate) fn app(broker: Broker, listener: TcpListener, recorder: PrometheusHandle) -> App {
    let mut served = Some((listener, recorder));
    App::new(broker)
        .metrics(true)
        .subscriber(greet)
        .after_startup(move |_: Lifecycle| {
            if let Some((listener, recorder)) = served.take() {
                tokio::spawn(serve_metrics(listener, recorder));
            }
            async { Ok::<_, Error>(()) }
        })
}

/// Answers scrapes on `listener` until the process ends, and keeps the recorder's
/// histograms bounded between scrapes.
pub(crate) async fn serve_metrics(listener: TcpListener, recorder: PrometheusHandle) {
    let upkeep = recorder.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    });
    while let Ok((stream, _)) = listener.accept().await {
        let recorder = recorder.clone();
        tokio::spawn(async move {
            if let Err(error) = scrape(stream, &recorder).await {
                eprintln!("metrics: {error}");
            }
        });
    }
}

/// Reads one request and answers it with the metrics, or 404 off `/metrics`.
async fn scrape(mut stream: TcpStream, recorder: &PrometheusHandle) -> std::io::Result<()> {
    let mut request = [0; 1024];
    let read = stream.read(&mut request).await?;
    let line = String::from_utf8_lossy(&request[..read]);
    let (status, body) = match line.split_whitespace().nth(1) {
        Some("/metrics") => ("200 OK", recorder.render()),
        _ => ("404 Not Found", "metrics: /metrics\n".to_owned()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let recorder = install_recorder()?;
    let address = std::env::var("METRICS_ADDR").unwrap_or_else(|_| "127.0.0.1:0".to_owned());
    let listener = TcpListener::bind(&address)
        .await
        .map_err(|error| Error::io(format!("binding {address}"), error))?;
    let bound = listener
        .local_addr()
        .map_err(|error| Error::io("reading the metrics address", error))?;
    eprintln!("metrics on http://{bound}/metrics");
    app(Broker::from_env(), listener, recorder)
        .after_startup(move |cx: Lifecycle| demo(cx, bound))
        .run()
        .await
}

/// Sends a request that succeeds and one that fails, prints what a scrape then reads,
/// and stops the app.
async fn demo(cx: Lifecycle, metrics: SocketAddr) -> Result<(), Error> {
    cx.broker().request("greet.ada", "").await?;
    let failed = cx.broker().request("greet.nobody", "").await;
    eprintln!(
        "greet.nobody: {}",
        failed.err().map(|e| e.to_string()).unwrap_or_default()
    );
    let scraped = scrape_text(metrics)
        .await
        .map_err(|error| Error::io("scraping /metrics", error))?;
    for sample in scraped
        .lines()
        .filter(|line| line.starts_with("faststream_"))
    {
        println!("{sample}");
    }
    cx.shutdown_handle().shutdown();
    Ok(())
}

/// A bare `GET /metrics`: the response's body.
pub(crate) async fn scrape_text(address: SocketAddr) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address).await?;
    let request = "GET /metrics HTTP/1.1\r\nhost: metrics\r\nconnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, body)| body.to_owned()))
}
