//! Reads a nats-server monitoring endpoint: one HTTP/1.0 GET on loopback, its JSON body.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::error::{Error, Result};

/// How long the server may take to answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// `GET path` on the monitoring port, parsed as JSON.
pub(super) fn get(port: u16, path: &str) -> Result<serde_json::Value> {
    let failed = |error| Error::io(format!("reading nats-server monitoring {path}"), error);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(failed)?;
    stream
        .set_read_timeout(Some(ANSWER_TIMEOUT))
        .map_err(failed)?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").map_err(failed)?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).map_err(failed)?;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
        let status = head.lines().next().unwrap_or_default().to_owned();
        return Err(failed(std::io::Error::other(status)));
    }
    serde_json::from_str(body).map_err(|error| failed(std::io::Error::other(error)))
}
