//! `Route`: a subscriber's handler with its layers, as one type-erased tower service.

use std::task::{Context as TaskContext, Poll};

use futures::future::BoxFuture;
use tokio::task::JoinHandle;
use tower::Service;

use super::consume::Consumer;
use crate::error::BoxError;
use crate::handler::{Handler, HandlerService};
use crate::message::Message;
use crate::response::Reply;

/// A subscriber's service after type erasure: what tower layers given to
/// [`App::layer`](crate::App::layer) and
/// [`Subscriber::layer`](crate::subscriber::Subscriber::layer)
/// wrap. As a service, a bare handler's one boxed future is passed through (not boxed
/// twice); the consume loop of a subscriber without layers calls the handler itself,
/// without boxing.
pub struct Route {
    service: Box<dyn ErasedService>,
}

type RouteFuture = BoxFuture<'static, Result<Reply, BoxError>>;

trait ErasedService: Send {
    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), BoxError>>;
    fn call(&mut self, message: Message) -> RouteFuture;
    fn clone_box(&self) -> Box<dyn ErasedService>;
    /// Spawns the consume loop with the service's concrete type.
    fn consume(self: Box<Self>, consumer: Consumer) -> JoinHandle<u64>;
}

impl Route {
    /// Erases any `tower::Service<Message>` that replies with a [`Reply`].
    pub fn new<S>(service: S) -> Self
    where
        S: Service<Message, Response = Reply> + Clone + Send + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        Self {
            service: Box::new(Boxing(service)),
        }
    }

    /// Spawns the consume loop; a bare handler is called without the type erasure (and
    /// without boxing its futures).
    pub(crate) fn consume(self, consumer: Consumer) -> JoinHandle<u64> {
        self.service.consume(consumer)
    }

    pub(crate) fn from_handler<H: Handler<Args>, Args: 'static>(
        service: HandlerService<H, Args>,
    ) -> Self {
        Self {
            service: Box::new(service),
        }
    }
}

impl Clone for Route {
    fn clone(&self) -> Self {
        Self {
            service: self.service.clone_box(),
        }
    }
}

impl Service<Message> for Route {
    type Response = Reply;
    type Error = BoxError;
    type Future = RouteFuture;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), BoxError>> {
        self.service.poll_ready(cx)
    }

    fn call(&mut self, message: Message) -> RouteFuture {
        self.service.call(message)
    }
}

impl<H: Handler<Args>, Args: 'static> ErasedService for HandlerService<H, Args> {
    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), BoxError>> {
        Service::poll_ready(self, cx)
    }

    fn call(&mut self, message: Message) -> RouteFuture {
        Service::call(self, message)
    }

    fn clone_box(&self) -> Box<dyn ErasedService> {
        Box::new(self.clone())
    }

    fn consume(self: Box<Self>, consumer: Consumer) -> JoinHandle<u64> {
        consumer.spawn(*self)
    }
}

/// Boxes the future of a service that does not already return one.
#[derive(Clone)]
struct Boxing<S>(S);

impl<S> ErasedService for Boxing<S>
where
    S: Service<Message, Response = Reply> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), BoxError>> {
        self.0.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, message: Message) -> RouteFuture {
        let future = self.0.call(message);
        Box::pin(async move { future.await.map_err(Into::into) })
    }

    fn clone_box(&self) -> Box<dyn ErasedService> {
        Box::new(self.clone())
    }

    fn consume(self: Box<Self>, consumer: Consumer) -> JoinHandle<u64> {
        consumer.spawn(Route { service: self })
    }
}
