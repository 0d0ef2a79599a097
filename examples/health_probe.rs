//! Kubernetes probes: the service answers `GET /livez` (every subscriber consuming) and
//! `GET /readyz` (also connected, Key-Value watches past their initial data) over HTTP
//! with 200 or 503 and the health as text. An `after_startup` hook takes the app's
//! `HealthCheck` from the context and serves it; a demo asks both probes, then stops.
//!
//! ```sh
//! cargo run --example health_probe            # PROBE_ADDR=0.0.0.0:8080 to choose
//! ```

use std::net::SocketAddr;

use faststream_kv::prelude::*;
use faststream_kv::{Health, HealthCheck};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[subscriber("greet.{name}")]
async fn greet(Path(name): Path<String>) -> String {
    format!("hello {name}")
}

/// The service: one subscriber, its probes served on `listener` from `after_startup`.
pub(crate) fn app(broker: Broker, listener: TcpListener) -> App {
    let mut listener = Some(listener);
    App::new(broker)
        .subscriber(greet)
        .after_startup(move |cx: Lifecycle| {
            let listener = listener.take();
            async move {
                let health = cx.context().get::<HealthCheck>()?;
                if let Some(listener) = listener {
                    tokio::spawn(serve_probes(listener, HealthCheck::clone(&health)));
                }
                Ok::<_, Error>(())
            }
        })
}

/// Answers probe requests on `listener` until the process ends.
pub(crate) async fn serve_probes(listener: TcpListener, health: HealthCheck) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let health = health.clone();
        tokio::spawn(async move {
            if let Err(error) = answer(stream, &health).await {
                eprintln!("probe: {error}");
            }
        });
    }
}

/// Reads one request's first line and answers it.
async fn answer(mut stream: TcpStream, health: &HealthCheck) -> std::io::Result<()> {
    let mut request = [0; 1024];
    let read = stream.read(&mut request).await?;
    let line = String::from_utf8_lossy(&request[..read]);
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    let (status, body) = respond(path, &health.health());
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// The status line and body for probe `path`.
pub(crate) fn respond(path: &str, health: &Health) -> (&'static str, String) {
    let ok = match path {
        "/livez" => health.is_alive(),
        "/readyz" => health.is_ready(),
        _ => return ("404 Not Found", "probes: /livez, /readyz\n".to_owned()),
    };
    let status = if ok {
        "200 OK"
    } else {
        "503 Service Unavailable"
    };
    (status, format!("{health:#?}\n"))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let address = std::env::var("PROBE_ADDR").unwrap_or_else(|_| "127.0.0.1:0".to_owned());
    let listener = TcpListener::bind(&address)
        .await
        .map_err(|error| Error::io(format!("binding {address}"), error))?;
    let bound = listener
        .local_addr()
        .map_err(|error| Error::io("reading the probe address", error))?;
    eprintln!("probes on http://{bound}/livez and /readyz");
    app(Broker::from_env(), listener)
        .after_startup(move |cx: Lifecycle| demo(cx, bound))
        .run()
        .await
}

/// Asks both probes like a kubelet would, prints the answers, and stops the app.
async fn demo(cx: Lifecycle, probes: SocketAddr) -> Result<(), Error> {
    for path in ["/livez", "/readyz"] {
        let answer = get(probes, path)
            .await
            .map_err(|error| Error::io(format!("asking {path}"), error))?;
        println!(
            "GET {path} -> {}",
            answer.lines().next().unwrap_or_default()
        );
    }
    cx.shutdown_handle().shutdown();
    Ok(())
}

/// A bare HTTP GET: the whole response as text.
pub(crate) async fn get(address: SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address).await?;
    let request = format!("GET {path} HTTP/1.1\r\nhost: probe\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response)
}
