//! The app: lifecycle hooks around a set of subscribers.
//!
//! `on_startup` hooks → connect → check every subscriber → start subscribers →
//! `after_startup` hooks → run until Ctrl-C / SIGTERM / [`ShutdownHandle`] →
//! `on_shutdown` hooks → drain in-flight handlers (bounded by the graceful timeout) →
//! close the broker → `after_shutdown` hooks.

mod health;
mod hooks;
mod lifecycle;
mod running;
mod shutdown;

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tower::{Layer, Service};
use tracing::Level;

use health::Watched;
pub use health::{Health, HealthCheck, SubscriberHealth};
pub use lifecycle::Lifecycle;
pub use running::RunningApp;
pub use shutdown::ShutdownHandle;

use crate::asyncapi::{self, AsyncApi, Info};
use crate::broker::Broker;
use crate::context::Context;
use crate::error::{BoxError, Error, HookStage, Result};
use crate::extract::Requirement;
use crate::message::Message;
use crate::response::Reply;
use crate::router::Router;
use crate::runtime::{self, Started};
use crate::subscriber::{self, AnySubscriber, IntoSubscriber, Route, RouteLayer};
use hooks::{Hooks, boxed_hook, run_hooks};
use shutdown::termination_signal;

/// How long shutdown waits for in-flight handlers by default.
const DEFAULT_GRACEFUL_TIMEOUT: Duration = Duration::from_secs(30);

/// A FastStream-style NATS service: a broker, a typed context filled by startup hooks,
/// and subscribers.
///
/// ```
/// use faststream_kv::prelude::*;
/// use faststream_kv::testing::TestApp;
///
/// struct Greeting(String);
///
/// #[subscriber("greet.{name}")]
/// async fn greet(Path(name): Path<String>, Ctx(greeting): Ctx<Greeting>) -> String {
///     format!("{}, {name}!", greeting.0)
/// }
///
/// # #[tokio::main] async fn main() -> Result<(), Error> {
/// let app = App::new(Broker::memory())
///     .on_startup(async |cx: Lifecycle| {
///         cx.context().insert(Greeting("Hello".into()));
///         Ok::<_, Error>(())
///     })
///     .subscriber(greet);
/// let app = TestApp::start(app).await?;
/// let reply = app.broker().request("greet.world", "").await?;
/// assert_eq!(reply.payload(), "Hello, world!");
/// app.stop().await
/// # }
/// ```
pub struct App {
    broker: Broker,
    context: Context,
    subscribers: Vec<AnySubscriber>,
    layers: Vec<RouteLayer>,
    hooks: Hooks,
    graceful_timeout: Duration,
    span_level: Option<Level>,
    metrics: bool,
    info: Info,
    shutdown: ShutdownHandle,
}

impl App {
    /// An app on `broker` and no subscribers. Its context holds the broker (handlers
    /// take `Ctx<Broker>` to publish or request, as FastStream's context holds its
    /// broker); a hook may replace it.
    pub fn new(broker: Broker) -> Self {
        let context = Context::new();
        context.insert(broker.clone());
        Self {
            broker,
            context,
            subscribers: Vec::new(),
            layers: Vec::new(),
            hooks: Hooks::default(),
            graceful_timeout: DEFAULT_GRACEFUL_TIMEOUT,
            span_level: Some(Level::DEBUG),
            metrics: false,
            info: Info::default(),
            shutdown: ShutdownHandle::new(),
        }
    }

    /// Adds a subscriber: a `#[subscriber]` function or a
    /// [`Subscriber`](crate::subscriber::Subscriber) of any kind.
    pub fn subscriber(mut self, subscriber: impl IntoSubscriber) -> Self {
        self.subscribers.push(subscriber.into_subscriber());
        self
    }

    /// Adds the subscribers of `router` (and of the routers it includes), under its
    /// prefix and inside its layers.
    pub fn include(mut self, router: Router) -> Self {
        self.subscribers.extend(router.into_subscribers());
        self
    }

    /// Wraps every subscriber's handler in a tower layer (outside its own layers; the
    /// last layer added is the outermost), e.g. `tower::timeout::TimeoutLayer`.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Send + Sync + 'static,
        L::Service: Service<Message, Response = Reply> + Clone + Send + 'static,
        <L::Service as Service<Message>>::Error: Into<BoxError>,
        <L::Service as Service<Message>>::Future: Send + 'static,
    {
        self.layers.push(RouteLayer::new(layer));
        self
    }

