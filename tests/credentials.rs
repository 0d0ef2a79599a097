//! Credentials against a real server: taken from the URL, refused at once (also with
//! `retry_on_initial_connect`), and never written to a log.

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use faststream_kv::testing::NatsServer;
use faststream_kv::{Broker, ConnectOptions, Error};

/// A deadline for failing, not a speed check: a client that retries forever never
/// returns.
const FAIL_FAST: Duration = Duration::from_secs(10);

#[tokio::test]
async fn user_and_password_in_the_url_are_used() -> Result<(), Error> {
    let server = NatsServer::builder().user("svc", "p@ss").start()?;
    let url = format!("nats://svc:p%40ss@127.0.0.1:{}", server.port());
    let broker = Broker::nats(url.as_str());
    broker.connect().await?;
    let mut echo = broker.subscribe("echo").await?;
    broker.publish("echo", "hi").await?;
    use futures::StreamExt;
    assert_eq!(
        echo.next().await.map(|m| m.payload().clone()),
        Some("hi".into())
    );
    broker.close().await
}

#[tokio::test]
async fn a_token_in_the_url_is_used() -> Result<(), Error> {
    let server = NatsServer::builder().token("t0ken").start()?;
    let broker = Broker::nats(format!("nats://t0ken@127.0.0.1:{}", server.port()));
    broker.connect().await?;
    broker.flush().await?;
    broker.close().await
}

#[tokio::test]
async fn url_credentials_that_contradict_the_options_are_an_error() -> Result<(), Error> {
    let server = NatsServer::builder().user("svc", "right").start()?;
    let url = format!("nats://svc:right@127.0.0.1:{}", server.port());
    let broker = Broker::nats(ConnectOptions::new(&url).user_and_password("svc", "other"));
    match broker.connect().await {
        Err(error @ Error::Connect { .. }) => {
            assert!(!error.to_string().contains("right"), "{error}");
        }
        other => panic!("expected a connect error, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn a_wrong_password_fails_at_once_also_with_retry_on_initial_connect() -> Result<(), Error> {
    let server = NatsServer::builder().user("svc", "right").start()?;
    let options = ConnectOptions::new(server.url())
        .user_and_password("svc", "wrong")
        .retry_on_initial_connect();
    let broker = Broker::nats(options);
    match tokio::time::timeout(FAIL_FAST, broker.connect()).await {
        Ok(Err(Error::Auth { .. })) => {}
        other => panic!("expected Error::Auth without retrying, got {other:?}"),
    }
    assert!(!broker.is_connected());
    Ok(())
}

#[test]
fn no_secret_reaches_a_log_at_any_level() -> Result<(), Error> {
    let server = NatsServer::builder().user("svc", "log-secret").start()?;
    let logs = Logs::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Error::io("building the runtime", error))?;
    // One thread: every task of the client logs to this thread's subscriber.
    tracing::subscriber::with_default(logs.clone(), || {
        runtime.block_on(async {
            let url = format!("nats://svc:log-secret@127.0.0.1:{}", server.port());
            let good = Broker::nats(url.as_str());
            good.connect().await?;
            good.publish("logged", "x").await?;
            good.close().await?;
            let wrong = format!("nats://svc:wrong-secret@127.0.0.1:{}", server.port());
            let refused = Broker::nats(ConnectOptions::new(wrong).retry_on_initial_connect());
            assert!(matches!(refused.connect().await, Err(Error::Auth { .. })));
            tracing::debug!(options = ?ConnectOptions::new(url.as_str()), "options");
            Ok::<_, Error>(())
        })
    })?;
    let text = logs.text();
    assert!(
        text.contains("options"),
        "the subscriber saw the logs: {text}"
    );
    for secret in ["log-secret", "wrong-secret"] {
        assert!(!text.contains(secret), "{secret} logged:\n{text}");
    }
    Ok(())
}

/// Every event and span field logged, at every level, as text.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<String>>);

impl Logs {
    fn text(&self) -> String {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn record(&self, fields: impl FnOnce(&mut dyn tracing::field::Visit)) {
        let mut line = String::new();
        fields(&mut Line(&mut line));
        let mut text = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        text.push_str(&line);
        text.push('\n');
    }
}

struct Line<'a>(&'a mut String);

impl tracing::field::Visit for Line<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, "{}={value:?} ", field.name());
    }
}

impl tracing::Subscriber for Logs {
    fn enabled(&self, _metadata: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        self.record(|visit| span.record(visit));
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _span: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        self.record(|visit| values.record(visit));
    }

    fn record_follows_from(&self, _span: &tracing::span::Id, _follows: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        self.record(|visit| event.record(visit));
    }

    fn enter(&self, _span: &tracing::span::Id) {}

    fn exit(&self, _span: &tracing::span::Id) {}
}
