//! Subscribers: a pattern, a handler, and how to consume (queue group, workers, layers).

mod dispatch;
mod incoming;
mod layer;
mod outcome;
mod pattern;
pub(crate) mod pattern_syntax;
mod route;
pub(crate) mod runtime;
mod validate;

use std::any::type_name;
use std::fmt;
use std::sync::Arc;

use tower::{Layer, Service};

pub use pattern::Pattern;
pub use route::Route;

use crate::context::Context;
use crate::error::{BoxError, Error};
use crate::extract::{Requirements, Scope};
use crate::handler::{Handler, HandlerService};
use crate::kv::WatchOptions;
use crate::message::Message;
use crate::response::Reply;
pub(crate) use layer::RouteLayer;
pub(crate) use validate::problems;

/// Something [`App::subscriber`](crate::App::subscriber) accepts: a [`Subscriber`], or
/// the type the `#[subscriber]` macro generates for a handler function.
pub trait IntoSubscriber {
    /// The subscriber.
    fn into_subscriber(self) -> Subscriber;
}

/// A handler bound to a subject pattern, with its consumption settings.
///
/// `#[subscriber("orders.{region}", queue = "billing")]` builds one of these for you;
/// without the macro:
///
/// ```
/// use faststream_kv::prelude::*;
/// use faststream_kv::subscriber::Subscriber;
///
/// async fn on_order(Path(region): Path<String>, body: String) -> String {
///     format!("{region}: {body}")
/// }
///
/// let subscriber = Subscriber::new("orders.{region}", on_order).queue("billing");
/// let app = App::new(Broker::memory()).subscriber(subscriber);
/// ```
pub struct Subscriber {
    pattern: Result<Pattern, Error>,
    source: Source,
    name: Box<str>,
    queue: Option<String>,
    max_workers: usize,
    arguments: Vec<String>,
    requirements: Requirements,
    layers: Vec<RouteLayer>,
    make_route: Box<dyn FnOnce(Arc<Scope>) -> Route + Send>,
}

