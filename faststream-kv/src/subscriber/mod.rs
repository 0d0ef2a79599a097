//! Subscribers: a pattern, a handler, and how to consume. One builder per kind of
//! subscriber — [`Subscriber<OnSubject>`] for messages on subjects,
//! [`Subscriber<OnKvWatch>`] for the changes of a Key-Value bucket — so that an option
//! of one kind cannot be set on another; [`App::subscriber`](crate::App::subscriber)
//! takes either.

mod kind;
mod layer;
mod on_stream;
mod validate;

use std::any::type_name;
use std::fmt;
use std::sync::Arc;

use tower::{Layer, Service};

pub use crate::runtime::{OrderingKey, Route};
pub use crate::subject::Pattern;
pub use kind::{DEFAULT_FETCH_BATCH, DEFAULT_FETCH_WAIT, OnKvWatch, OnStream, OnSubject};

use crate::asyncapi::{
    Consumes, DescribePayload, PayloadSchema, SubscriberDescription, SubscriberDocs,
};
use crate::context::Context;
use crate::error::{BoxError, Error};
use crate::extract::{Requirements, Scope};
use crate::handler::{Handler, HandlerService};
use crate::message::Message;
use crate::pending::PendingLimits;
use crate::publisher::Publisher;
use crate::response::Reply;
use crate::runtime::{Settings, Source};
pub(crate) use layer::RouteLayer;
pub(crate) use validate::problems;

/// Something [`App::subscriber`](crate::App::subscriber) accepts: a [`Subscriber`] of any
/// kind, or the type the `#[subscriber]` macro generates for a handler function.
pub trait IntoSubscriber {
    /// The subscriber, its kind erased.
    fn into_subscriber(self) -> AnySubscriber;
}

/// A handler bound to a pattern, with its consumption settings; `K` is its kind
/// ([`OnSubject`] or [`OnKvWatch`]), which decides the options it has.
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
pub struct Subscriber<K> {
    common: Common,
    kind: K,
}

/// What every kind of subscriber has.
struct Common {
    pattern: Result<Pattern, Error>,
    name: Box<str>,
    max_workers: usize,
    ordering: Option<OrderingKey>,
    arguments: Vec<String>,
    requirements: Requirements,
    layers: Vec<RouteLayer>,
    publishers: Vec<Publisher>,
    docs: SubscriberDocs,
    make_route: Box<dyn FnOnce(Arc<Scope>) -> Route + Send>,
}

impl Subscriber<OnSubject> {
    /// A subscriber running `handler` on every message whose subject matches `pattern`.
    ///
    /// An invalid pattern is reported when the app starts, with the handler's name.
    pub fn new<H: Handler<Args>, Args: 'static>(pattern: &str, handler: H) -> Self {
        Self {
            common: Common::new(pattern, handler),
            kind: OnSubject::default(),
        }
    }

    /// Joins queue group `queue`: each message goes to one member of the group.
    pub fn queue(mut self, queue: impl Into<String>) -> Self {
        self.kind.queue = Some(queue.into());
        self
    }

    /// The queue group, if any.
    pub fn queue_group(&self) -> Option<&str> {
        self.kind.queue.as_deref()
    }

    /// How many messages (and payload bytes) wait for a busy handler before more are
    /// dropped (default [`PendingLimits::DEFAULT`], nats.go's). Drops are counted in
    /// [`RunningApp::subscriber_stats`](crate::RunningApp::subscriber_stats) and
    /// reported as [`ConnectionEvent::SlowConsumer`](crate::ConnectionEvent::SlowConsumer).
    pub fn pending_limits(mut self, limits: PendingLimits) -> Self {
        self.kind.limits = limits;
        self
    }

    /// The pending limits.
    pub fn limits(&self) -> PendingLimits {
        self.kind.limits
    }
}

impl Subscriber<OnKvWatch> {
    /// A subscriber running `handler` on every change of the keys of Key-Value bucket
    /// `bucket` matching `keys` — a key pattern with the subject syntax (`feature.*`,
    /// `user.{id}.>`, `{id...}`), so `Path` extracts key tokens. The handler receives
    /// [`Entry`](crate::kv::Entry); `Json<T>` decodes the value, `Subject` is the key.
    ///
    /// The watch starts with the current values (see
    /// [`watch_options`](Self::watch_options)),
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
        Self {
            common: Common::new(keys, handler),
            kind: OnKvWatch::new(bucket.into()),
        }
    }

    /// Which entries the watch delivers (skip deletes, only updates, history...).
    pub fn watch_options(mut self, options: crate::kv::WatchOptions) -> Self {
        self.kind.options = options;
        self
    }

    /// The Key-Value bucket watched.
    pub fn watched_bucket(&self) -> &str {
        &self.kind.bucket
    }
}

