//! Connecting with async-nats: credentials taken out of the server URLs, refused
//! credentials reported as [`Error::Auth`] at once — also with
//! `retry_on_initial_connect`, which async-nats would otherwise hide behind a client
//! that never connects.

use async_nats::{ConnectErrorKind, ServerAddr};
use faststream_kv_subject::{SEPARATOR, check_publish_subject};

use std::time::Duration;

use super::connection::{Bounds, NatsConnection};
use super::events::EventTranslator;
use super::jetstream::LOCAL_PREFIX;
use super::options::{Auth, ConnectOptions, JetStreamApi};
use super::sessions::Sessions;
use crate::backend::events::Events;
use crate::error::{BoxError, Error, Result};

impl ConnectOptions {
    /// Connects, mapping refused credentials to [`Error::Auth`].
    pub(crate) async fn connect(&self, events: &Events) -> Result<NatsConnection> {
        let bounds = Bounds {
            request: self.request_timeout,
            publish: self.publish_timeout,
            close: self.close_timeout,
        };
        let jetstream_prefix = self.jetstream_prefix()?;
        let sessions = Sessions::default();
        let client = self
            .connect_client(EventTranslator::new(events.clone(), sessions.clone()))
            .await?;
        Ok(NatsConnection::new(
            client,
            bounds,
            events.clone(),
            &jetstream_prefix,
            sessions,
        ))
    }

    /// The JetStream API prefix the options ask for, checked.
    fn jetstream_prefix(&self) -> Result<String> {
        match &self.jetstream {
            JetStreamApi::Local => Ok(LOCAL_PREFIX.to_owned()),
            JetStreamApi::Domain(domain) => {
                if check_publish_subject(domain).is_err() || domain.contains(SEPARATOR) {
                    return Err(invalid_connect_options(
                        "a JetStream domain is one subject token",
                    ));
                }
                Ok(format!("$JS.{domain}.API"))
            }
            JetStreamApi::Prefix(prefix) => match check_publish_subject(prefix) {
                Ok(()) => Ok(prefix.clone()),
                Err(_) => Err(invalid_connect_options(
                    "a JetStream API prefix is a subject without wildcards",
                )),
            },
        }
    }

    async fn connect_client(&self, events: EventTranslator) -> Result<async_nats::Client> {
        let (servers, auth) = self.servers_and_auth()?;
        let attempt = self
            .to_async_nats(&auth, false, events.clone())
            .await?
            .connect(servers.clone());
        match attempt.await {
            Ok(client) => Ok(client),
            Err(error) if is_auth(&error) => Err(Error::Auth {
                source: Box::new(error),
            }),
            // The server is not there yet: keep trying in the background, as asked.
            Err(_) if self.retry_on_initial_connect => self
                .to_async_nats(&auth, true, events)
                .await?
                .connect(servers)
                .await
                .map_err(connect_error),
            Err(error) => Err(connect_error(error)),
        }
    }

    /// The server addresses without credentials, and the credentials to use: those set
    /// with the options, or those the URLs carry.
    fn servers_and_auth(&self) -> Result<(Vec<ServerAddr>, Auth)> {
        let mut servers = Vec::with_capacity(self.servers.len());
        let mut from_urls: Option<Auth> = None;
        for server in &self.servers {
            let (address, auth) = without_credentials(server)?;
            servers.push(address);
            match (&from_urls, auth) {
                (_, Auth::None) => {}
                (None, auth) => from_urls = Some(auth),
                (Some(earlier), auth) if *earlier == auth => {}
                (Some(_), _) => {
                    return Err(invalid_connect_options(
                        "the server URLs carry different credentials",
                    ));
                }
            }
        }
        let auth = match (&self.auth, from_urls) {
            (explicit, None) => explicit.clone(),
            (Auth::None, Some(from_urls)) => from_urls,
            (explicit, Some(from_urls)) if *explicit == from_urls => from_urls,
            (_, Some(_)) => {
                return Err(invalid_connect_options(
                    "the server URLs carry other credentials than the ones set in ConnectOptions",
                ));
            }
        };
        Ok((servers, auth))
    }

    async fn to_async_nats(
        &self,
        auth: &Auth,
        retry_on_initial_connect: bool,
        events: EventTranslator,
    ) -> Result<async_nats::ConnectOptions> {
        let mut options = match auth {
            Auth::None => async_nats::ConnectOptions::new(),
            Auth::Token(token) => async_nats::ConnectOptions::with_token(token.clone()),
            Auth::UserAndPassword(user, password) => {
                async_nats::ConnectOptions::with_user_and_password(user.clone(), password.clone())
            }
            Auth::NKey(seed) => async_nats::ConnectOptions::with_nkey(seed.clone()),
            Auth::CredentialsFile(path) => async_nats::ConnectOptions::with_credentials_file(path)
                .await
                .map_err(|error| {
                    Error::io(
                        format!("reading credentials file {}", path.display()),
                        error,
                    )
                })?,
        };
        let (initial, max) = self.reconnect_delay;
        options = options
            .event_callback(move |event| {
                events.translate(event);
                std::future::ready(())
            })
            .reconnect_delay_callback(move |attempts| backoff(attempts, initial, max))
            .client_capacity(self.client_capacity)
            .connection_timeout(self.connection_timeout)
            .request_timeout(Some(self.request_timeout))
            .subscription_capacity(self.subscription_capacity)
            .max_reconnects(self.max_reconnects)
            .require_tls(self.tls.required);
        if let Some(name) = &self.name {
            options = options.name(name);
        }
        if let Some(interval) = self.ping_interval {
            options = options.ping_interval(interval);
        }
        if retry_on_initial_connect {
            options = options.retry_on_initial_connect();
        }
        if self.tls.first {
            options = options.tls_first();
        }
        for path in &self.tls.root_certificates {
            options = options.add_root_certificates(path.clone());
        }
        if let Some((certificate, key)) = &self.tls.client_certificate {
            options = options.add_client_certificate(certificate.clone(), key.clone());
        }
        Ok(options)
    }
}

