//! The app: lifecycle hooks around a set of subscribers.
//!
//! `on_startup` hooks → connect → check every subscriber → start subscribers →
//! `after_startup` hooks → run until Ctrl-C / SIGTERM / [`ShutdownHandle`] →
//! `on_shutdown` hooks → drain in-flight handlers (bounded by the graceful timeout) →
//! close the broker → `after_shutdown` hooks.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::{Layer, Service};

use crate::broker::Broker;
use crate::context::Context;
use crate::error::{BoxError, Error, Result};
use crate::extract::Requirement;
use crate::message::Message;
use crate::response::Reply;
use crate::subscriber::{self, IntoSubscriber, Route, RouteLayer, Subscriber};

/// How long shutdown waits for in-flight handlers by default.
const DEFAULT_GRACEFUL_TIMEOUT: Duration = Duration::from_secs(30);

/// What lifecycle hooks receive: the broker, the app context and the shutdown handle.
/// Cheap to clone; owned so that hooks are plain `async` closures.
#[derive(Clone, Debug)]
pub struct AppContext {
    broker: Broker,
    context: Context,
    shutdown: ShutdownHandle,
}

impl AppContext {
    /// The app's broker (connecting it here is allowed and idempotent).
    pub fn broker(&self) -> &Broker {
        &self.broker
    }

    /// The app's context: insert what handlers extract with `Ctx<T>`.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// A handle that stops the running app.
    pub fn shutdown_handle(&self) -> &ShutdownHandle {
        &self.shutdown
    }
}

/// Stops a running app from anywhere (another task, a handler, a test).
#[derive(Clone, Debug)]
pub struct ShutdownHandle {
    sender: Arc<watch::Sender<bool>>,
}

impl ShutdownHandle {
    fn new() -> Self {
        Self {
            sender: Arc::new(watch::Sender::new(false)),
        }
    }

    /// Asks the app to shut down gracefully.
    pub fn shutdown(&self) {
        self.sender.send_replace(true);
    }

    /// Whether shutdown was asked for.
    pub fn is_shutdown(&self) -> bool {
        *self.sender.borrow()
    }

    /// Completes once shutdown was asked for.
    pub async fn wait(&self) {
        let mut receiver = self.sender.subscribe();
        // The sender lives in `self`, so waiting cannot fail.
        let _ = receiver.wait_for(|stopped| *stopped).await;
    }

    fn subscribe(&self) -> watch::Receiver<bool> {
        self.sender.subscribe()
    }
}

type Hook = Box<dyn FnMut(AppContext) -> BoxFuture<'static, Result<(), BoxError>> + Send>;

#[derive(Default)]
struct Hooks {
    on_startup: Vec<Hook>,
    after_startup: Vec<Hook>,
    on_shutdown: Vec<Hook>,
    after_shutdown: Vec<Hook>,
}

/// A FastStream-style NATS service: a broker, a typed context filled by startup hooks,
/// and subscribers.
///
/// ```
/// use faststream_kv::prelude::*;
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
///     .on_startup(async |cx: AppContext| {
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
    subscribers: Vec<Subscriber>,
    layers: Vec<RouteLayer>,
    hooks: Hooks,
    graceful_timeout: Duration,
    shutdown: ShutdownHandle,
}

impl App {
    /// An app on `broker` with an empty context and no subscribers.
    pub fn new(broker: Broker) -> Self {
        Self {
            broker,
            context: Context::new(),
            subscribers: Vec::new(),
            layers: Vec::new(),
            hooks: Hooks::default(),
            graceful_timeout: DEFAULT_GRACEFUL_TIMEOUT,
            shutdown: ShutdownHandle::new(),
        }
    }

    /// Adds a subscriber: a `#[subscriber]` function or a [`Subscriber`].
    pub fn subscriber(mut self, subscriber: impl IntoSubscriber) -> Self {
        self.subscribers.push(subscriber.into_subscriber());
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
        F: FnMut(AppContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        self.hooks.on_startup.push(boxed_hook(hook));
        self
    }

    /// Runs once every subscriber is consuming (publish a first message, warm caches).
    pub fn after_startup<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: FnMut(AppContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        self.hooks.after_startup.push(boxed_hook(hook));
        self
    }

    /// Runs when shutdown begins, while subscribers still consume.
    pub fn on_shutdown<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: FnMut(AppContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        self.hooks.on_shutdown.push(boxed_hook(hook));
        self
    }

    /// Runs last, after handlers drained and the broker closed.
    pub fn after_shutdown<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: FnMut(AppContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        self.hooks.after_shutdown.push(boxed_hook(hook));
        self
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
    /// gracefully.
    pub async fn run(self) -> Result<()> {
        self.run_until(termination_signal()).await
    }

    /// Runs until `signal` completes (or [`ShutdownHandle::shutdown`]), then shuts down
    /// gracefully.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> Result<()> {
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
    pub async fn start(mut self) -> Result<RunningApp> {
        let app_context = AppContext {
            broker: self.broker.clone(),
            context: self.context.clone(),
            shutdown: self.shutdown.clone(),
        };
        run_hooks("on_startup", &mut self.hooks.on_startup, &app_context).await?;
        self.broker.connect().await?;
        self.check_subscribers()?;
        let subscribers = self.start_subscribers().await?;
        let mut running = RunningApp {
            app_context: app_context.clone(),
            hooks: Mutex::new(self.hooks),
            subscribers,
            graceful_timeout: self.graceful_timeout,
            shutdown: self.shutdown,
            stopped: false,
        };
        let after_startup = &mut running.hooks_mut().after_startup;
        if let Err(error) = run_hooks("after_startup", after_startup, &app_context).await {
            running.stop_subscribers().await;
            return Err(error);
        }
        Ok(running)
    }

    fn check_subscribers(&self) -> Result<()> {
        let problems: Vec<String> = self
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
                        Requirement::Path(_) | Requirement::KvWatch => None,
                    })
            }));
        Ok(())
    }

    async fn start_subscribers(&mut self) -> Result<Vec<JoinHandle<()>>> {
        let mut handles = Vec::with_capacity(self.subscribers.len());
        for subscriber in self.subscribers.drain(..) {
            let started = async {
                let (pattern, route, settings) = subscriber.build(&self.context, &self.layers)?;
                let stop = self.shutdown.subscribe();
                subscriber::runtime::start(&self.broker, pattern.subject(), route, settings, stop)
                    .await
            }
            .await;
            match started {
                Ok(handle) => handles.push(handle),
                Err(error) => {
                    handles.iter().for_each(JoinHandle::abort);
                    return Err(error);
                }
            }
        }
        // Make sure the server knows every subscription before `after_startup` publishes.
        self.broker.flush().await?;
        Ok(handles)
    }
}