impl<K> Subscriber<K> {
    /// Handles up to `workers` messages at once (default 1: one at a time, in order).
    pub fn max_workers(mut self, workers: usize) -> Self {
        self.common.max_workers = workers.max(1);
        self
    }

    /// With [`max_workers`](Self::max_workers) above 1, handles messages of the same
    /// key one at a time, in the order they came, and messages of different keys at
    /// once. Messages waiting behind their key's running one take worker slots, so at
    /// most `max_workers` messages are held in all.
    ///
    /// ```
    /// use faststream_kv::prelude::*;
    /// use faststream_kv::subscriber::{OrderingKey, Subscriber};
    ///
    /// async fn on_event(Path(account): Path<String>, body: String) {
    ///     println!("{account}: {body}");
    /// }
    ///
    /// let subscriber = Subscriber::stream("EVENTS", "events.{account}", on_event)
    ///     .max_workers(16)
    ///     .workers_by_key(OrderingKey::capture("account"));
    /// ```
    pub fn workers_by_key(mut self, key: OrderingKey) -> Self {
        self.common.ordering = Some(key);
        self
    }

    /// Names the handler in logs, spans and startup errors (default: the function name).
    pub fn name(mut self, name: impl Into<Box<str>>) -> Self {
        self.common.name = name.into();
        self
    }

    /// Describes the handler's arguments as written, for startup errors (the macro
    /// fills this in: `Ctx(stock): Ctx<KeyValue>`).
    pub fn arguments(mut self, arguments: &[&str]) -> Self {
        self.common.arguments = arguments
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
        self.common.layers.push(RouteLayer::new(layer));
        self
    }

    /// Publishes each result of the handler to `publisher` (call again for several),
    /// after the handler returns and before a stream message is acknowledged; a result
    /// that cannot be published fails the message ([`Error::Publish`]: a stream message
    /// is nak'd, a request gets an error reply). A request still gets the result as its
    /// reply, and the result is published once. A handler returning `None` publishes
    /// nothing.
    ///
    /// What is published carries the handled message's `correlation_id` unless the
    /// handler's [`Reply`] sets its own.
    pub fn publisher(mut self, publisher: Publisher) -> Self {
        self.common.publishers.push(publisher);
        self
    }

    /// Describes the handler in the AsyncAPI document (`#[subscriber]` takes its doc
    /// comment).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.common.docs.description = Some(description.into());
        self
    }

    /// Documents the body of the messages handled as `T` in the AsyncAPI document,
    /// e.g. `document_payload::<Json<Order>>()` (`#[subscriber]` finds it among the
    /// handler's arguments).
    pub fn document_payload<T: PayloadSchema>(mut self) -> Self {
        self.common.docs.payload = Some(T::payload);
        self
    }

    /// Documents the handler's result, its reply and what it publishes, as `T` (the
    /// macro takes the handler's return type).
    pub fn document_reply<T: PayloadSchema>(mut self) -> Self {
        self.common.docs.reply = Some(T::payload);
        self
    }

    /// What `#[subscriber]` found out about the handler's body and result types.
    #[doc(hidden)]
    pub fn __documented(
        mut self,
        payload: Option<DescribePayload>,
        reply: Option<DescribePayload>,
    ) -> Self {
        let docs = &mut self.common.docs;
        docs.payload = docs.payload.or(payload);
        docs.reply = docs.reply.or(reply);
        self
    }

    /// The publishers of its results.
    pub fn publishers(&self) -> &[Publisher] {
        &self.common.publishers
    }

    /// The handler's name.
    pub fn handler_name(&self) -> &str {
        &self.common.name
    }

    /// The pattern, or why it is invalid.
    pub fn pattern(&self) -> Result<&Pattern, &Error> {
        self.common.pattern.as_ref()
    }

    /// What the handler's extractors need.
    pub fn requirements(&self) -> &Requirements {
        &self.common.requirements
    }
}

impl Common {
    fn new<H: Handler<Args>, Args: 'static>(pattern: &str, handler: H) -> Self {
        let mut requirements = Requirements::default();
        H::requirements(&mut requirements);
        Self {
            pattern: Pattern::parse(pattern),
            name: short_type_name::<H>().into(),
            max_workers: 1,
            ordering: None,
            arguments: Vec::new(),
            requirements,
            layers: Vec::new(),
            publishers: Vec::new(),
            docs: SubscriberDocs {
                replies: H::replies(),
                ..SubscriberDocs::default()
            },
            make_route: Box::new(move |scope| {
                Route::from_handler(HandlerService::new(handler, scope))
            }),
        }
    }
}