/// The delay before reconnect attempt `attempts` (counted from 1): none for the first,
/// then doubling from `initial` up to `max`.
fn backoff(attempts: usize, initial: Duration, max: Duration) -> Duration {
    if attempts <= 1 {
        return Duration::ZERO;
    }
    let doublings = u32::try_from(attempts - 2).unwrap_or(u32::MAX).min(16);
    initial.saturating_mul(1 << doublings).min(max)
}

/// `server` parsed, its credentials taken out: `user:pass@` is a user and password,
/// `token@` a token (as the NATS clients read them).
fn without_credentials(server: &str) -> Result<(ServerAddr, Auth)> {
    // The error names no URL: the URL may hold a secret.
    let address: ServerAddr = server
        .parse()
        .map_err(|_| invalid_connect_options("a server URL does not parse"))?;
    let auth = match (address.username(), address.password()) {
        (Some(user), Some(password)) => Auth::UserAndPassword(decode(user), decode(password)),
        (Some(token), None) => Auth::Token(decode(token)),
        (None, _) => return Ok((address, Auth::None)),
    };
    let mut url = address.into_inner();
    let stripped = url.set_username("").is_ok() && url.set_password(None).is_ok();
    if !stripped {
        return Err(invalid_connect_options(
            "a server URL's credentials cannot be taken out of it",
        ));
    }
    let address = ServerAddr::from_url(url)
        .map_err(|_| invalid_connect_options("a server URL does not parse"))?;
    Ok((address, auth))
}

/// A URL's user or password, percent-decoded (`p%40ss` is `p@ss`).
fn decode(part: &str) -> String {
    let bytes = part.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[index], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                index += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn is_auth(error: &async_nats::ConnectError) -> bool {
    matches!(
        error.kind(),
        ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication
    )
}

fn connect_error(error: async_nats::ConnectError) -> Error {
    if is_auth(&error) {
        return Error::Auth {
            source: Box::new(error),
        };
    }
    Error::Connect {
        source: Box::new(error),
    }
}

fn invalid_connect_options(problem: &'static str) -> Error {
    Error::Connect {
        source: BoxError::from(problem),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(options: ConnectOptions) -> Result<(Vec<String>, Auth)> {
        let (servers, auth) = options.servers_and_auth()?;
        let urls = servers
            .into_iter()
            .map(|server| server.as_url_str().to_owned())
            .collect();
        Ok((urls, auth))
    }

    #[test]
    fn reconnects_back_off_from_the_initial_delay_to_the_max() {
        let (initial, max) = (Duration::from_millis(100), Duration::from_secs(1));
        let delays: Vec<Duration> = (1..=7)
            .map(|attempt| backoff(attempt, initial, max))
            .collect();
        let millis: Vec<u128> = delays.iter().map(Duration::as_millis).collect();
        assert_eq!(millis, [0, 100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff(usize::MAX, initial, max), max);
    }

    #[test]
    fn credentials_are_taken_out_of_the_urls() -> Result<()> {
        let (urls, auth) = resolved(ConnectOptions::new("nats://svc:p%40ss@127.0.0.1:4222"))?;
        assert_eq!(urls, ["nats://127.0.0.1:4222"]);
        assert!(auth == Auth::UserAndPassword("svc".into(), "p@ss".into()));
        let (urls, auth) = resolved(ConnectOptions::new("nats://t0ken@host:4222"))?;
        assert_eq!(urls, ["nats://host:4222"]);
        assert!(auth == Auth::Token("t0ken".into()));
        Ok(())
    }

    #[test]
    fn explicit_credentials_and_url_credentials_must_agree() -> Result<()> {
        let same = ConnectOptions::new("nats://svc:pw@host").user_and_password("svc", "pw");
        assert!(resolved(same)?.1 == Auth::UserAndPassword("svc".into(), "pw".into()));
        let explicit_only = ConnectOptions::new("nats://host").token("tok");
        assert!(resolved(explicit_only)?.1 == Auth::Token("tok".into()));
        for conflicting in [
            ConnectOptions::new("nats://svc:pw@host").user_and_password("svc", "other"),
            ConnectOptions::new("nats://a:1@one, nats://b:2@two"),
        ] {
            match resolved(conflicting) {
                Err(error @ Error::Connect { .. }) => {
                    let text = error.to_string();
                    assert!(!text.contains("pw") && !text.contains(":1@"), "{text}");
                }
                other => panic!("expected a connect error, got {other:?}"),
            }
        }
        Ok(())
    }
}
