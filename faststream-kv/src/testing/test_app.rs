//! `TestApp`: the app, started for a test.

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use std::sync::Arc;
use std::time::Duration;

use faststream_kv_subject::matches;

use super::call::Call;
use super::handler_name::HandlerName;
use super::recorder::Recorder;
use crate::app::{App, RunningApp};
use crate::broker::{Broker, Observer};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::message::Message;

/// Runs an [`App`] for a test: the same hooks, validation and subscribers as in
/// production, on whichever broker the app was built with. Offers publish/request
/// helpers; [`stop`](Self::stop) shuts down gracefully (dropping does so in the
/// background). It records each handler's [`calls`](Self::calls) and what is
/// [`published`](Self::published), for assertions.
///
/// The memory broker keeps tokio's time: in a `#[tokio::test(start_paused = true)]` test
/// Key-Value TTLs and `max_age`, `ack_wait` redeliveries and nak delays take effect
/// without being waited for (tokio moves a paused clock on whenever every task waits;
/// tokio's `test-util` feature). A real server keeps its own time.
///
/// ```
/// use faststream_kv::prelude::*;
/// use faststream_kv::testing::TestApp;
///
/// #[subscriber("echo")]
/// async fn echo(body: String) -> String { body }
///
/// # #[tokio::main] async fn main() -> Result<(), Error> {
/// let app = TestApp::start(App::new(Broker::memory()).subscriber(echo)).await?;
/// assert_eq!(app.request("echo", "hi").await?.payload(), "hi");
/// app.stop().await
/// # }
/// ```
pub struct TestApp {
    running: RunningApp,
    recorder: Arc<Recorder>,
}

impl TestApp {
    /// Starts `app` and returns once its subscribers consume. From then on (and in its
    /// hooks) it records each handler's [`calls`](Self::calls) and every message
    /// [`published`](Self::published) through its broker.
    ///
    /// # Errors
    ///
    /// As [`App::start`].
    pub async fn start(app: App) -> Result<Self> {
        let recorder = Arc::new(Recorder::default());
        app.broker()
            .set_observer(Arc::clone(&recorder) as Arc<dyn Observer>);
        Ok(Self {
            running: app.start().await?,
            recorder,
        })
    }

    /// The calls of `handler` so far, in the order they finished (what each published
    /// is published by then; a stream message may not be acknowledged yet): a `#[subscriber]`
    /// function, a [`Subscriber`](crate::subscriber::Subscriber)'s name, or its
    /// [`handler_name`](crate::subscriber::Subscriber::handler_name). Like
    /// FastStream's `handler.mock`:
    ///
    /// ```
    /// use faststream_kv::prelude::*;
    /// use faststream_kv::testing::TestApp;
    /// use std::time::Duration;
    ///
    /// #[subscriber("orders.created", publish = "orders.billed")]
    /// async fn bill(body: String) -> String { format!("billed {body}") }
    ///
    /// # #[tokio::main] async fn main() -> Result<(), Error> {
    /// let app = TestApp::start(App::new(Broker::memory()).subscriber(bill)).await?;
    /// app.publish("orders.created", "42").await?;
    /// app.wait_for_calls(bill, 1, Duration::from_secs(5)).await?;
    /// assert_eq!(app.calls(bill)[0].message().payload(), "42");
    /// assert_eq!(app.published("orders.billed")[0].payload(), "billed 42");
    /// app.stop().await
    /// # }
    /// ```
    pub fn calls(&self, handler: impl HandlerName) -> Vec<Call> {
        self.recorder.calls(&handler.handler_name())
    }

    /// Waits until `handler` was called at least `count` times, for up to `within` (on
    /// tokio's clock, so a paused one in a `start_paused` test); its calls.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] naming the handler when fewer calls came.
    pub async fn wait_for_calls(
        &self,
        handler: impl HandlerName,
        count: usize,
        within: Duration,
    ) -> Result<Vec<Call>> {
        let name = handler.handler_name();
        let deadline = tokio::time::Instant::now() + within;
        self.recorder
            .calls_when(&name, count, deadline)
            .await
            .map_err(|calls| Error::Timeout {
                subject: format!("{count} call(s) of handler `{name}`, {} came", calls.len()),
                timeout: within,
            })
    }

    /// The messages published through the app's broker so far (by its hooks, its
    /// handlers, its publishers and this test) to subjects matching `subject`
    /// (wildcards allowed), in order; replies to requests are not among them.
    pub fn published(&self, subject: &str) -> Vec<Message> {
        let mut published = self.recorder.published();
        published.retain(|message| matches(subject, message.subject()));
        published
    }

    /// The app's broker.
    pub fn broker(&self) -> &Broker {
        self.running.broker()
    }

    /// The running app (its [`subscriber_stats`](RunningApp::subscriber_stats),
    /// [`initial_data_loaded`](RunningApp::initial_data_loaded), ...).
    pub fn running(&self) -> &RunningApp {
        &self.running
    }

    /// The app's context, as the startup hooks left it.
    pub fn context(&self) -> &Context {
        self.running.context()
    }

    /// Publishes raw bytes.
    ///
    /// # Errors
    ///
    /// As [`Broker::publish`].
    pub async fn publish(&self, subject: &str, payload: impl Into<Bytes>) -> Result<()> {
        self.broker().publish(subject, payload).await
    }

    /// Publishes `value` as JSON.
    ///
    /// # Errors
    ///
    /// As [`Broker::publish_json`].
    pub async fn publish_json<T: Serialize + ?Sized>(
        &self,
        subject: &str,
        value: &T,
    ) -> Result<()> {
        self.broker().publish_json(subject, value).await
    }

    /// Sends a request and returns the reply (an error reply is an `Err`).
    ///
    /// # Errors
    ///
    /// As [`Broker::request`].
    pub async fn request(&self, subject: &str, payload: impl Into<Bytes>) -> Result<Message> {
        self.broker().request(subject, payload).await
    }

    /// Sends `value` as JSON and decodes the JSON reply.
    ///
    /// # Errors
    ///
    /// As [`Broker::request_json`].
    pub async fn request_json<T, R>(&self, subject: &str, value: &T) -> Result<R>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.broker().request_json(subject, value).await
    }

    /// Shuts the app down gracefully and reports the first error of that.
    ///
    /// # Errors
    ///
    /// As [`RunningApp::stop`].
    pub async fn stop(self) -> Result<()> {
        self.running.stop().await
    }
}
