//! `ConnectOptions`: how to reach and authenticate to a NATS server.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// How the broker connects to NATS: servers, name, credentials, TLS, reconnects,
/// timeouts. `Debug` prints credentials as `<redacted>`.
///
/// ```
/// use std::time::Duration;
/// use faststream_kv::ConnectOptions;
///
/// let options = ConnectOptions::new("nats://127.0.0.1:4222")
///     .name("billing")
///     .user_and_password("svc", "s3cret")
///     .request_timeout(Duration::from_secs(2));
/// assert!(!format!("{options:?}").contains("s3cret"));
/// ```
#[derive(Clone)]
pub struct ConnectOptions {
    pub(super) servers: Vec<String>,
    pub(super) name: Option<String>,
    pub(super) auth: Auth,
    pub(super) tls: Tls,
    pub(super) max_reconnects: Option<usize>,
    pub(super) connection_timeout: Duration,
    pub(super) request_timeout: Duration,
    pub(super) publish_timeout: Duration,
    pub(super) close_timeout: Duration,
    pub(super) reconnect_delay: (Duration, Duration),
    pub(super) client_capacity: usize,
    pub(super) subscription_capacity: usize,
    pub(super) ping_interval: Option<Duration>,
    pub(super) retry_on_initial_connect: bool,
    pub(super) jetstream: JetStreamApi,
}

/// Which JetStream API the connection's streams and buckets are reached through.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) enum JetStreamApi {
    /// The account's own, `$JS.API`.
    #[default]
    Local,
    /// A domain's, `$JS.<domain>.API` (a leaf node's or a hub's JetStream).
    Domain(String),
    /// An API imported from another account under this prefix.
    Prefix(String),
}

#[derive(Clone, Default, PartialEq, Eq)]
pub(super) enum Auth {
    #[default]
    None,
    Token(String),
    UserAndPassword(String, String),
    NKey(String),
    CredentialsFile(PathBuf),
}

#[derive(Clone, Default, Debug)]
pub(super) struct Tls {
    pub(super) required: bool,
    pub(super) first: bool,
    pub(super) root_certificates: Vec<PathBuf>,
    pub(super) client_certificate: Option<(PathBuf, PathBuf)>,
}

/// Commands (publishes, subscriptions, ...) the client queues while it is busy or
/// disconnected; async-nats's default.
const DEFAULT_CLIENT_CAPACITY: usize = 2048;

/// Messages a subscription may buffer in the client before the server's slow-consumer
/// protection starts dropping; generous so a burst is never lost to a busy handler.
const DEFAULT_SUBSCRIPTION_CAPACITY: usize = 1 << 16;

impl ConnectOptions {
    /// Options for one server URL, or several separated by commas.
    ///
    /// A URL may carry credentials, as `NATS_URL` often does: `nats://user:pass@host:4222`
    /// (user and password) or `nats://token@host:4222` (a token). They are taken out of
    /// the URL before it reaches the client (and its logs) and used when no credentials
    /// are set with the methods below; the same credentials in both places are fine,
    /// different ones are an error at connect time, as are URLs with different ones.
    pub fn new(servers: impl AsRef<str>) -> Self {
        Self {
            servers: servers
                .as_ref()
                .split(',')
                .map(str::trim)
                .filter(|server| !server.is_empty())
                .map(str::to_owned)
                .collect(),
            name: None,
            auth: Auth::None,
            tls: Tls::default(),
            max_reconnects: None,
            connection_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            publish_timeout: Duration::from_secs(5),
            close_timeout: Duration::from_secs(5),
            reconnect_delay: (Duration::from_millis(100), Duration::from_secs(4)),
            client_capacity: DEFAULT_CLIENT_CAPACITY,
            subscription_capacity: DEFAULT_SUBSCRIPTION_CAPACITY,
            ping_interval: None,
            retry_on_initial_connect: false,
            jetstream: JetStreamApi::Local,
        }
    }

