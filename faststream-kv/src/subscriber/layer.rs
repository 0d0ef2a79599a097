//! Tower layers stored until the app builds each subscriber's [`Route`].

use std::sync::Arc;

use tower::{Layer, Service};

use crate::error::BoxError;
use crate::message::Message;
use crate::response::Reply;
use crate::runtime::Route;

/// A tower layer, erased to "wrap a [`Route`], give back a [`Route`]".
#[derive(Clone)]
pub(crate) struct RouteLayer(Arc<dyn Fn(Route) -> Route + Send + Sync>);

impl RouteLayer {
    pub(crate) fn new<L>(layer: L) -> Self
    where
        L: Layer<Route> + Send + Sync + 'static,
        L::Service: Service<Message, Response = Reply> + Clone + Send + 'static,
        <L::Service as Service<Message>>::Error: Into<BoxError>,
        <L::Service as Service<Message>>::Future: Send + 'static,
    {
        Self(Arc::new(move |route| Route::new(layer.layer(route))))
    }

    pub(crate) fn apply(&self, route: Route) -> Route {
        (self.0)(route)
    }
}