/// A started app. Dropping it without [`stop`](Self::stop) shuts it down in the
/// background.
pub struct RunningApp {
    app_context: AppContext,
    /// Only used through `&mut self`; the mutex makes `RunningApp` `Sync` without asking
    /// hooks to be.
    hooks: Mutex<Hooks>,
    subscribers: Vec<JoinHandle<()>>,
    graceful_timeout: Duration,
    shutdown: ShutdownHandle,
    stopped: bool,
}

impl RunningApp {
    /// The app's broker.
    pub fn broker(&self) -> &Broker {
        &self.app_context.broker
    }

    /// The app's context.
    pub fn context(&self) -> &Context {
        &self.app_context.context
    }

    /// A handle that asks the app to stop (then call [`stop`](Self::stop) or let
    /// [`App::run`] finish).
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Shuts down gracefully: `on_shutdown` hooks, drain in-flight handlers (up to the
    /// graceful timeout), close the broker, `after_shutdown` hooks. Every step runs even
    /// when an earlier one failed; the first error is returned.
    pub async fn stop(mut self) -> Result<()> {
        self.stop_in_place().await
    }

    async fn stop_in_place(&mut self) -> Result<()> {
        self.stopped = true;
        let mut first_error = None;
        let app_context = self.app_context.clone();
        let on_shutdown = run_hooks(
            "on_shutdown",
            &mut self.hooks_mut().on_shutdown,
            &app_context,
        )
        .await;
        first_error = first_error.or(on_shutdown.err());
        self.stop_subscribers().await;
        self.app_context.context.unpin_all();
        first_error = first_error.or(self.app_context.broker.close().await.err());
        let after_shutdown = run_hooks(
            "after_shutdown",
            &mut self.hooks_mut().after_shutdown,
            &app_context,
        )
        .await;
        first_error = first_error.or(after_shutdown.err());
        first_error.map_or(Ok(()), Err)
    }

    fn hooks_mut(&mut self) -> &mut Hooks {
        self.hooks.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    async fn stop_subscribers(&mut self) {
        self.shutdown.shutdown();
        let subscribers = std::mem::take(&mut self.subscribers);
        let aborts: Vec<_> = subscribers.iter().map(JoinHandle::abort_handle).collect();
        let drained = tokio::time::timeout(
            self.graceful_timeout,
            futures::future::join_all(subscribers),
        )
        .await;
        if drained.is_err() {
            tracing::warn!(
                timeout = ?self.graceful_timeout,
                "handlers still running after the graceful timeout; cancelling them"
            );
            aborts.iter().for_each(tokio::task::AbortHandle::abort);
        }
    }
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        self.shutdown.shutdown();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let mut running = RunningApp {
            app_context: self.app_context.clone(),
            hooks: Mutex::new(std::mem::take(self.hooks_mut())),
            subscribers: std::mem::take(&mut self.subscribers),
            graceful_timeout: self.graceful_timeout,
            shutdown: self.shutdown.clone(),
            stopped: true,
        };
        runtime.spawn(async move {
            if let Err(error) = running.stop_in_place().await {
                tracing::error!(%error, "shutdown of a dropped app failed");
            }
        });
    }
}

fn boxed_hook<F, Fut, E>(mut hook: F) -> Hook
where
    F: FnMut(AppContext) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<BoxError>,
{
    Box::new(move |context| {
        let future = hook(context);
        Box::pin(async move { future.await.map_err(Into::into) })
    })
}

async fn run_hooks(stage: &'static str, hooks: &mut [Hook], context: &AppContext) -> Result<()> {
    for (index, hook) in hooks.iter_mut().enumerate() {
        hook(context.clone()).await.map_err(|source| Error::Hook {
            stage,
            index: index + 1,
            source: Box::new(Error::from_boxed(source)),
        })?;
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix.
async fn termination_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

// A running app is shared with spawned tasks (`Arc<TestApp>`, `&RunningApp` across
// awaits), so it must stay `Send + Sync` whatever its hooks are.
const _: fn() = || {
    fn shareable<T: Send + Sync>() {}
    shareable::<RunningApp>();
};
