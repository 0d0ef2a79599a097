//! `Dispatch`: how the consume loop calls a subscriber's service. A bare handler is
//! called directly, so its future lives in the consume loop instead of a box; a handler
//! with layers goes through its type-erased [`Route`].

use std::future::Future;
use std::task::{Context, Poll};

use tower::Service;

use super::Route;
use crate::error::BoxError;
use crate::handler::{Handler, HandlerService};
use crate::message::Message;
use crate::response::Reply;

/// A subscriber's service as the consume loop drives it: `tower::Service` without a
/// nameable future type.
pub(crate) trait Dispatch: Send + 'static {
    /// Whether the service takes a message now (tower's `poll_ready`).
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>>;

    /// Handles one message, in a future that can be spawned.
    fn call(
        &mut self,
        message: Message,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'static;

    /// Handles one message, in a future that borrows the service: for a caller that
    /// awaits it before the next message (nothing cloned per message).
    fn call_in_place(
        &mut self,
        message: Message,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + '_;
}

impl Dispatch for Route {
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Service::poll_ready(self, cx)
    }

    fn call(
        &mut self,
        message: Message,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'static {
        Service::call(self, message)
    }

    fn call_in_place(
        &mut self,
        message: Message,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + '_ {
        Service::call(self, message)
    }
}

impl<H: Handler<Args>, Args: 'static> Dispatch for HandlerService<H, Args> {
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(
        &mut self,
        message: Message,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'static {
        self.handle(message)
    }

    fn call_in_place(
        &mut self,
        message: Message,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + '_ {
        self.handle_ref(message)
    }
}