    /// Runs before any subscriber consumes: connect, declare buckets, fill the context.
    /// An error aborts startup with that error. Hooks run in the order added.
    pub fn on_startup<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: FnMut(Lifecycle) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        self.hooks.on_startup.push(boxed_hook(hook));
        self
    }

    /// Runs once every subscriber is consuming (publish a first message, warm caches).
    pub fn after_startup<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: FnMut(Lifecycle) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        self.hooks.after_startup.push(boxed_hook(hook));
        self
    }

    /// Runs when shutdown begins, while subscribers still consume.
    pub fn on_shutdown<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: FnMut(Lifecycle) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        self.hooks.on_shutdown.push(boxed_hook(hook));
        self
    }

    /// Runs last, after handlers drained and the broker closed.
    pub fn after_shutdown<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: FnMut(Lifecycle) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        self.hooks.after_shutdown.push(boxed_hook(hook));
        self
    }

    /// The level of the `message` span each handled message runs in, with fields
    /// `handler` and `subject` (default `DEBUG`, so an app logging at `INFO` builds
    /// none); `None` for no span at all.
    pub fn message_span(mut self, level: Option<Level>) -> Self {
        self.span_level = level;
        self
    }

    /// Has subscribers record metrics through the `metrics` facade (off by default, as
    /// FastStream's Prometheus middleware is opt-in: timing each handler reads the
    /// clock for every message). Install the recorder before the app starts.
    ///
    /// Per handler (label `handler`): `faststream_messages_received_total`,
    /// `..._handled_total`, `..._failed_total`, `faststream_messages_in_flight`,
    /// `faststream_handling_seconds` (a histogram), and for stream subscribers
    /// `faststream_stream_messages_{acked,nacked,terminated}_total`. Connection events
    /// count in `faststream_connection_events_total` whatever this says.
    ///
    /// A subscriber handling messages back to back adds its counts up and hands them to
    /// the recorder when it waits (for a message, a slow handler, a worker), before it
    /// sends a reply, or after a few hundred; with one worker, it counts one message in
    /// flight for the whole run, and each message's handling time starts when the one
    /// before it finished (so the times add up to the time it was busy).
    /// `examples/prometheus_metrics.rs` serves them as Prometheus text.
    ///
    /// ```
    /// use faststream_kv::prelude::*;
    ///
    /// // metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()?;
    /// let app = App::new(Broker::memory()).metrics(true);
    /// ```
    pub fn metrics(mut self, enabled: bool) -> Self {
        self.metrics = enabled;
        self
    }

    /// The title, version and description of the app's AsyncAPI document (default
    /// [`Info::default`]).
    pub fn asyncapi_info(mut self, info: Info) -> Self {
        self.info = info;
        self
    }

    /// The app's AsyncAPI 3.0 document (see [`asyncapi`](crate::asyncapi)): its
    /// subscribers, publishers and payloads, and the broker's servers.
    pub fn asyncapi(&self) -> AsyncApi {
        let subscribers = self
            .subscribers
            .iter()
            .filter_map(AnySubscriber::description);
        AsyncApi::build(&self.info, self.broker.servers(), subscribers)
    }

    /// How long shutdown waits for in-flight handlers (default 30 s).
    pub fn graceful_timeout(mut self, timeout: Duration) -> Self {
        self.graceful_timeout = timeout;
        self
    }

    /// The app's context (before startup: to insert values without a hook).
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The app's broker.
    pub fn broker(&self) -> &Broker {
        &self.broker
    }

    /// A handle that stops the app once it runs.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Runs until Ctrl-C, SIGTERM or [`ShutdownHandle::shutdown`], then shuts down
    /// gracefully. Run with `--asyncapi[=json|yaml]` (or
    /// [`FASTSTREAM_ASYNCAPI`](asyncapi::ASYNCAPI_ENV) set), it prints the app's
    /// AsyncAPI document to stdout and returns without starting.
    ///
    /// # Errors
    ///
    /// The first error of starting (see [`start`](Self::start)) or of shutting down
    /// (see [`RunningApp::stop`]); [`Error::InvalidConfig`] for an `--asyncapi` value
    /// that names no format.
    pub async fn run(self) -> Result<()> {
        self.run_until(termination_signal()).await
    }

    /// Runs until `signal` completes (or [`ShutdownHandle::shutdown`]), then shuts down
    /// gracefully; prints the AsyncAPI document instead when asked to, as
    /// [`run`](Self::run) does.
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run).
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> Result<()> {
        if let Some(format) = asyncapi::requested()? {
            println!("{}", self.asyncapi().render(format));
            return Ok(());
        }
        let running = self.start().await?;
        let shutdown = running.shutdown.clone();
        tokio::select! {
            () = signal => {}
            () = shutdown.wait() => {}
        }
        running.stop().await
    }

    /// Starts the app and returns once every subscriber consumes and the
    /// `after_startup` hooks ran. Stop it with [`RunningApp::stop`].
    ///
    /// # Errors
    ///
    /// [`Error::Hook`] when an `on_startup` or `after_startup` hook fails;
    /// [`Error::Connect`] / [`Error::Auth`] when the broker cannot connect;
    /// [`Error::Startup`] listing every subscriber whose extractors lack what they
    /// need; [`Error::BucketNotFound`] for a `kv_watch` subscriber on a missing bucket;
    /// [`Error::Nats`] when subscribing fails. Nothing keeps running after an error.
    pub async fn start(mut self) -> Result<RunningApp> {
        let lifecycle = Lifecycle {
            broker: self.broker.clone(),
            context: self.context.clone(),
            shutdown: self.shutdown.clone(),
        };
        run_hooks(HookStage::OnStartup, &mut self.hooks.on_startup, &lifecycle).await?;
        self.broker.connect().await?;
        self.check_subscribers()?;
        let (mut subscribers, mut pending, mut watchers) = (Vec::new(), Vec::new(), Vec::new());
        let mut consumers = Vec::new();
        for started in self.start_subscribers().await? {
            consumers.push(Watched {
                name: started.name,
                consumer: started.consumer.abort_handle(),
                consumer_missing: started.consumer_missing,
            });
            subscribers.push(started.consumer);
            pending.extend(started.pending);
            watchers.extend(started.watcher);
        }
        let health = HealthCheck::new(self.broker.clone(), consumers, &watchers);
        self.context.insert(health.clone());
        let mut running = RunningApp {
            lifecycle: lifecycle.clone(),
            hooks: Mutex::new(self.hooks),
            subscribers,
            health: health.clone(),
            pending,
            watchers,
            graceful_timeout: self.graceful_timeout,
            shutdown: self.shutdown,
            stopped: false,
        };
        let after_startup = &mut running.hooks_mut().after_startup;
        if let Err(error) = run_hooks(HookStage::AfterStartup, after_startup, &lifecycle).await {
            // The hook's error is the one to report; what stopping left is logged.
            let _ = running.stop_subscribers().await;
            return Err(error);
        }
        tracing::info!(
            subscribers = running.subscribers.len(),
            backend = ?self.broker.backend(),
            servers = ?self.broker.servers(),
            "app started"
        );
        Ok(running)
    }

    fn check_subscribers(&self) -> Result<()> {
        let problems: Vec<_> = self
            .subscribers
            .iter()
            .flat_map(|subscriber| subscriber::problems(subscriber, &self.context))
            .collect();
        if !problems.is_empty() {
            return Err(Error::Startup { problems });
        }
        self.context
            .pin(self.subscribers.iter().flat_map(|subscriber| {
                subscriber
                    .requirements()
                    .iter()
                    .filter_map(|(_, requirement)| match requirement {
                        Requirement::Context { type_id, .. } => Some(*type_id),
                        Requirement::Path(_)
                        | Requirement::KvWatch
                        | Requirement::Stream
                        | Requirement::Batch => None,
                    })
            }));
        Ok(())
    }

    async fn start_subscribers(&mut self) -> Result<Vec<Started>> {
        let mut started = Vec::with_capacity(self.subscribers.len());
        for subscriber in self.subscribers.drain(..) {
            let next = async {
                let (pattern, route, mut settings) =
                    subscriber.build(&self.context, &self.layers)?;
                settings.span_level = self.span_level;
                settings.metrics = self.metrics;
                let (stop, give_up) =
                    (self.shutdown.subscribe(), self.shutdown.subscribe_give_up());
                runtime::start(&self.broker, &pattern, route, settings, stop, give_up).await
            }
            .await;
            match next {
                Ok(next) => started.push(next),
                Err(error) => {
                    started.iter().for_each(|started| started.consumer.abort());
                    return Err(error);
                }
            }
        }
        // Make sure the server knows every subscription before `after_startup` publishes.
        self.broker.flush().await?;
        Ok(started)
    }
}
