//! Routers: subscribers grouped under a subject prefix, with layers of their own, nested
//! in other routers and included in an app, as FastStream's `NatsRouter` groups them.

use tower::{Layer, Service};

use crate::error::BoxError;
use crate::message::Message;
use crate::publisher::Publisher;
use crate::response::Reply;
use crate::runtime::Route;
use crate::subscriber::{AnySubscriber, IntoSubscriber, RouteLayer};

/// A group of subscribers: its prefix goes in front of their subject patterns (stream
/// subscribers' too, and so of the subjects their streams are declared with), its
/// layers wrap their handlers (inside the app's layers, outside their own), and routers
/// nest. A `kv_watch` subscriber's key pattern and a subscriber's publishers keep
/// theirs: [`publisher`](Self::publisher) makes a publisher under the prefix.
///
/// The prefix is put in front as written (FastStream's rule), so it usually ends with a
/// dot; it may hold `{captures}` for the handlers' `Path`.
///
/// ```
/// use faststream_kv::prelude::*;
/// use faststream_kv::publisher::Publisher;
/// use faststream_kv::router::Router;
/// use faststream_kv::subscriber::Subscriber;
///
/// async fn created(Path(region): Path<String>) -> String {
///     region
/// }
///
/// let orders = Router::new().prefix("orders.");
/// let billed = orders.publisher(Publisher::subject("billed"));
/// assert_eq!(billed.destination(), "orders.billed");
/// let orders =
///     orders.subscriber(Subscriber::new("{region}.created", created).publisher(billed));
/// // Handles `shop.orders.{region}.created`.
/// let shop = Router::new().prefix("shop.").include(orders);
/// let app = App::new(Broker::memory()).include(shop);
/// ```
#[derive(Default)]
pub struct Router {
    prefix: String,
    subscribers: Vec<AnySubscriber>,
    layers: Vec<RouteLayer>,
}

impl Router {
    /// An empty router without a prefix.
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts `prefix` in front of its subscribers' subject patterns (after the prefix of
    /// a router it is included in).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Its prefix.
    pub fn subject_prefix(&self) -> &str {
        &self.prefix
    }

    /// Adds a subscriber: a `#[subscriber]` function or a
    /// [`Subscriber`](crate::subscriber::Subscriber) of any kind.
    pub fn subscriber(mut self, subscriber: impl IntoSubscriber) -> Self {
        self.subscribers.push(subscriber.into_subscriber());
        self
    }

    /// Wraps the handlers of its subscribers (and of the routers it includes) in a tower
    /// layer; the last layer added is the outermost.
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

    /// Nests `router`: its subscribers get this router's prefix in front of theirs and
    /// this router's layers around theirs.
    pub fn include(mut self, router: Router) -> Self {
        self.subscribers.extend(router.into_subscribers());
        self
    }

    /// `publisher` with its subject under this router's prefix (the prefix of a router
    /// this one is included in is not known here).
    pub fn publisher(&self, publisher: Publisher) -> Publisher {
        publisher.prefixed(&self.prefix)
    }

    /// Its subscribers, with its prefix and layers applied.
    pub(crate) fn into_subscribers(self) -> impl Iterator<Item = AnySubscriber> {
        let Self {
            prefix,
            subscribers,
            layers,
        } = self;
        subscribers
            .into_iter()
            .map(move |subscriber| subscriber.prefixed(&prefix).layered(&layers))
    }
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("prefix", &self.prefix)
            .field("subscribers", &self.subscribers)
            .field("layers", &self.layers.len())
            .finish()
    }
}
