//! `TestApp`: the app, started for a test.

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::app::{App, RunningApp};
use crate::broker::Broker;
use crate::context::Context;
use crate::error::Result;
use crate::message::Message;

/// Runs an [`App`] for a test: the same hooks, validation and subscribers as in
/// production, on whichever broker the app was built with. Offers publish/request
/// helpers; [`stop`](Self::stop) shuts down gracefully (dropping does so in the
/// background).
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
}

impl TestApp {
    /// Starts `app` and returns once its subscribers consume.
    ///
    /// # Errors
    ///
    /// As [`App::start`].
    pub async fn start(app: App) -> Result<Self> {
        Ok(Self {
            running: app.start().await?,
        })
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