/// A subscriber of any kind, as the app keeps it until it starts.
pub struct AnySubscriber {
    common: Common,
    source: Source,
}

impl AnySubscriber {
    /// The handler's name.
    pub fn handler_name(&self) -> &str {
        &self.common.name
    }

    /// The pattern, or why it is invalid.
    pub fn pattern(&self) -> Result<&Pattern, &Error> {
        self.common.pattern.as_ref()
    }

    /// What the handler's extractors need.
    pub fn requirements(&self) -> &Requirements {
        &self.common.requirements
    }

    /// The publishers of its results.
    pub fn publishers(&self) -> &[Publisher] {
        &self.common.publishers
    }

    /// The subscriber as the AsyncAPI document sees it; none with an invalid pattern
    /// (the app does not start with one).
    pub(crate) fn description(&self) -> Option<SubscriberDescription<'_>> {
        let consumes = match &self.source {
            Source::Subject { queue, .. } => Consumes::Subject {
                queue: queue.as_deref(),
            },
            Source::Stream {
                stream, consumer, ..
            } => Consumes::Stream {
                stream,
                durable: consumer.durable.as_deref(),
            },
            Source::KvWatch { bucket, .. } => Consumes::KvWatch { bucket },
        };
        Some(SubscriberDescription {
            name: &self.common.name,
            pattern: self.common.pattern.as_ref().ok()?,
            consumes,
            publishers: &self.common.publishers,
            docs: &self.common.docs,
        })
    }

    /// The subscriber with `prefix` in front of its subject pattern (a `kv_watch`
    /// subscriber's key pattern is not a subject, and keeps its own).
    pub(crate) fn prefixed(mut self, prefix: &str) -> Self {
        if prefix.is_empty() || matches!(self.source, Source::KvWatch { .. }) {
            return self;
        }
        if let Ok(pattern) = &self.common.pattern {
            self.common.pattern = Pattern::parse(&format!("{prefix}{}", pattern.as_str()));
        }
        self
    }

    /// The subscriber with `layers` around its own (the last the outermost).
    pub(crate) fn layered(mut self, layers: &[RouteLayer]) -> Self {
        self.common.layers.extend_from_slice(layers);
        self
    }

    pub(crate) fn source(&self) -> &Source {
        &self.source
    }

    pub(crate) fn ordering(&self) -> Option<&OrderingKey> {
        self.common.ordering.as_ref()
    }

    pub(crate) fn argument_label(&self, index: usize) -> String {
        match self.common.arguments.get(index) {
            Some(argument) => format!("argument `{argument}`"),
            None => match self.common.requirements.argument_type(index) {
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
    ) -> Result<(Pattern, Route, Settings), Error> {
        let common = self.common;
        let pattern = common.pattern?;
        let publishes = !common.publishers.is_empty();
        let scope = Scope::new(context.clone(), pattern.clone(), &*common.name);
        let scope = Arc::new(scope.publishing(publishes));
        let mut route = (common.make_route)(scope);
        for layer in common.layers.iter().chain(app_layers) {
            route = layer.apply(route);
        }
        let settings = Settings {
            source: self.source,
            name: common.name,
            max_workers: common.max_workers,
            ordering: common.ordering,
            publishers: common.publishers.into(),
            span_level: None,
            metrics: false,
        };
        Ok((pattern, route, settings))
    }
}

impl IntoSubscriber for AnySubscriber {
    fn into_subscriber(self) -> AnySubscriber {
        self
    }
}

impl IntoSubscriber for Subscriber<OnSubject> {
    fn into_subscriber(self) -> AnySubscriber {
        AnySubscriber {
            common: self.common,
            source: Source::Subject {
                queue: self.kind.queue,
                limits: self.kind.limits,
            },
        }
    }
}

impl IntoSubscriber for Subscriber<OnKvWatch> {
    fn into_subscriber(self) -> AnySubscriber {
        AnySubscriber {
            common: self.common,
            source: Source::KvWatch {
                bucket: self.kind.bucket,
                options: self.kind.options,
            },
        }
    }
}

impl fmt::Debug for Common {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscriber")
            .field("name", &self.name)
            .field("pattern", &self.pattern)
            .field("max_workers", &self.max_workers)
            .field("ordering", &self.ordering)
            .finish_non_exhaustive()
    }
}

impl<K: fmt::Debug> fmt::Debug for Subscriber<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Subscriber")
            .field(&self.common)
            .field(&self.kind)
            .finish()
    }
}

impl fmt::Debug for AnySubscriber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AnySubscriber")
            .field(&self.common)
            .field(&self.source)
            .finish()
    }
}

/// `my_crate::handlers::on_order` -> `on_order`.
fn short_type_name<T>() -> &'static str {
    let full = type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}