    /// The connection name shown by the server (`nats server report connections`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Authenticates with a token.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.auth = Auth::Token(token.into());
        self
    }

    /// Authenticates with user and password.
    pub fn user_and_password(
        mut self,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.auth = Auth::UserAndPassword(user.into(), password.into());
        self
    }

    /// Authenticates with an NKey seed.
    pub fn nkey(mut self, seed: impl Into<String>) -> Self {
        self.auth = Auth::NKey(seed.into());
        self
    }

    /// Authenticates with a `.creds` file (JWT + NKey seed), read at connect time.
    pub fn credentials_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.auth = Auth::CredentialsFile(path.into());
        self
    }

    /// Requires TLS.
    pub fn require_tls(mut self, required: bool) -> Self {
        self.tls.required = required;
        self
    }

    /// Starts TLS before the NATS handshake (server `handshake_first`).
    pub fn tls_first(mut self) -> Self {
        self.tls.first = true;
        self.tls.required = true;
        self
    }

    /// Trusts the CA certificates in this PEM file.
    pub fn root_certificates(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls.root_certificates.push(path.into());
        self
    }

    /// Presents this client certificate and key (PEM files) for mutual TLS.
    pub fn client_certificate(
        mut self,
        certificate: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Self {
        self.tls.client_certificate = Some((certificate.into(), key.into()));
        self
    }

    /// Gives up reconnecting after this many attempts (default: never gives up).
    pub fn max_reconnects(mut self, attempts: usize) -> Self {
        self.max_reconnects = Some(attempts);
        self
    }

    /// Keeps retrying the first connection instead of failing when the server is down.
    /// Refused credentials still fail at once when a server answers the first attempt.
    pub fn retry_on_initial_connect(mut self) -> Self {
        self.retry_on_initial_connect = true;
        self
    }

    /// How long one connection attempt may take (default 5 s).
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// Default timeout of requests, and the bound of flushes, subscribing and Key-Value
    /// calls (default 10 s). Time spent queued in the client while disconnected counts.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How long a publish may wait for room in the client's queue while the server is
    /// unreachable before it fails with [`Error::Unavailable`](crate::Error::Unavailable)
    /// (default 5 s).
    pub fn publish_timeout(mut self, timeout: Duration) -> Self {
        self.publish_timeout = timeout;
        self
    }

    /// How long to wait before reconnect attempts: none before the first, then `initial`,
    /// doubling up to `max` (default 100 ms up to 4 s).
    pub fn reconnect_delay(mut self, initial: Duration, max: Duration) -> Self {
        self.reconnect_delay = (initial, max.max(initial));
        self
    }

    /// Commands the client queues while it is busy or disconnected (default 2048); a
    /// publish beyond them waits up to the [publish timeout](Self::publish_timeout).
    pub fn client_capacity(mut self, capacity: usize) -> Self {
        self.client_capacity = capacity.max(1);
        self
    }

    /// How long closing may take for each of its final flush and drain (default 5 s): a
    /// shutdown while the server is gone ends instead of waiting for it.
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Messages a subscription buffers in the client (default 65 536).
    pub fn subscription_capacity(mut self, capacity: usize) -> Self {
        self.subscription_capacity = capacity.max(1);
        self
    }

    /// How often the client pings the server.
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = Some(interval);
        self
    }

    /// Reaches JetStream (buckets, and what is made of streams) in this domain, as
    /// nats.go's `jetstream.NewWithDomain`: API calls go to `$JS.<domain>.API`, writes to
    /// a bucket are prefixed with it. Replaces an [API prefix](Self::jetstream_api_prefix).
    ///
    /// Checked at connect time: a domain is one subject token.
    pub fn jetstream_domain(mut self, domain: impl Into<String>) -> Self {
        self.jetstream = JetStreamApi::Domain(domain.into());
        self
    }

    /// Reaches JetStream through an API another account exports, imported under
    /// `prefix` (e.g. `JS.orders.API`), as nats.go's `jetstream.NewWithAPIPrefix`.
    /// Writes to a bucket are published under the prefix too
    /// (`<prefix>.$KV.<bucket>.<key>`), so the exporting account also exports `$KV.>`,
    /// imported as `<prefix>.$KV.>`; watches need its `_INBOX.>` as a stream. Replaces a
    /// [domain](Self::jetstream_domain).
    ///
    /// Checked at connect time: a prefix is a subject without wildcards.
    pub fn jetstream_api_prefix(mut self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        self.jetstream = JetStreamApi::Prefix(prefix.trim_end_matches('.').to_owned());
        self
    }

    /// The server URLs.
    pub fn servers(&self) -> &[String] {
        &self.servers
    }

    pub(crate) fn default_request_timeout(&self) -> Duration {
        self.request_timeout
    }
}

impl From<&str> for ConnectOptions {
    fn from(servers: &str) -> Self {
        Self::new(servers)
    }
}

impl From<String> for ConnectOptions {
    fn from(servers: String) -> Self {
        Self::new(servers)
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Token(_) => f.write_str("Token(<redacted>)"),
            Auth::UserAndPassword(user, _) => write!(f, "UserAndPassword({user:?}, <redacted>)"),
            Auth::NKey(_) => f.write_str("NKey(<redacted>)"),
            Auth::CredentialsFile(path) => write!(f, "CredentialsFile({path:?})"),
        }
    }
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field(
                "servers",
                &self
                    .servers
                    .iter()
                    .map(|server| redact_url(server))
                    .collect::<Vec<_>>(),
            )
            .field("name", &self.name)
            .field("auth", &self.auth)
            .field("tls", &self.tls)
            .field("max_reconnects", &self.max_reconnects)
            .field("connection_timeout", &self.connection_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("publish_timeout", &self.publish_timeout)
            .field("close_timeout", &self.close_timeout)
            .field("reconnect_delay", &self.reconnect_delay)
            .field("client_capacity", &self.client_capacity)
            .field("subscription_capacity", &self.subscription_capacity)
            .field("jetstream", &self.jetstream)
            .finish()
    }
}

/// `nats://user:pass@host` -> `nats://<redacted>@host`.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}<redacted>{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_secrets() {
        for options in [
            ConnectOptions::new("nats://a:b@host:4222").token("tok-secret"),
            ConnectOptions::new("nats://host").user_and_password("me", "pw-secret"),
            ConnectOptions::new("nats://host").nkey("SUAseed-secret"),
        ] {
            let printed = format!("{options:?}");
            for secret in ["tok-secret", "pw-secret", "seed-secret", "a:b"] {
                assert!(!printed.contains(secret), "{printed}");
            }
        }
    }

    #[test]
    fn several_servers() {
        let options = ConnectOptions::new("nats://a:4222, nats://b:4222");
        assert_eq!(options.servers(), ["nats://a:4222", "nats://b:4222"]);
    }
}