impl Subscriber {
    /// A subscriber running `handler` on every message whose subject matches `pattern`.
    ///
    /// An invalid pattern is reported when the app starts, with the handler's name.
    pub fn new<H: Handler<Args>, Args: 'static>(pattern: &str, handler: H) -> Self {
        Self::with_source(pattern, Source::Subject, handler)
    }

    /// A subscriber running `handler` on every change of the keys of Key-Value bucket
    /// `bucket` matching `keys` — a key pattern with the subject syntax (`feature.*`,
    /// `user.{id}.>`, `{id...}`), so `Path` extracts key tokens. The handler receives
    /// [`Entry`](crate::kv::Entry); `Json<T>` decodes the value, `Subject` is the key.
    ///
    /// The watch starts with the current values (see [`watch_options`](Self::watch_options)),
    /// one entry at a time in revision order. The bucket must exist once the
    /// `on_startup` hooks have run.
    ///
    /// ```
    /// use faststream_kv::prelude::*;
    /// use faststream_kv::subscriber::Subscriber;
    ///
    /// async fn on_flag(entry: Entry, Path(name): Path<String>) {
    ///     println!("flag {name} is now {:?}", entry.value());
    /// }
    ///
    /// let subscriber = Subscriber::kv_watch("config", "feature.{name}", on_flag);
    /// ```
    pub fn kv_watch<H: Handler<Args>, Args: 'static>(
        bucket: impl Into<String>,
        keys: &str,
        handler: H,
    ) -> Self {
        let source = Source::KvWatch {
            bucket: bucket.into(),
            options: WatchOptions::default(),
        };
        Self::with_source(keys, source, handler)
    }

    fn with_source<H: Handler<Args>, Args: 'static>(
        pattern: &str,
        source: Source,
        handler: H,
    ) -> Self {
        let mut requirements = Requirements::default();
        H::requirements(&mut requirements);
        Self {
            pattern: Pattern::parse(pattern),
            source,
            name: short_type_name::<H>().into(),
            queue: None,
            max_workers: 1,
            arguments: Vec::new(),
            requirements,
            layers: Vec::new(),
            make_route: Box::new(move |scope| {
                Route::from_handler(HandlerService::new(handler, scope))
            }),
        }
    }

    /// Joins queue group `queue`: each message goes to one member of the group.
    pub fn queue(mut self, queue: impl Into<String>) -> Self {
        self.queue = Some(queue.into());
        self
    }

    /// For a [`kv_watch`](Self::kv_watch) subscriber: which entries the watch delivers
    /// (skip deletes, only updates, history...). No effect on subject subscribers.
    pub fn watch_options(mut self, options: WatchOptions) -> Self {
        if let Source::KvWatch { options: slot, .. } = &mut self.source {
            *slot = options;
        }
        self
    }

    /// Handles up to `workers` messages at once (default 1: one at a time, in order).
    pub fn max_workers(mut self, workers: usize) -> Self {
        self.max_workers = workers.max(1);
        self
    }

    /// Names the handler in logs, spans and startup errors (default: the function name).
    pub fn name(mut self, name: impl Into<Box<str>>) -> Self {
        self.name = name.into();
        self
    }

    /// Describes the handler's arguments as written, for startup errors (the macro
    /// fills this in: `Ctx(stock): Ctx<KeyValue>`).
    pub fn arguments(mut self, arguments: &[&str]) -> Self {
        self.arguments = arguments
            .iter()
            .map(|argument| (*argument).to_owned())
            .collect();
        self
    }

    /// Wraps this subscriber's handler in a tower layer (inside the app-wide layers).
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

    /// The handler's name.
    pub fn handler_name(&self) -> &str {
        &self.name
    }

    /// The pattern, or why it is invalid.
    pub fn pattern(&self) -> Result<&Pattern, &Error> {
        self.pattern.as_ref()
    }

    /// The Key-Value bucket of a [`kv_watch`](Self::kv_watch) subscriber.
    pub fn watched_bucket(&self) -> Option<&str> {
        match &self.source {
            Source::KvWatch { bucket, .. } => Some(bucket),
            Source::Subject => None,
        }
    }

    /// The queue group, if any.
    pub fn queue_group(&self) -> Option<&str> {
        self.queue.as_deref()
    }

    /// What the handler's extractors need.
    pub fn requirements(&self) -> &Requirements {
        &self.requirements
    }

    pub(crate) fn argument_label(&self, index: usize) -> String {
        match self.arguments.get(index) {
            Some(argument) => format!("argument `{argument}`"),
            None => match self.requirements.argument_type(index) {
                Some(type_name) => format!("argument #{} (`{type_name}`)", index + 1),
                None => format!("argument #{}", index + 1),
            },
        }
    }

    /// Builds the subscriber's service: the handler in its scope, wrapped in its own
    /// layers, then in the app's (`app_layers`, outermost last).
    pub(crate) fn build(
        self,
        context: &Context,
        app_layers: &[RouteLayer],
    ) -> Result<(Pattern, Route, SubscriberSettings), Error> {
        let pattern = self.pattern?;
        let scope = Arc::new(Scope::new(context.clone(), pattern.clone(), &*self.name));
        let mut route = (self.make_route)(scope);
        for layer in self.layers.iter().chain(app_layers) {
            route = layer.apply(route);
        }
        let settings = SubscriberSettings {
            source: self.source,
            name: self.name,
            queue: self.queue,
            max_workers: self.max_workers,
        };
        Ok((pattern, route, settings))
    }
}

/// Where a subscriber's messages come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// Messages on the subjects matching the pattern.
    Subject,
    /// Changes of the keys of `bucket` matching the pattern.
    KvWatch {
        bucket: String,
        options: WatchOptions,
    },
}

/// How a running subscriber consumes.
pub(crate) struct SubscriberSettings {
    pub(crate) source: Source,
    pub(crate) name: Box<str>,
    pub(crate) queue: Option<String>,
    pub(crate) max_workers: usize,
}

impl IntoSubscriber for Subscriber {
    fn into_subscriber(self) -> Subscriber {
        self
    }
}

impl fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscriber")
            .field("name", &self.name)
            .field("pattern", &self.pattern)
            .field("source", &self.source)
            .field("queue", &self.queue)
            .field("max_workers", &self.max_workers)
            .finish_non_exhaustive()
    }
}

/// `my_crate::handlers::on_order` -> `on_order`.
fn short_type_name<T>() -> &'static str {
    let full = type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}
